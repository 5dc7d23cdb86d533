/**
 * What a responder read from a request and wrote in its reply: the one read of each packet, which
 * the counters, `trace` and `replay` take their message types and option codes from.
 */
import { DHCP6_OPTION } from "../wire/dhcp6_options.ts";
import type { Dhcp6Option } from "../wire/dhcp6_options.ts";
import { ND_OPTION, type NdMessage, type NdOption } from "../wire/ndp.ts";
import type { Dhcp4Message } from "../wire/dhcp4.ts";
import type { Dhcp6Message, Dhcp6Relay } from "../wire/dhcp6.ts";
import type { Ipv4Packet } from "../wire/ipv4.ts";
import type { Ipv6Packet } from "../wire/ipv6.ts";
import type { UdpDatagram } from "../wire/udp.ts";

/** The label of a type that is not one of the names below (and of what no responder read). */
export const OTHER = "other";

/** RFC 2132 option 53 values, as operators say them (the counters' labels). */
const DHCP4_TYPES: readonly string[] = [
  OTHER,
  "DISCOVER",
  "OFFER",
  "REQUEST",
  "DECLINE",
  "ACK",
  "NAK",
  "RELEASE",
  "INFORM",
];

/** RFC 8415 message types 1 to 13. */
const DHCP6_TYPES: readonly string[] = [
  OTHER,
  "SOLICIT",
  "ADVERTISE",
  "REQUEST",
  "CONFIRM",
  "RENEW",
  "REBIND",
  "REPLY",
  "RELEASE",
  "DECLINE",
  "RECONFIGURE",
  "INFORMATION-REQUEST",
  "RELAY-FORW",
  "RELAY-REPL",
];

/** The label of DHCPv4 message type `code` (option 53); null (plain BOOTP) is "other". */
export function dhcp4TypeLabel(code: number | null): string {
  return code === null ? OTHER : DHCP4_TYPES[code] ?? OTHER;
}

/** The label of DHCPv6 message type `code`. */
export function dhcp6TypeLabel(code: number): string {
  return DHCP6_TYPES[code] ?? OTHER;
}

/** The code of a DHCPv6 option, as it goes on the wire. */
export function dhcp6OptionCode(o: Dhcp6Option): number {
  return o.kind === "unknown" ? o.code : DHCP6_OPTION[o.kind];
}

/** The type of a Neighbor Discovery option, as it goes on the wire. */
export function ndOptionType(o: NdOption): number {
  return o.kind === "unknown" ? o.type : ND_OPTION[o.kind];
}

/**
 * What a responder read from one request. The caller owns one, resets it before each packet with
 * the type its headers already tell (RS, NS; "other" for DHCP), and reads it after the decision;
 * the responder fills it in once it has parsed the request, so a request that does not parse
 * keeps the reset values. `clientId` and `requested` are views of the request: valid only while it is.
 */
export class RequestReport {
  type = OTHER;
  /** The client identifier: DHCPv4 option 61, DHCPv6 option 1 (its DUID's bytes). */
  clientId: Uint8Array | null = null;
  /** The options the client asked for: DHCPv4 option 55, DHCPv6 option 6; null when none. */
  requested: ArrayLike<number> | null = null;
  /**
   * The request as its responder parsed it (one of the three, once it parsed), for whoever
   * describes it (`replay`) without reading the packet again; the parse's own objects.
   */
  dhcp4:
    | { readonly ip: Ipv4Packet; readonly udp: UdpDatagram; readonly dhcp: Dhcp4Message }
    | null = null;
  dhcp6:
    | {
      readonly ip: Ipv6Packet;
      readonly udp: UdpDatagram;
      readonly dhcp: Dhcp6Message | Dhcp6Relay;
    }
    | null = null;
  nd: { readonly ip: Ipv6Packet; readonly message: NdMessage } | null = null;

  /** Forgets the last packet's; `type` is what the packet's headers already tell. */
  reset(type: string): void {
    this.type = type;
    this.clientId = null;
    this.requested = null;
    this.dhcp4 = null;
    this.dhcp6 = null;
    this.nd = null;
  }

  /** What the responder read. */
  read(type: string, clientId: Uint8Array | null, requested: ArrayLike<number> | null): void {
    this.type = type;
    this.clientId = clientId;
    this.requested = requested;
  }
}

/** What a reply carries, as its responder wrote it. */
export interface ReplyReport {
  /** The reply's type: "OFFER", "ACK", "ADVERTISE", "RA", "NA"... */
  readonly type: string;
  /** The address a DHCPv4 reply gives (yiaddr) as an unsigned number; 0 for none. */
  readonly address: number;
  /**
   * The codes of the options written, in the order written: DHCPv4 option codes, DHCPv6 option
   * codes (top level), Neighbor Discovery option types.
   */
  readonly options: readonly number[];
}
