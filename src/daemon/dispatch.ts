/** The packet path: queued packet -> binding -> responder -> reply frame and exactly one verdict. */
import type { QueuedPacket, Verdict } from "../../ffi/nfqueue.ts";
import type { Binding } from "../bindings/binding.ts";
import type { Config } from "../config/types.ts";
import type { Decision, InterfaceInfo, RefusalReason } from "../serve/decision.ts";
import { decidePacket, labelsOf, serviceFor } from "../serve/decide.ts";
import type { ReplyMemo } from "../serve/memo.ts";
import { OTHER, RequestReport } from "../serve/packet_report.ts";
import type { FrameAllocator } from "../wire/ethernet.ts";
import { formatMac } from "../address.ts";
import { type Activity, type DispatchStats, Traffic } from "../metrics/traffic.ts";
import type { TraceEvent } from "../metrics/trace_event.ts";
import type { Logger } from "./log.ts";

/** What the dispatcher needs from the edges; all synchronous and cached. */
export interface DispatchDeps {
  readonly binding: (tap: string) => Binding | undefined;
  readonly interfaceName: (ifindex: number) => string | undefined;
  readonly interfaceInfo: (name: string) => (InterfaceInfo & { ifindex: number }) | undefined;
  readonly send: (ifindex: number, frame: Uint8Array) => string | null;
  readonly config: () => Config;
  readonly log: Logger;
  /** The reply memo and frame allocator the daemon owns. */
  readonly memo: ReplyMemo;
  readonly frames: FrameAllocator;
  /** The clock, in milliseconds since the epoch (`Date.now` unless a test sets it). */
  readonly now?: () => number;
}

/** How often the wall clock is read again (it may be stepped): the times shown are this exact. */
const CLOCK_RESYNC_MS = 1000;

/**
 * Decides each queued packet; never throws, always returns a verdict. Everything it does runs
 * inside one try: whatever throws (a lookup, a responder, a send), the packet is dropped, counted
 * as an error and logged; a bound VM's request never passes on to the host by a bug.
 */
export class Dispatcher {
  readonly stats: DispatchStats = { replies: 0, drops: 0, passes: 0, errors: 0 };
  /** Counts by protocol and type, reply latency, each TAP's last request, reply and refusal. */
  readonly traffic = new Traffic();
  /** Set while a `trace` client listens: the packet path pays one null check otherwise. */
  trace: ((event: TraceEvent) => void) | null = null;
  /** What the responder read from the packet being handled (one, reset per packet). */
  readonly #report = new RequestReport();
  /** Why the last reply could not be sent (null: it was), for the trace. */
  #sendError: string | null = null;
  /**
   * Date.now() − performance.now(), re-read every CLOCK_RESYNC_MS: the packet path reads one clock
   * per packet (performance.now(), for the reply latency too) and still follows wall-clock steps.
   */
  #epochOffset = 0;
  #offsetReadAt = -Infinity;

  constructor(private readonly deps: DispatchDeps) {}

  /** Drops of bound TAPs' packets by reason (see `RefusalReason`), summed over the protocols. */
  get refusals(): Map<RefusalReason, number> {
    const totals = new Map<RefusalReason, number>();
    for (const byReason of this.traffic.refused.values()) {
      for (const [reason, n] of byReason) {
        totals.set(reason as RefusalReason, (totals.get(reason as RefusalReason) ?? 0) + n);
      }
    }
    return totals;
  }

  /** The handler given to NfQueue. */
  handle(packet: QueuedPacket): Verdict {
    const { deps } = this;
    let binding: Binding | undefined;
    try {
      // The TAP is the physical in-device when bridged, else the in-device.
      const tapIndex = packet.physindev || packet.indev;
      const tap = deps.interfaceName(tapIndex);
      binding = tap === undefined ? undefined : deps.binding(tap);
      if (binding === undefined) {
        this.stats.passes++;
        return "accept";
      }
      return this.#serve(packet, tapIndex, binding);
    } catch (e) {
      // Only a lookup can get here (#serve catches its own): which interface the packet came
      // from is unknown, so it may be a bound VM's and is dropped.
      this.#failed(binding?.tap ?? `interface ${packet.physindev || packet.indev}`, e);
      return "drop";
    }
  }

