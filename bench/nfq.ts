/** Bench NFQUEUE counters: read the kernel's per-queue figures and what changed during a point. */

import { nsExec } from "./exec.ts";
import type { Topology } from "./topology.ts";

/** Per-queue counters from /proc/net/netfilter/nfnetlink_queue, by queue number. */
export interface NfqCounters {
  [queue: string]: { total: number; dropped: number; userDropped: number; seq: number };
}

/** Reads the NFQUEUE counters of the hypervisor namespace of `t`. */
export async function readNfq(t: Topology): Promise<NfqCounters> {
  const r = await nsExec(t.hv, "cat", ["/proc/net/netfilter/nfnetlink_queue"], {
    allowFail: true,
  });
  const out: NfqCounters = {};
  for (const line of r.stdout.split("\n")) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length >= 8 && Number.isFinite(f[0])) {
      out[String(f[0])] = { total: f[2]!, dropped: f[5]!, userDropped: f[6]!, seq: f[7]! };
    }
  }
  return out;
}

/** What changed between two readings, per queue (the shape of `nfq` in the JSON lines). */
export function nfqDelta(a: NfqCounters, b: NfqCounters): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  for (const [q, v] of Object.entries(b)) {
    const p = a[q] ?? { total: 0, dropped: 0, userDropped: 0, seq: 0 };
    d[q] = {
      packets: v.seq - p.seq,
      dropped: v.dropped - p.dropped,
      user_dropped: v.userDropped - p.userDropped,
      queued_now: v.total,
    };
  }
  return d;
}

/** Kernel drops (`dropped` + `user_dropped`) summed over the queues of a {@linkcode nfqDelta}. */
export function nfqDrops(d: Record<string, unknown>): number {
  let s = 0;
  for (const v of Object.values(d)) {
    const x = v as { dropped: number; user_dropped: number };
    s += x.dropped + x.user_dropped;
  }
  return s;
}
