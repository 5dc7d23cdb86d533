/** The packet path: queued packet -> binding -> responder -> reply frame and exactly one verdict. */
import type { QueuedPacket, Verdict } from "../../ffi/nfqueue.ts";
import type { Binding } from "../bindings/binding.ts";
import type { Config } from "../config/types.ts";
import {
  type Decision,
  type InterfaceInfo,
  type RefusalReason,
  refuse,
  replyMtu,
} from "../serve/decision.ts";
import { dhcp4Responder } from "../serve/dhcp4.ts";
import { dhcp6Responder } from "../serve/dhcp6.ts";
import type { ReplyMemo } from "../serve/memo.ts";
import { neighbourSolicitationResponder } from "../serve/neighbour.ts";
import { type Responder, responderFor } from "../serve/responder.ts";
import { routerSolicitationResponder } from "../serve/router_advert.ts";
import { ETHERNET_HEADER_LENGTH, type FrameAllocator } from "../wire/ethernet.ts";
import { formatMac } from "../address.ts";
import { dhcp4ReplyAddress, OTHER, replyType, requestType } from "../metrics/message_type.ts";
import { type Activity, Traffic } from "../metrics/traffic.ts";
import type { Logger } from "./log.ts";

/** Every protocol we answer: adding one is adding its responder module and a row here. */
export const RESPONDERS: readonly Responder[] = Object.freeze([
  dhcp4Responder,
  routerSolicitationResponder,
  neighbourSolicitationResponder,
  dhcp6Responder,
]);

/** The name of the responder that answers an IP packet, or null for anything we do not serve. */
export function classify(p: Uint8Array): string | null {
  const row = responderFor(RESPONDERS, p);
  return "answer" in row ? row.name : null;
}

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

/** One request from a bound TAP and what became of it, as `nfdhcpd trace` shows it. */
export interface TraceEvent {
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly tap: string;
  readonly protocol: string;
  readonly requestType: string;
  /** The frame's Ethernet source, when the queue gave one. */
  readonly mac: string | null;
  readonly outcome: "reply" | "drop" | "pass" | "error";
  /** The reply's type, for `reply`. */
  readonly replyType: string | null;
  /** The address a DHCPv4 reply gave (0: none). */
  readonly address: number;
  /** The refusal's kind, for `drop`. */
  readonly reason: RefusalReason | null;
  readonly why: string;
}

/** How often the wall clock is read again (it may be stepped): the times shown are this exact. */
const CLOCK_RESYNC_MS = 1000;

/** Counters for statistics and SIGUSR1. */
export interface DispatchStats {
  replies: number;
  drops: number;
  passes: number;
  errors: number;
}

