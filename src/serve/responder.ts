/** The one shape every protocol responder has, and how a queued packet finds its responder. */
import type { Binding } from "../bindings/binding.ts";
import type { Config } from "../config/types.ts";
import type { FrameAllocator } from "../wire/ethernet.ts";
import { IP_PROTOCOL_UDP, IPV4_HEADER_LENGTH } from "../wire/ipv4.ts";
import {
  findUpperLayer,
  NEXT_HEADER_FRAGMENT,
  NEXT_HEADER_ICMPV6,
  NEXT_HEADER_UDP,
} from "../wire/ipv6.ts";
import type { Decision, InterfaceInfo, RefusalReason } from "./decision.ts";
import type { ReplyMemo } from "./memo.ts";
import type { RequestReport } from "./packet_report.ts";

/** Everything a responder may read besides the packet; the daemon builds it for each packet. */
export interface ResponderContext {
  /** The binding of the TAP the packet came in on. */
  readonly binding: Binding;
  /** The whole configuration: each responder reads its own sections. */
  readonly config: Config;
  /** INDEV: its MAC is the source of every reply. */
  readonly indev: InterfaceInfo;
  /** The request frame's Ethernet source, when the queue reports it. */
  readonly hwSource: Uint8Array | null;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** Replies and reply parts kept between packets; the daemon clears it on any change. */
  readonly memo: ReplyMemo;
  /** Where reply frames are carved from. */
  readonly frames: FrameAllocator;
  /** Where the responder says what it read from the request (reset by the caller). */
  readonly report: RequestReport;
}

/**
 * What a responder answers, told from a few header fields: the IP version, the upper-layer
 * protocol, and the UDP destination port or the ICMPv6 type (null where the protocol has none).
 */
export interface PacketKind {
  readonly ipVersion: 4 | 6;
  readonly protocol: number;
  readonly port: number | null;
  readonly icmpType: number | null;
}

/**
 * A protocol responder: how one service answers (its row in services.ts says which packets it
 * takes, on which queue, under which name).
 */
export interface Responder {
  /** The decision for one queued IP packet of its service's kind. */
  answer(packet: Uint8Array, context: ResponderContext): Decision;
}

/** What `responderFor` matches a packet against: a row of the service table. */
export interface Answering {
  readonly answers: PacketKind;
}

/** Why a packet is none of the kinds we serve: refused when it comes from a bound TAP. */
export interface Unserved {
  readonly reason: RefusalReason;
  readonly why: string;
}

const NOT_SERVED: Unserved = { reason: "unsupported", why: "not a request we serve" };
const IPV4_FRAGMENT: Unserved = { reason: "fragment", why: "IPv4 fragment" };
const IPV6_FRAGMENT: Unserved = { reason: "fragment", why: "IPv6 Fragment header" };

/**
 * The kind of an IP packet from its headers, without parsing the request. IPv6 extension headers
 * are walked by `findUpperLayer` (bounded, every length checked), so a request behind a
 * Hop-by-Hop or Destination Options header is still told; fragments and broken chains are not.
 */
export function packetKind(p: Uint8Array): PacketKind | Unserved {
  const version = p[0]! >> 4;
  if (version === 4) {
    if (p.length < IPV4_HEADER_LENGTH) return NOT_SERVED;
    // A later fragment has no UDP header; a first one has no whole message.
    if (((p[6]! & 0x3f) | p[7]!) !== 0) return IPV4_FRAGMENT;
    const portAt = (p[0]! & 0x0f) * 4 + 2;
    if (p[9] !== IP_PROTOCOL_UDP || portAt + 1 >= p.length) return NOT_SERVED;
    const port = (p[portAt]! << 8) | p[portAt + 1]!;
    return { ipVersion: 4, protocol: IP_PROTOCOL_UDP, port, icmpType: null };
  }
  if (version !== 6) return NOT_SERVED;
  const upper = findUpperLayer(p);
  if (!upper.ok) return { reason: "malformed", why: upper.error };
  const { protocol, offset, end } = upper.value;
  if (protocol === NEXT_HEADER_FRAGMENT) return IPV6_FRAGMENT;
  if (protocol === NEXT_HEADER_ICMPV6 && offset + 1 <= end) {
    return { ipVersion: 6, protocol, port: null, icmpType: p[offset]! };
  }
  if (protocol === NEXT_HEADER_UDP && offset + 4 <= end) {
    return { ipVersion: 6, protocol, port: (p[offset + 2]! << 8) | p[offset + 3]!, icmpType: null };
  }
  return NOT_SERVED;
}

/** The row of `table` that answers `packet`, or why none does. */
export function responderFor<R extends Answering>(
  table: readonly R[],
  packet: Uint8Array,
): R | Unserved {
  const kind = packetKind(packet);
  if (!("ipVersion" in kind)) return kind;
  for (const row of table) {
    const a = row.answers;
    if (
      a.ipVersion === kind.ipVersion && a.protocol === kind.protocol && a.port === kind.port &&
      a.icmpType === kind.icmpType
    ) return row;
  }
  return NOT_SERVED;
}
