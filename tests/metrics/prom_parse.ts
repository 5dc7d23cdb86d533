/**
 * A strict reader of the Prometheus text format, for tests: every line must be a HELP, a TYPE or a
 * sample of the family last announced; label values are unescaped; anything else throws.
 */

export interface ParsedSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface ParsedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly samples: ParsedSample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/;
  while (rest !== "") {
    const m = label.exec(rest);
    if (m === null) throw new Error(`Bad labels in ${JSON.stringify(line)}`);
    labels[m[1]!] = m[2]!.replace(/\\([\\"n])/g, (_, c) => (c === "n" ? "\n" : c));
    rest = rest.slice(m[0].length);
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  const n = Number(text);
  if (text === "" || Number.isNaN(n)) throw new Error(`Bad value ${text}`);
  return n;
}

/** The families of `text`, by name. */
export function parseMetrics(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith("\n")) throw new Error("The text does not end with a newline");
  const families = new Map<string, ParsedFamily>();
  let current: ParsedFamily | null = null;
  let help: { name: string; help: string } | null = null;
  for (const line of text.slice(0, -1).split("\n")) {
    const h = /^# HELP (\S+) (.*)$/.exec(line);
    const t = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (h) {
      help = { name: h[1]!, help: h[2]! };
    } else if (t) {
      if (help === null || help.name !== t[1]) throw new Error(`TYPE without its HELP: ${line}`);
      if (families.has(t[1]!)) throw new Error(`Family ${t[1]} announced twice`);
      current = { name: t[1]!, help: help.help, type: t[2]!, samples: [] };
      families.set(current.name, current);
      help = null;
    } else {
      const m = SAMPLE.exec(line);
      if (m === null || current === null) throw new Error(`Bad line ${JSON.stringify(line)}`);
      const name = m[1]!;
      const suffixes = current.type === "histogram" ? ["_bucket", "_sum", "_count"] : [""];
      if (!suffixes.some((s) => name === `${current!.name}${s}`)) {
        throw new Error(`Sample ${name} outside its family ${current.name}`);
      }
      current.samples.push({
        name,
        labels: parseLabels(m[2] ?? "", line),
        value: parseValue(m[3]!),
      });
    }
  }
  return families;
}

/** The value of the sample of `family` whose labels include `labels` (0 when there is none). */
export function sampleValue(
  families: Map<string, ParsedFamily>,
  family: string,
  labels: Record<string, string> = {},
  name = family,
): number {
  const f = families.get(family);
  const s = f?.samples.find((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  return s?.value ?? 0;
}
