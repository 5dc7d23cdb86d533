/** The answers to `status` and `clients`, built from the daemon's parts when a client asks. */
import { formatIpv4 } from "../address.ts";
import type { Binding } from "../bindings/binding.ts";
import type { KernelQueue } from "../metrics/kernel_queue.ts";
import { countsObject, type DispatchStats, type Traffic } from "../metrics/traffic.ts";
import { ipv6Summary } from "../serve/ipv6_binding.ts";
import { VERSION } from "../version.ts";
import type { QueueReport, StatusReport } from "../metrics/status_report.ts";
import type { ClientReport } from "./protocol.ts";

/** How the daemon sets up each queue (see Daemon and NfQueue). */
export interface QueueSetup {
  readonly queue: number;
  readonly service: string;
  readonly maxLength: number;
  readonly copyRange: number;
  readonly failOpen: boolean;
}

/** What the reports read; the daemon gives it, tests give plain values. */
export interface DaemonView {
  readonly startedAt: number;
  readonly configPath: string;
  readonly queues: readonly QueueSetup[];
  /** The kernel's counters per queue, or null when they cannot be read. */
  readonly kernelQueues: () => ReadonlyMap<number, KernelQueue> | null;
  readonly packets: () => { packets: number; accepted: number; dropped: number; enobufs: number };
  /** The packet path's counters (the daemon's Dispatcher). */
  readonly dispatcher: { readonly stats: DispatchStats; readonly traffic: Traffic };
  readonly bindings: () => Iterable<Binding>;
  readonly bindingCount: () => number;
  /** Binding files present but not loaded. */
  readonly rejectedBindings: () => number;
  readonly tapExists: (tap: string) => boolean;
  /** Binding files changing now (read once they stop), by name; absent: none. */
  readonly changingBindings?: () => ReadonlyMap<string, number>;
  readonly lastReload: () => StatusReport["lastReload"];
  readonly now?: () => number;
}

function queueReport(q: QueueSetup, kernel: KernelQueue | undefined | null): QueueReport {
  return {
    queue: q.queue,
    service: q.service,
    copy: `packet ${q.copyRange}`,
    maxLength: q.maxLength,
    failOpen: q.failOpen,
    waiting: kernel?.waiting ?? null,
    queueDropped: kernel?.queueDropped ?? null,
    socketDropped: kernel?.userDropped ?? null,
  };
}

/** The answer to `status`. */
export function statusReport(view: DaemonView): StatusReport {
  const kernel = view.kernelQueues();
  const p = view.packets();
  const stats: DispatchStats = view.dispatcher.stats;
  const { traffic } = view.dispatcher;
  const { latency } = traffic;
  return {
    version: VERSION,
    pid: Deno.pid,
    startedAt: view.startedAt,
    now: view.now?.() ?? Date.now(),
    configPath: view.configPath,
    queues: view.queues.map((q) => queueReport(q, kernel === null ? null : kernel.get(q.queue))),
    bindings: { loaded: view.bindingCount(), rejected: view.rejectedBindings() },
    packets: { received: p.packets, accepted: p.accepted, dropped: p.dropped, enobufs: p.enobufs },
    requests: countsObject(traffic.requests),
    replies: countsObject(traffic.replies),
    refused: countsObject(traffic.refused),
    passed: stats.passes,
    errors: stats.errors,
    latency: {
      bounds: latency.bounds,
      counts: [...latency.counts],
      sum: latency.sum,
      count: latency.count,
    },
    lastReload: view.lastReload(),
  };
}

/** One binding's line of `clients`. */
function clientReport(
  b: Binding,
  view: DaemonView,
  changing: ReadonlyMap<string, number>,
): ClientReport {
  const a = view.dispatcher.traffic.activity(b.tap);
  const { addresses, prefixes } = ipv6Summary(b);
  const flags = [
    ...(b.private ? ["PRIVATE"] : []),
    ...(b.macspoof ? ["MACSPOOF"] : []),
    // Its file is being changed: what is served is the last version read.
    ...(changing.has(b.tap) ? ["CHANGING"] : []),
  ];
  return {
    tap: b.tap,
    present: view.tapExists(b.tap),
    mac: b.macText,
    ipv4: b.ip === null ? null : formatIpv4(b.ip),
    ipv6: addresses[0] ?? null,
    addresses6: addresses,
    prefixes6: prefixes,
    hostname: b.hostname,
    flags,
    lastRequest: a === undefined || a.requestAt === 0
      ? null
      : { protocol: a.requestProtocol, type: a.requestType, at: a.requestAt },
    lastReply: a === undefined || a.replyAt === 0 ? null : {
      type: a.replyType,
      address: a.replyAddress === 0 ? null : formatIpv4(a.replyAddress),
      at: a.replyAt,
    },
    lastRefusal: a === undefined || a.refusalReason === null
      ? null
      : { reason: a.refusalReason, why: a.refusalWhy, at: a.refusalAt },
  };
}

/** The answer to `clients`: every binding (or `tap`'s alone), sorted by TAP. */
export function clientsReport(view: DaemonView, tap: string | null): { clients: ClientReport[] } {
  const bindings = [...view.bindings()].filter((b) => tap === null || b.tap === tap);
  bindings.sort((x, y) => (x.tap < y.tap ? -1 : x.tap > y.tap ? 1 : 0));
  const changing = view.changingBindings?.() ?? new Map<string, number>();
  return { clients: bindings.map((b) => clientReport(b, view, changing)) };
}
