/** The answer to `status`: the counters as the control socket sends them and the metrics read them. */

/** One queue: its number, the service on it, and how it is set up and doing. */
export interface QueueReport {
  readonly queue: number;
  readonly service: string;
  /** NFQUEUE copy mode and range: the whole packet, up to 65535 bytes. */
  readonly copy: string;
  readonly maxLength: number;
  /** false: when the queue is full the kernel drops packets (the default, fail-closed). */
  readonly failOpen: boolean;
  /** From /proc/net/netfilter/nfnetlink_queue, null when it cannot be read. */
  readonly waiting: number | null;
  /** Dropped by the kernel because the queue was full. */
  readonly queueDropped: number | null;
  /** Dropped by the kernel because our socket's buffer was full (netlink overrun). */
  readonly socketDropped: number | null;
}

/** Counts by protocol, then by type or reason. */
export type Counts = Record<string, Record<string, number>>;

/** The reply-latency histogram: per-bucket (not cumulative) counts, the last one for +Inf. */
export interface LatencyReport {
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/** The answer to `status`. Times are milliseconds since the epoch. */
export interface StatusReport {
  readonly version: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly now: number;
  readonly configPath: string;
  readonly queues: readonly QueueReport[];
  readonly bindings: { readonly loaded: number; readonly rejected: number };
  /** What NfQueue saw: every packet, with its verdict. */
  readonly packets: {
    readonly received: number;
    readonly accepted: number;
    readonly dropped: number;
    readonly enobufs: number;
  };
  readonly requests: Counts;
  readonly replies: Counts;
  readonly refused: Counts;
  /** Packets from unbound TAPs or of a disabled service, passed on; send and handler errors. */
  readonly passed: number;
  readonly errors: number;
  readonly latency: LatencyReport;
  readonly lastReload:
    | { readonly at: number; readonly ok: boolean; readonly detail: string }
    | null;
}
