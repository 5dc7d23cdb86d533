/** Bench measurement: one load point against a running server, recorded and printed as a row. */

import { runLoad } from "./loadgen.ts";
import { nfqDelta, nfqDrops, readNfq } from "./nfq.ts";
import type { Mode, Options } from "./options.ts";
import { type Measurement, type Results, row } from "./report.ts";
import type { Running } from "./spawn.ts";
import type { Topology } from "./topology.ts";

/** Overrides of one point's defaults. */
export interface MeasureExtra {
  /** Record every RA and group them into rounds (the scale run). */
  raWatch?: boolean;
  /** Measured seconds (default `--duration`). */
  duration?: number;
  /** Warm-up seconds (default `--warmup`). */
  warmup?: number;
  /** The `bench` column (default from the mode: `dhcp4`, `rs`, `dhcp6-inforeq`). */
  bench?: string;
}

/**
 * Runs the load generator in `mode` with `c` exchanges in flight against `srv` on `t`, with the
 * NFQUEUE counters read around it; adds the measurement to `res`, prints its row, returns it.
 */
export async function measure(
  t: Topology,
  srv: Running,
  mode: Mode,
  c: number,
  rep: number,
  o: Options,
  res: Results,
  extra: MeasureExtra = {},
): Promise<Measurement> {
  const q0 = await readNfq(t);
  const lg = await runLoad(t, {
    mode,
    c,
    duration: extra.duration ?? o.duration,
    warmup: extra.warmup ?? o.warmup,
    timeoutMs: o.timeoutMs,
    serverPid: srv.pid,
    raWatch: extra.raWatch,
  });
  const q1 = await readNfq(t);
  const nfq = nfqDelta(q0, q1);
  const rec: Measurement = {
    run_id: res.runId,
    time: new Date().toISOString(),
    bench: extra.bench ?? { dora: "dhcp4", rs: "rs", inforeq: "dhcp6-inforeq" }[mode],
    server: srv.server,
    rep,
    ...lg,
    n: t.n,
    c,
    nfq,
    nfq_drops: nfqDrops(nfq),
  };
  await res.add(rec);
  await res.print(row(rec));
  return rec;
}
