/**
 * What the packet path counts: requests, replies and refusals by protocol and type or reason, the
 * reply latency, and each TAP's last request, reply and refusal. Updated in place per packet
 * (nothing allocated once a label or a TAP has been seen); read by `status`, `clients` and metrics.
 */
import type { RefusalReason } from "../serve/decision.ts";

/** Upper bounds (seconds) of the reply-latency buckets: a reply is usually tens of microseconds. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.00005,
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
];

/** A histogram of fixed buckets; `counts[i]` counts values in bucket i alone (not cumulative). */
export class Histogram {
  /** One more than the bounds: the last counts what exceeds every bound (+Inf). */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BUCKETS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** The dispatcher's verdict counters (for `status`, the metrics and SIGUSR2). */
export interface DispatchStats {
  replies: number;
  drops: number;
  passes: number;
  errors: number;
}

/** One TAP's latest traffic; times in milliseconds since the epoch, 0 for never. */
export interface Activity {
  readonly tap: string;
  /** The key its refusal log lines are rate-limited by. */
  readonly logKey: string;
  requestProtocol: string;
  requestType: string;
  requestAt: number;
  replyType: string;
  /** The address a DHCPv4 reply gave (yiaddr), 0 for none. */
  replyAddress: number;
  replyWhy: string;
  replyAt: number;
  refusalReason: RefusalReason | null;
  refusalWhy: string;
  refusalAt: number;
  requests: number;
  replies: number;
  refusals: number;
}

/** Counts by two labels: outer (protocol) and inner (type or reason). */
export type LabelledCounts = Map<string, Map<string, number>>;

function bump(counts: LabelledCounts, outer: string, inner: string): void {
  let row = counts.get(outer);
  if (row === undefined) counts.set(outer, row = new Map());
  row.set(inner, (row.get(inner) ?? 0) + 1);
}

/** The traffic record the dispatcher keeps; one per daemon. */
export class Traffic {
  readonly requests: LabelledCounts = new Map();
  readonly replies: LabelledCounts = new Map();
  readonly refused: LabelledCounts = new Map();
  readonly latency = new Histogram();
  readonly #byTap = new Map<string, Activity>();

  /** Counts a request from a bound TAP; returns its TAP's record for the outcome. */
  request(tap: string, protocol: string, type: string, now: number): Activity {
    bump(this.requests, protocol, type);
    let a = this.#byTap.get(tap);
    if (a === undefined) this.#byTap.set(tap, a = newActivity(tap));
    a.requestProtocol = protocol;
    a.requestType = type;
    a.requestAt = now;
    a.requests++;
    return a;
  }

  /** Counts a reply sent, `seconds` after its request reached the handler. */
  replied(
    a: Activity,
    type: string,
    address: number,
    why: string,
    now: number,
    seconds: number,
  ): void {
    bump(this.replies, a.requestProtocol, type);
    this.latency.observe(seconds);
    a.replyType = type;
    a.replyAddress = address;
    a.replyWhy = why;
    a.replyAt = now;
    a.replies++;
  }

  /** Counts a refused request. */
  refusedOne(a: Activity, reason: RefusalReason, why: string, now: number): void {
    bump(this.refused, a.requestProtocol, reason);
    a.refusalReason = reason;
    a.refusalWhy = why;
    a.refusalAt = now;
    a.refusals++;
  }

  /** The record of `tap`, if it sent anything since start. */
  activity(tap: string): Activity | undefined {
    return this.#byTap.get(tap);
  }

  /** Forgets the TAPs `keep` says no longer matter (their binding is gone): bounds the table. */
  prune(keep: (tap: string) => boolean): void {
    for (const tap of this.#byTap.keys()) if (!keep(tap)) this.#byTap.delete(tap);
  }
}

function newActivity(tap: string): Activity {
  return {
    tap,
    logKey: `refused ${tap}`,
    requestProtocol: "",
    requestType: "",
    requestAt: 0,
    replyType: "",
    replyAddress: 0,
    replyWhy: "",
    replyAt: 0,
    refusalReason: null,
    refusalWhy: "",
    refusalAt: 0,
    requests: 0,
    replies: 0,
    refusals: 0,
  };
}

/** Counts as nested plain objects (for JSON): `{ dhcp4: { DISCOVER: 3 } }`. */
export function countsObject(counts: LabelledCounts): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [outer, row] of counts) out[outer] = Object.fromEntries(row);
  return out;
}
