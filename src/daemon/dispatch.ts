/** The packet path: queued packet -> binding -> responder -> reply frame and exactly one verdict. */
import type { QueuedPacket, Verdict } from "../../ffi/nfqueue.ts";
import type { Binding } from "../bindings/binding.ts";
import type { Config } from "../config/types.ts";
import type { Decision, InterfaceInfo } from "../serve/decision.ts";
import { answerDhcp4Packet, isDhcp4Request } from "../serve/dhcp4.ts";
import { answerDhcp6 } from "../serve/dhcp6.ts";
import { answerNeighbourSolicitation } from "../serve/neighbour.ts";
import { answerRouterSolicitation } from "../serve/router_advert.ts";
import type { Logger } from "./log.ts";

/** Which service a queued packet asks for, told from a few fixed header bytes. */
export type Service = "dhcp4" | "rs" | "ns" | "dhcp6";

/** Classifies an IP packet without parsing it; null for anything we do not serve. */
export function classify(p: Uint8Array): Service | null {
  const version = p[0]! >> 4;
  if (version === 4) return isDhcp4Request(p) ? "dhcp4" : null;
  if (version === 6 && p.length >= 48) {
    if (p[6] === 58) {
      if (p[40] === 133) return "rs";
      if (p[40] === 135) return "ns";
    } else if (p[6] === 17 && ((p[42]! << 8) | p[43]!) === 547) return "dhcp6";
  }
  return null;
}

/** What the dispatcher needs from the edges; all synchronous and cached. */
export interface DispatchDeps {
  readonly binding: (tap: string) => Binding | undefined;
  readonly interfaceName: (ifindex: number) => string | undefined;
  readonly interfaceInfo: (name: string) => (InterfaceInfo & { ifindex: number }) | undefined;
  readonly send: (ifindex: number, frame: Uint8Array) => string | null;
  readonly config: () => Config;
  readonly log: Logger;
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
      const decision = this.#decide(packet.payload, binding);
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

  #decide(payload: Uint8Array, binding: Binding): Decision {
    const { deps } = this;
    const service = classify(payload);
    if (service === null) return { kind: "ignore", why: "not a request we serve" };
    const { dhcp, ipv6 } = deps.config();
    if (service === "dhcp4" ? !dhcp.enable : !ipv6.enable) {
      return { kind: "ignore", why: `${service === "dhcp4" ? "DHCP" : "IPv6"} is disabled` };
    }
    const iface = deps.interfaceInfo(binding.indev);
    if (iface === undefined) {
      return { kind: "drop", why: `INDEV ${binding.indev} of ${binding.tap} does not exist` };
    }
    switch (service) {
      case "dhcp4":
        return answerDhcp4Packet(payload, binding, dhcp, iface);
      case "rs":
        return answerRouterSolicitation(payload, binding, ipv6, iface);
      case "ns":
        return answerNeighbourSolicitation(payload, binding, ipv6, iface);
      case "dhcp6": {
        const lifetimes = { lifetime: dhcp.leaseLifetime, renewal: dhcp.leaseRenewal };
        return answerDhcp6(payload, binding, ipv6, iface, lifetimes);
      }
    }
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
        if (log.enabled("debug")) log.debug(`${binding.tap}: dropped: ${decision.why}`);
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
