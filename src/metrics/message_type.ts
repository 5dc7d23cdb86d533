/**
 * The message type of a request or a reply, read from a few bytes without parsing it: the labels
 * of the traffic counters, the clients table and the trace. Never throws; "other" when unknown.
 */
import { ETHERNET_HEADER_LENGTH } from "../wire/ethernet.ts";
import { IPV6_HEADER_LENGTH, NEXT_HEADER_UDP } from "../wire/ipv6.ts";
import { UDP_HEADER_LENGTH } from "../wire/udp.ts";

/** The label of what is not one of the names below (and of packets no responder takes). */
export const OTHER = "other";

/** RFC 2132 option 53 values, as operators say them. */
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

/** What each ICMPv6 responder receives and sends: one type each. */
const ICMP_TYPES: Readonly<Record<string, readonly [string, string]>> = {
  rs: ["RS", "RA"],
  ns: ["NS", "NA"],
};

/** BOOTP's fixed part and the magic cookie: options start here. */
const BOOTP_OPTIONS_AT = 240;
const BOOTP_YIADDR_AT = 16;
const OPTION_PAD = 0;
const OPTION_END = 255;
const OPTION_MESSAGE_TYPE = 53;

/** The DHCPv4 message type (option 53) of the BOOTP message at `at`, or 0 when it has none. */
function dhcp4TypeAt(p: Uint8Array, at: number): number {
  let i = at + BOOTP_OPTIONS_AT;
  while (i < p.length) {
    const code = p[i]!;
    if (code === OPTION_END) return 0;
    if (code === OPTION_PAD) {
      i++;
      continue;
    }
    if (i + 1 >= p.length) return 0;
    const length = p[i + 1]!;
    if (code === OPTION_MESSAGE_TYPE) return length >= 1 && i + 2 < p.length ? p[i + 2]! : 0;
    i += 2 + length;
  }
  return 0;
}

/** Where the UDP payload of the IPv4 packet at `at` starts. */
function ipv4PayloadAt(p: Uint8Array, at: number): number {
  return at + ((p[at] ?? 0) & 0x0f) * 4 + UDP_HEADER_LENGTH;
}

function nameOf(table: readonly string[], code: number | undefined): string {
  return code === undefined ? OTHER : table[code] ?? OTHER;
}

/**
 * The type of a request (an IP packet) that the responder named `protocol` takes. A DHCPv6 request
 * behind IPv6 extension headers is "other": clients send none, and the label is only a label.
 */
export function requestType(protocol: string, p: Uint8Array): string {
  switch (protocol) {
    case "dhcp4":
      return nameOf(DHCP4_TYPES, dhcp4TypeAt(p, ipv4PayloadAt(p, 0)));
    case "dhcp6":
      return p[6] === NEXT_HEADER_UDP
        ? nameOf(DHCP6_TYPES, p[IPV6_HEADER_LENGTH + UDP_HEADER_LENGTH])
        : OTHER;
    default:
      return ICMP_TYPES[protocol]?.[0] ?? OTHER;
  }
}

/** The type of a reply frame (Ethernet) that the responder named `protocol` built. */
export function replyType(protocol: string, frame: Uint8Array): string {
  switch (protocol) {
    case "dhcp4":
      return nameOf(DHCP4_TYPES, dhcp4TypeAt(frame, ipv4PayloadAt(frame, ETHERNET_HEADER_LENGTH)));
    case "dhcp6":
      // Our replies carry no extension headers.
      return nameOf(
        DHCP6_TYPES,
        frame[ETHERNET_HEADER_LENGTH + IPV6_HEADER_LENGTH + UDP_HEADER_LENGTH],
      );
    default:
      return ICMP_TYPES[protocol]?.[1] ?? OTHER;
  }
}

/** The address a DHCPv4 reply frame gives (yiaddr) as an unsigned number; 0 when none. */
export function dhcp4ReplyAddress(frame: Uint8Array): number {
  const at = ipv4PayloadAt(frame, ETHERNET_HEADER_LENGTH) + BOOTP_YIADDR_AT;
  if (at + 4 > frame.length) return 0;
  return ((frame[at]! << 24) | (frame[at + 1]! << 16) | (frame[at + 2]! << 8) | frame[at + 3]!) >>>
    0;
}