/** Decides each queued packet; never throws, always returns a verdict. */
export class Dispatcher {
  readonly stats: DispatchStats = { replies: 0, drops: 0, passes: 0, errors: 0 };
  /** Counts by protocol and type, reply latency, each TAP's last request, reply and refusal. */
  readonly traffic = new Traffic();
  /** Set while a `trace` client listens: the packet path pays one null check otherwise. */
  trace: ((event: TraceEvent) => void) | null = null;
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
    // The TAP is the physical in-device when bridged, else the in-device.
    const tapIndex = packet.physindev || packet.indev;
    const tap = deps.interfaceName(tapIndex);
    const binding = tap === undefined ? undefined : deps.binding(tap);
    if (binding === undefined) {
      this.stats.passes++;
      return "accept";
    }
    const started = performance.now();
    const now = deps.now?.() ?? this.#wallClock(started);
    const { payload } = packet;
    const responder = responderFor(RESPONDERS, payload);
    const protocol = "answer" in responder ? responder.name : OTHER;
    const activity = this.traffic.request(
      binding.tap,
      protocol,
      requestType(protocol, payload),
      now,
    );
    let decision: Decision | null = null;
    try {
      decision = this.#decide(packet, binding, responder, now);
      return this.#carryOut(decision, packet, tapIndex, binding, activity, started);
    } catch (e) {
      // A bug must not let a bound VM's request through to whatever else listens: drop it.
      this.stats.errors++;
      deps.log.limited(
        "error",
        "dispatch-error",
        `Cannot answer packet on ${binding.tap}: ${e instanceof Error ? e.stack : e}`,
      );
      decision = null;
      return "drop";
    } finally {
      if (this.trace !== null) this.#traced(this.trace, decision, packet, activity, now);
    }
  }

  /** Milliseconds since the epoch at `monotonic` (a performance.now() reading). */
  #wallClock(monotonic: number): number {
    if (monotonic - this.#offsetReadAt >= CLOCK_RESYNC_MS) {
      this.#offsetReadAt = monotonic;
      this.#epochOffset = Date.now() - performance.now();
    }
    return this.#epochOffset + monotonic;
  }

  #decide(
    packet: QueuedPacket,
    binding: Binding,
    responder: ReturnType<typeof responderFor>,
    now: number,
  ): Decision {
    return decidePacket(packet, binding, this.deps, now, responder);
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
          const { frame } = decision;
          const protocol = activity.requestProtocol;
          this.traffic.replied(
            activity,
            replyType(protocol, frame),
            protocol === "dhcp4" ? dhcp4ReplyAddress(frame) : 0,
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
    try {
      const source = packet.hwSource();
      trace({
        at,
        tap: a.tap,
        protocol: a.requestProtocol,
        requestType: a.requestType,
        mac: source === null ? null : formatMac(source),
        outcome: failed ? "error" : decision.kind === "ignore" ? "pass" : decision.kind,
        replyType: sent ? a.replyType : null,
        address: sent ? a.replyAddress : 0,
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

/** What deciding a packet needs from the edges: the daemon's `DispatchDeps`, or replay's own. */
export interface DecisionDeps {
  readonly config: () => Config;
  readonly interfaceInfo: (name: string) => InterfaceInfo | undefined;
  readonly memo: ReplyMemo;
  readonly frames: FrameAllocator;
}

/**
 * The decision for one IP packet from a bound TAP. The daemon's packet path and `nfdhcpd replay`
 * both take it from here, so a replayed capture is answered exactly as the daemon answers it.
 * `responder` is the packet's row of RESPONDERS when the caller has looked it up already.
 */
export function decidePacket(
  packet: { readonly payload: Uint8Array; hwSource(): Uint8Array | null },
  binding: Binding,
  deps: DecisionDeps,
  now: number,
  responder: ReturnType<typeof responderFor> = responderFor(RESPONDERS, packet.payload),
): Decision {
  // The firewall rules queue only what we serve, but a bound VM must not reach whatever else
  // listens on the host even if they match more: what we cannot tell apart is dropped.
  if (!("answer" in responder)) return refuse(responder.reason, responder.why);
  const config = deps.config();
  // Deliberate: the operator turned the service off, so the request goes on to the host.
  if (!responder.enabled(config)) return { kind: "ignore", why: responder.disabledWhy };
  const indev = deps.interfaceInfo(binding.indev);
  if (indev === undefined) {
    return refuse("no-interface", `INDEV ${binding.indev} of ${binding.tap} does not exist`);
  }
  const decision = responder.answer(packet.payload, {
    binding,
    config,
    indev,
    hwSource: packet.hwSource(),
    now,
    memo: deps.memo,
    frames: deps.frames,
  });
  return fitsLink(decision, binding, indev);
}

/** The one place every reply passes: a frame the link cannot carry is never sent. */
function fitsLink(decision: Decision, binding: Binding, iface: InterfaceInfo): Decision {
  if (decision.kind !== "reply") return decision;
  const mtu = replyMtu(binding.mtu, iface);
  const size = decision.frame.length - ETHERNET_HEADER_LENGTH;
  if (size <= mtu) return decision;
  return refuse("too-large", `${decision.why}: reply of ${size} bytes exceeds the MTU ${mtu}`);
}
