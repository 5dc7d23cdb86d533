/** The Prometheus text exposition format (version 0.0.4): metric families to text. Pure. */

export type MetricType = "counter" | "gauge" | "histogram";

/** One line of a family: `name{labels} value`; `suffix` is appended to the name (`_bucket`...). */
export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
  readonly suffix?: string;
}

/** A metric family: one HELP and one TYPE line, then its samples. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}

/** A label value as the format writes it: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
}

/** HELP text escapes backslash and newline only. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => c === "\n" ? "\\n" : "\\\\");
}

/** A sample value: Go's float syntax, with +Inf, -Inf and NaN spelled as the format wants. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return "";
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** The text of `families`, each with its HELP and TYPE lines; ends with a newline. */
export function formatMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      lines.push(`${f.name}${s.suffix ?? ""}${formatLabels(s.labels)} ${formatValue(s.value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * A histogram's samples from per-bucket counts (`counts[i]` for bucket i alone, one more than
 * `bounds` for +Inf): cumulative `_bucket` lines with `le`, the last `+Inf`, then `_sum`, `_count`.
 */
export function histogramSamples(
  bounds: readonly number[],
  counts: readonly number[],
  sum: number,
  labels: Readonly<Record<string, string>> = {},
): Sample[] {
  const samples: Sample[] = [];
  let cumulative = 0;
  for (let i = 0; i <= bounds.length; i++) {
    cumulative += counts[i] ?? 0;
    const le = i < bounds.length ? formatValue(bounds[i]!) : "+Inf";
    samples.push({ suffix: "_bucket", labels: { ...labels, le }, value: cumulative });
  }
  samples.push({ suffix: "_sum", labels, value: sum });
  samples.push({ suffix: "_count", labels, value: cumulative });
  return samples;
}
