/** Bench report: the results files (JSON lines, text), the per-point table and its formatting. */

import type { Latency, LoadResult } from "./loadgen.ts";
import type { Server } from "./options.ts";

/** One measurement: the generator's figures plus what, where and when (one JSON line). */
export interface Measurement extends LoadResult {
  run_id: string;
  time: string;
  bench: string;
  server: Server;
  n: number;
  c: number;
  rep: number;
  /** Per-queue NFQUEUE counter changes (nfq.ts `nfqDelta`). */
  nfq: Record<string, unknown>;
  nfq_drops: number;
}

/** The run's output files, `<runId>.jsonl` and `<runId>.txt` in the results directory. */
export class Results {
  /** Every measurement added so far, for the summary. */
  readonly records: Measurement[] = [];
  /** The JSON lines file: one object per measurement. */
  readonly jsonl: string;
  /** The text file: everything printed. */
  readonly txt: string;
  /** Results of run `runId` in directory `dir` (the files are appended to). */
  constructor(readonly runId: string, dir: string) {
    this.jsonl = `${dir}/${runId}.jsonl`;
    this.txt = `${dir}/${runId}.txt`;
  }
  /** Keeps `r` and appends it to the JSON lines. */
  async add(r: Measurement): Promise<void> {
    this.records.push(r);
    await Deno.writeTextFile(this.jsonl, JSON.stringify(r) + "\n", { append: true });
  }
  /** Appends `o` to the JSON lines only (not a load point: the scale start-up figures). */
  async addRaw(o: Record<string, unknown>): Promise<void> {
    await Deno.writeTextFile(this.jsonl, JSON.stringify(o) + "\n", { append: true });
  }
  /** Prints `line` and appends it to the text file. */
  async print(line: string): Promise<void> {
    console.log(line);
    await Deno.writeTextFile(this.txt, line + "\n", { append: true });
  }
}

/** Median of `xs` (NaN when empty). */
export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `x` rounded, right-aligned in `w` columns; `-` when missing. */
export const f0 = (x: number | null | undefined, w: number): string =>
  (x === null || x === undefined || Number.isNaN(x) ? "-" : Math.round(x).toString()).padStart(w);
/** `x` as a percentage, right-aligned in `w` columns; `-` when missing. */
export const fp = (x: number | null | undefined, w: number): string =>
  (x === null || x === undefined || Number.isNaN(x) ? "-" : `${Math.round(x * 100)}%`).padStart(w);
/** Latency as `p50/p90/p99/max`, right-aligned in 24 columns; `-` when missing. */
export const lat = (l: Latency | null | undefined): string =>
  (l ? `${f0(l.p50, 0)}/${f0(l.p90, 0)}/${f0(l.p99, 0)}/${f0(l.max, 0)}` : "-").padStart(24);

/** The table's header line. */
export function header(): string {
  return [
    "bench".padEnd(14),
    "server".padEnd(13),
    "N".padStart(5),
    "C".padStart(3),
    "rep".padStart(3),
    "rate/s".padStart(8),
    "1st reply p50/p90/p99/max us".padStart(29),
    "ACK p50/p90/p99/max us".padStart(24),
    "t/o".padStart(4),
    "inv".padStart(4),
    "srvCPU".padStart(7),
    "genCPU".padStart(7),
    "mach".padStart(5),
    "nfqDrop".padStart(8),
  ].join(" ");
}

/** The table line of one measurement. */
export function row(r: Measurement): string {
  const first = r.offer_us ?? r.ra_us ?? r.reply_us;
  return [
    r.bench.padEnd(14),
    r.server.padEnd(13),
    f0(r.n, 5),
    f0(r.c, 3),
    f0(r.rep, 3),
    f0(r.rate, 8),
    lat(first).padStart(29),
    lat(r.ack_us),
    f0(r.timeouts + r.warmup_timeouts, 4),
    f0(r.invalid, 4),
    fp(r.server_cpu, 7),
    fp(r.gen_cpu, 7),
    fp(r.machine_busy, 5),
    f0(r.nfq_drops + r.sock_drops, 8),
  ].join(" ");
}