  /** Decides and carries out a bound TAP's packet; a throw anywhere in it drops the packet. */
  #serve(packet: QueuedPacket, tapIndex: number, binding: Binding): Verdict {
    const started = performance.now();
    const now = this.deps.now?.() ?? this.#wallClock(started);
    const report = this.#report;
    report.reset(OTHER);
    let protocol = OTHER;
    let decision: Decision | null = null;
    let activity: Activity | null = null;
    try {
      const row = serviceFor(packet.payload);
      protocol = labelsOf(row).protocol;
      decision = decidePacket(packet, binding, this.deps, now, row, report);
      activity = this.traffic.request(binding.tap, protocol, report.type, now);
      return this.#carryOut(decision, packet, tapIndex, binding, activity, started);
    } catch (e) {
      // A bug must not let a bound VM's request through to whatever else listens: drop it.
      activity ??= this.traffic.request(binding.tap, protocol, report.type, now);
      this.#failed(binding.tap, e);
      decision = null;
      return "drop";
    } finally {
      if (this.trace !== null && activity !== null) {
        this.#traced(this.trace, decision, packet, activity, now);
      }
    }
  }

  #failed(where: string, e: unknown): void {
    this.stats.errors++;
    this.deps.log.limited(
      "error",
      "dispatch-error",
      `Cannot answer packet on ${where}: ${e instanceof Error ? e.stack : e}`,
    );
  }

  /** Milliseconds since the epoch at `monotonic` (a performance.now() reading). */
  #wallClock(monotonic: number): number {
    if (monotonic - this.#offsetReadAt >= CLOCK_RESYNC_MS) {
      this.#offsetReadAt = monotonic;
      this.#epochOffset = Date.now() - performance.now();
    }
    return this.#epochOffset + monotonic;
  }

  #carryOut(
    decision: Decision,
    packet: QueuedPacket,
    tapIndex: number,
    binding: Binding,
    activity: Activity,
    started: number,
  ): Verdict {
    const { log } = this.deps;
    switch (decision.kind) {
      case "ignore":
        this.stats.passes++;
        if (log.enabled("debug")) log.debug(`${binding.tap}: passed on: ${decision.why}`);
        return "accept";
      case "drop":
        this.stats.drops++;
        this.traffic.refusedOne(activity, decision.reason, decision.why, activity.requestAt);
        this.#logRefusal(decision.reason, decision.why, packet, activity);
        return "drop";
      case "reply": {
        const error = this.#sendError = this.deps.send(tapIndex, decision.frame);
        if (error !== null) {
          this.stats.errors++;
          log.limited("warning", `send-${binding.tap}`, `${decision.why}: ${error}`);
        } else {
          this.stats.replies++;
          const { wrote } = decision;
          this.traffic.replied(
            activity,
            wrote.type,
            wrote.address,
            decision.why,
            activity.requestAt,
            (performance.now() - started) / 1000,
          );
          // One line per served request, but a VM (or a flood) cannot make more than 30 a minute.
          log.limited("info", binding.tap, decision.why, 30);
          if (decision.debug !== undefined && log.enabled("debug")) {
            log.debug(`${binding.tap}: ${decision.debug}`);
          }
        }
        return "drop";
      }
    }
  }

  /**
   * A refusal is what an operator looks for when a VM gets no address: logged at info with the TAP,
   * the reason and the frame's source MAC, at most 10 a minute per TAP (every one with -d).
   */
  #logRefusal(reason: RefusalReason, why: string, packet: QueuedPacket, a: Activity): void {
    const { log } = this.deps;
    if (!log.enabled("info")) return;
    const source = packet.hwSource();
    const line = `${a.tap}: dropped (${reason}): ${why} (source MAC ${
      source === null ? "unknown" : formatMac(source)
    })`;
    if (log.enabled("debug")) log.debug(line);
    else log.limited("info", a.logKey, line, 10);
  }

  /** Hands the trace what became of the request; a failing trace must not change the verdict. */
  #traced(
    trace: (event: TraceEvent) => void,
    decision: Decision | null,
    packet: QueuedPacket,
    a: Activity,
    at: number,
  ): void {
    const sent = decision?.kind === "reply" && this.#sendError === null;
    const failed = decision === null || (decision.kind === "reply" && !sent);
    const report = this.#report;
    try {
      const source = packet.hwSource();
      trace({
        at,
        tap: a.tap,
        protocol: a.requestProtocol,
        requestType: a.requestType,
        mac: source === null ? null : formatMac(source),
        clientId: report.clientId === null ? null : formatMac(report.clientId),
        requested: report.requested === null ? null : Array.from(report.requested),
        outcome: failed ? "error" : decision.kind === "ignore" ? "pass" : decision.kind,
        replyType: sent ? a.replyType : null,
        address: sent ? a.replyAddress : 0,
        options: sent ? decision.wrote.options : null,
        reason: decision?.kind === "drop" ? decision.reason : null,
        why: decision === null
          ? "failed (see the log)"
          : sent || decision.kind !== "reply"
          ? decision.why
          : `${decision.why}: ${this.#sendError}`,
      });
    } catch (e) {
      this.deps.log.limited(
        "error",
        "trace",
        `Cannot trace: ${e instanceof Error ? e.message : e}`,
      );
    }
  }
}
