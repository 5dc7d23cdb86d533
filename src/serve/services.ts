/**
 * The services nfdhcpd runs, one row each: its queue setting, its name in logs and metrics, the
 * packets it takes and its responder. The daemon, the dispatcher, the firewall rules, `status` and
 * the metrics all read this table; adding a protocol is one responder file and one row here.
 */
import type { Config } from "../config/types.ts";
import { IP_PROTOCOL_UDP } from "../wire/ipv4.ts";
import { NEXT_HEADER_ICMPV6, NEXT_HEADER_UDP } from "../wire/ipv6.ts";
import { ICMPV6_TYPE } from "../wire/icmpv6.ts";
import { DHCP4_SERVER_PORT } from "../wire/dhcp4.ts";
import { DHCP6_SERVER_PORT } from "../wire/dhcp6.ts";
import { dhcp4Responder } from "./dhcp4.ts";
import { dhcp6Responder } from "./dhcp6.ts";
import { neighbourSolicitationResponder } from "./neighbour.ts";
import { OTHER } from "./packet_report.ts";
import type { PacketKind, Responder } from "./responder.ts";
import { routerSolicitationResponder } from "./router_advert.ts";

/** The services' names, as logs, counters, metrics labels and firewall plans say them. */
export type ServiceName = "dhcp4" | "rs" | "ns" | "dhcp6";

/** One service: everything about it that is not how it answers (that is its responder's). */
export interface Service {
  readonly name: ServiceName;
  /** What it is called in the firewall rules' comments. */
  readonly label: string;
  /** The packets it takes, told from their headers (see `packetKind`). */
  readonly answers: PacketKind;
  /** Its NFQUEUE as the configuration sets it, or null when it gets none (the service is off). */
  queue(config: Config): number | null;
  /** Whether the configuration turns it on: a packet of a service that is off is passed on. */
  enabled(config: Config): boolean;
  /** The `why` of passing a packet on when the service is off. */
  readonly disabledWhy: string;
  /** A request's type before its responder reads it: what the packet's headers tell. */
  readonly requestType: string;
  readonly responder: Responder;
}

const ipv6On = (config: Config) => config.ipv6.enable;

/** Every service, in the order the queues are listed (DHCPv4 first, as the original). */
export const SERVICES: readonly Service[] = Object.freeze(
  [
    {
      name: "dhcp4",
      label: "DHCPv4",
      answers: { ipVersion: 4, protocol: IP_PROTOCOL_UDP, port: DHCP4_SERVER_PORT, icmpType: null },
      queue: (config: Config) => config.dhcp.enable ? config.dhcp.queue : null,
      enabled: (config: Config) => config.dhcp.enable,
      disabledWhy: "DHCP is disabled",
      requestType: OTHER,
      responder: dhcp4Responder,
    },
    {
      name: "rs",
      label: "RS",
      answers: {
        ipVersion: 6,
        protocol: NEXT_HEADER_ICMPV6,
        port: null,
        icmpType: ICMPV6_TYPE.routerSolicitation,
      },
      queue: (config: Config) => config.ipv6.enable ? config.ipv6.rsQueue : null,
      enabled: ipv6On,
      disabledWhy: "IPv6 is disabled",
      requestType: "RS",
      responder: routerSolicitationResponder,
    },
    {
      name: "ns",
      label: "NS",
      answers: {
        ipVersion: 6,
        protocol: NEXT_HEADER_ICMPV6,
        port: null,
        icmpType: ICMPV6_TYPE.neighbourSolicitation,
      },
      queue: (config: Config) => config.ipv6.enable ? config.ipv6.nsQueue : null,
      enabled: ipv6On,
      disabledWhy: "IPv6 is disabled",
      requestType: "NS",
      responder: neighbourSolicitationResponder,
    },
    {
      name: "dhcp6",
      label: "DHCPv6",
      answers: { ipVersion: 6, protocol: NEXT_HEADER_UDP, port: DHCP6_SERVER_PORT, icmpType: null },
      queue: (config: Config) => config.ipv6.enable ? config.ipv6.dhcpv6Queue : null,
      enabled: ipv6On,
      disabledWhy: "IPv6 is disabled",
      requestType: OTHER,
      responder: dhcp6Responder,
    },
  ] satisfies Service[],
);

/** The service named `name`. */
export function service(name: ServiceName): Service {
  return SERVICES.find((s) => s.name === name)!;
}

/** One queue the configuration asks for, and the service on it. */
export interface ServiceQueue {
  readonly queue: number;
  readonly service: Service;
}

/** The queues the configuration asks for, with their services, in the table's order. */
export function serviceQueues(config: Config): ServiceQueue[] {
  const out: ServiceQueue[] = [];
  for (const s of SERVICES) {
    const queue = s.queue(config);
    if (queue !== null) out.push({ queue, service: s });
  }
  return out;
}

/** Whether `name` has a queue in `config`, i.e. whether its requests reach the daemon at all. */
export function isQueued(name: ServiceName, config: Config): boolean {
  return service(name).queue(config) !== null;
}
