/** Bench load generator: run bench/build/loadgen in the client namespace and parse its JSON. */

import {
  CLIENT_IP_BASE,
  CLIENT_MAC_BASE,
  HV_MAC_BASE,
  ip4,
  PREFIX6,
  SERVER_IP,
} from "./addressing.ts";
import { BenchError, nsExec } from "./exec.ts";
import type { Mode } from "./options.ts";
import { LOADGEN } from "./programs.ts";
import type { Topology } from "./topology.ts";

/** Latency percentiles in µs over `n` exchanges. */
export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  n: number;
}

/** One periodic RA round seen with `--ra-watch`, and the DHCPv4 exchanges that overlapped it. */
export interface RaRound {
  start_ms: number;
  duration_ms: number;
  ras: number;
  interfaces: number;
  timeouts: number;
  ack_us_during: Latency | null;
}

/** What the load generator prints for one point (snake_case, as in the JSON lines). */
export interface LoadResult {
  mode: Mode;
  rate: number;
  completed: number;
  offer_us?: Latency | null;
  ack_us?: Latency | null;
  ra_us?: Latency | null;
  reply_us?: Latency | null;
  timeouts: number;
  warmup_timeouts: number;
  invalid: number;
  invalid_reasons: Record<string, number>;
  server_cpu: number | null;
  gen_cpu: number;
  machine_busy: number;
  sock_drops: number;
  ra_rounds?: RaRound[];
  ack_us_outside_rounds?: Latency | null;
  [k: string]: unknown;
}

/** How one load point runs. */
export interface LoadPoint {
  mode: Mode;
  /** Exchanges in flight. */
  c: number;
  /** Measured seconds. */
  duration: number;
  /** Warm-up seconds before them. */
  warmup: number;
  /** Per-exchange timeout. */
  timeoutMs: number;
  /** The server's process id, for its CPU time. */
  serverPid: number;
  /** Record every RA and group them into rounds (`ra_rounds`). */
  raWatch?: boolean;
}

/** The client addressing plan, as the generator's options. */
function addrArgs(): string[] {
  return [
    "--mac-base",
    CLIENT_MAC_BASE,
    "--ip-base",
    ip4(CLIENT_IP_BASE),
    "--server-id",
    SERVER_IP,
  ];
}

/** Runs one load point over all the clients of `t` and returns the generator's figures. */
export async function runLoad(t: Topology, p: LoadPoint): Promise<LoadResult> {
  const args = [
    "--mode",
    p.mode,
    "--count",
    String(t.n),
    "--concurrency",
    String(p.c),
    "--duration",
    String(p.duration),
    "--warmup",
    String(p.warmup),
    "--timeout-ms",
    String(p.timeoutMs),
    "--pid",
    String(p.serverPid),
    ...addrArgs(),
  ];
  if (p.mode === "rs") args.push("--prefix6", PREFIX6, "--hv-mac-base", HV_MAC_BASE);
  if (p.mode === "inforeq") args.push("--expect-dns6");
  if (p.raWatch) args.push("--ra-watch", "--prefix6", PREFIX6, "--hv-mac-base", HV_MAC_BASE);
  const r = await nsExec(t.cl, LOADGEN, args, {
    timeoutMs: (p.duration + p.warmup + p.timeoutMs / 1000 + 20) * 1000,
  });
  return JSON.parse(r.stdout) as LoadResult;
}

/**
 * Retries one DHCPv4 exchange on client `index` of `t` every 100 ms until it is valid (the server
 * serves that client), `seconds` at most; returns how long that took, in ms.
 */
export async function probe(t: Topology, index: number, seconds: number): Promise<number> {
  const r = await nsExec(t.cl, LOADGEN, [
    "--mode",
    "probe",
    "--count",
    String(t.n),
    "--probe-index",
    String(index),
    "--duration",
    String(seconds),
    ...addrArgs(),
  ], { allowFail: true, timeoutMs: (seconds + 10) * 1000 });
  if (r.code !== 0) {
    throw new BenchError(`no valid DHCPv4 exchange on c${index} within ${seconds} s: ${r.stdout}`);
  }
  return (JSON.parse(r.stdout) as { ms: number }).ms;
}
