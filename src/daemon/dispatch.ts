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
import { answerDhcp4Packet, isDhcp4Request } from "../serve/dhcp4.ts";
import { answerDhcp6 } from "../serve/dhcp6.ts";
import { answerNeighbourSolicitation } from "../serve/neighbour.ts";
import { answerRouterSolicitation } from "../serve/router_advert.ts";
import { DHCP6_SERVER_PORT } from "../wire/dhcp6.ts";
import { ETHERNET_HEADER_LENGTH } from "../wire/ethernet.ts";
import { IPV4_HEADER_LENGTH } from "../wire/ipv4.ts";
import {
  findUpperLayer,
  NEXT_HEADER_FRAGMENT,
  NEXT_HEADER_ICMPV6,
  NEXT_HEADER_UDP,
} from "../wire/ipv6.ts";
import type { Logger } from "./log.ts";

/** Which service a queued packet asks for, told from a few fixed header bytes. */
export type Service = "dhcp4" | "rs" | "ns" | "dhcp6";

/** Why a packet is none of the services: refused when it comes from a bound TAP. */
export interface Unserved {
  readonly reason: RefusalReason;
  readonly why: string;
}

const ICMPV6_ROUTER_SOLICITATION = 133;
const ICMPV6_NEIGHBOUR_SOLICITATION = 135;
const NOT_SERVED: Unserved = { reason: "unsupported", why: "not a request we serve" };
const IPV4_FRAGMENT: Unserved = { reason: "fragment", why: "IPv4 fragment" };
const IPV6_FRAGMENT: Unserved = { reason: "fragment", why: "IPv6 Fragment header" };

/**
 * Tells the service of an IP packet from its headers, without parsing the request. IPv6
 * extension headers are walked (bounded, every length checked) so a request behind a Hop-by-Hop
 * or Destination Options header is still ours; fragments and broken chains are not served.
 */
export function classifyPacket(p: Uint8Array): Service | Unserved {
  const version = p[0]! >> 4;
  if (version === 4) {
    if (isDhcp4Request(p)) return "dhcp4";
    return p.length >= IPV4_HEADER_LENGTH && ((p[6]! & 0x3f) | p[7]!) !== 0
      ? IPV4_FRAGMENT
      : NOT_SERVED;
  }
  if (version !== 6) return NOT_SERVED;
  const upper = findUpperLayer(p);
  if (!upper.ok) return { reason: "malformed", why: upper.error };
  const { protocol, offset, end } = upper.value;
  if (protocol === NEXT_HEADER_FRAGMENT) return IPV6_FRAGMENT;
  if (protocol === NEXT_HEADER_ICMPV6 && offset + 1 <= end) {
    if (p[offset] === ICMPV6_ROUTER_SOLICITATION) return "rs";
    if (p[offset] === ICMPV6_NEIGHBOUR_SOLICITATION) return "ns";
  } else if (protocol === NEXT_HEADER_UDP && offset + 4 <= end) {
    if (((p[offset + 2]! << 8) | p[offset + 3]!) === DHCP6_SERVER_PORT) return "dhcp6";
  }
  return NOT_SERVED;
}

/** The service of an IP packet, or null for anything we do not serve (see `classifyPacket`). */
export function classify(p: Uint8Array): Service | null {
  const c = classifyPacket(p);
  return typeof c === "string" ? c : null;
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
    const { deps } = this;
    const { payload } = packet;
    const service = classifyPacket(payload);
    // The firewall rules queue only what we serve, but a bound VM must not reach whatever else
    // listens on the host even if they match more: what we cannot tell apart is dropped.
    if (typeof service !== "string") return refuse(service.reason, service.why);
    const { dhcp, ipv6 } = deps.config();
    // Deliberate: the operator turned the service off, so the request goes on to the host.
    if (service === "dhcp4" ? !dhcp.enable : !ipv6.enable) {
      return { kind: "ignore", why: `${service === "dhcp4" ? "DHCP" : "IPv6"} is disabled` };
    }
    const iface = deps.interfaceInfo(binding.indev);
    if (iface === undefined) {
      return refuse("no-interface", `INDEV ${binding.indev} of ${binding.tap} does not exist`);
    }
    const hwSource = packet.hwSource();
    const decision = this.#answer(service, payload, binding, iface, hwSource);
    return fitsLink(decision, binding, iface);
  }

  #answer(
    service: Service,
    payload: Uint8Array,
    binding: Binding,
    iface: InterfaceInfo,
    hwSource: Uint8Array | null,
  ): Decision {
    const { dhcp, ipv6 } = this.deps.config();
    switch (service) {
      case "dhcp4":
        return answerDhcp4Packet(payload, binding, dhcp, iface, hwSource);
      case "rs":
        return answerRouterSolicitation(payload, binding, ipv6, iface, hwSource);
      case "ns":
        return answerNeighbourSolicitation(payload, binding, ipv6, iface, hwSource);
      case "dhcp6": {
        const lifetimes = { lifetime: dhcp.leaseLifetime, renewal: dhcp.leaseRenewal };
        return answerDhcp6(payload, binding, ipv6, iface, lifetimes, hwSource);
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

/** The one place every reply passes: a frame the link cannot carry is never sent. */
function fitsLink(decision: Decision, binding: Binding, iface: InterfaceInfo): Decision {
  if (decision.kind !== "reply") return decision;
  const mtu = replyMtu(binding.mtu, iface);
  const size = decision.frame.length - ETHERNET_HEADER_LENGTH;
  if (size <= mtu) return decision;
  return refuse("too-large", `${decision.why}: reply of ${size} bytes exceeds the MTU ${mtu}`);
}
