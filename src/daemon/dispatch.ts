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
  /** Drops of bound TAPs' packets, counted by reason (see `RefusalReason`). */
  readonly refusals = new Map<RefusalReason, number>();

  constructor(private readonly deps: DispatchDeps) {}

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
    try {
      const decision = this.#decide(packet, binding);
      return this.#carryOut(decision, tapIndex, binding);
    } catch (e) {
      // A bug must not let a bound VM's request through to whatever else listens: drop it.
      this.stats.errors++;
      deps.log.limited(
        "error",
        "dispatch-error",
        `Cannot answer packet on ${binding.tap}: ${e instanceof Error ? e.stack : e}`,
      );
      return "drop";
    }
  }

  #decide(packet: QueuedPacket, binding: Binding): Decision {
    return decidePacket(packet, binding, this.deps, this.deps.now?.() ?? Date.now());
  }

  #carryOut(decision: Decision, tapIndex: number, binding: Binding): Verdict {
    const { log } = this.deps;
    switch (decision.kind) {
      case "ignore":
        this.stats.passes++;
        if (log.enabled("debug")) log.debug(`${binding.tap}: passed on: ${decision.why}`);
        return "accept";
      case "drop":
        this.stats.drops++;
        this.refusals.set(decision.reason, (this.refusals.get(decision.reason) ?? 0) + 1);
        if (log.enabled("debug")) {
          log.debug(`${binding.tap}: dropped (${decision.reason}): ${decision.why}`);
        }
        return "drop";
      case "reply": {
        const error = this.deps.send(tapIndex, decision.frame);
        if (error !== null) {
          this.stats.errors++;
          log.limited("warning", `send-${binding.tap}`, `${decision.why}: ${error}`);
        } else {
          this.stats.replies++;
          // One line per served request, but a VM (or a flood) cannot make more than 30 a minute.
          log.limited("info", binding.tap, decision.why, 30);
        }
        return "drop";
      }
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
