/** IPv6 packet header (RFC 8200): parse a queued packet past its extension headers, emit a reply's header. */
import { emitEthernetHeader, ETHERNET_HEADER_LENGTH, ETHERTYPE_IPV6 } from "./ethernet.ts";
import { guard, need, type Parsed } from "./parsed.ts";

export const IPV6_HEADER_LENGTH = 40;
export const NEXT_HEADER_UDP = 17;
export const NEXT_HEADER_ICMPV6 = 58;
/** The Fragment extension header (RFC 8200 section 4.5). */
export const NEXT_HEADER_FRAGMENT = 44;

/** `ff02::1`, all nodes on the link. */
export const ALL_NODES_ADDRESS = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
/** `ff02::2`, all routers on the link. */
export const ALL_ROUTERS_ADDRESS = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);

/** Byte offsets of the fixed header. */
const FIELD = {
  versionClassFlow: 0,
  payloadLength: 4,
  nextHeader: 6,
  hopLimit: 7,
  src: 8,
  dst: 24,
  payload: 40,
} as const;

/** Extension headers we step over to reach the upper-layer protocol (RFC 8200 section 4). */
const EXTENSION = {
  hopByHop: 0,
  routing: 43,
  authentication: 51,
  destination: 60,
} as const;

/** The header fields a sender chooses; what `emitIpv6Header` takes. */
export interface Ipv6Header {
  /** Length of everything after the 40-byte header. */
  readonly payloadLength: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  /** DSCP + ECN byte; 0 when absent. */
  readonly trafficClass?: number;
  /** 20 bits; 0 when absent. */
  readonly flowLabel?: number;
}

/** A parsed IPv6 packet: every header field and the upper-layer payload (views, no copies). */
export interface Ipv6Packet extends Required<Ipv6Header> {
  /** The upper-layer protocol after any extension headers (58 ICMPv6, 17 UDP...). */
  readonly protocol: number;
  /** Next-header codes of the extension headers stepped over, in order. */
  readonly extensionHeaders: readonly number[];
  /** The upper-layer bytes, up to the payload length (link-layer padding excluded). */
  readonly payload: Uint8Array;
}

/** The most extension headers we step over: RFC 8200 section 4.1 allows each once (Destination
 * Options twice), so a longer chain is a crafted one. */
export const MAX_EXTENSION_HEADERS = 8;

/** Where the upper-layer header of a packet starts, after its extension headers. */
export interface UpperLayer {
  /** The protocol the chain ends at; `NEXT_HEADER_FRAGMENT` when it holds a Fragment header. */
  readonly protocol: number;
  /** Offset of that header in the packet. */
  readonly offset: number;
  /** End of the IPv6 payload (link-layer padding excluded). */
  readonly end: number;
  /** Next-header codes of the extension headers stepped over, in order. */
  readonly extensionHeaders: readonly number[];
}

/**
 * Walks the extension header chain of an IPv6 packet to its upper-layer header, checking every
 * length and stepping over at most `MAX_EXTENSION_HEADERS`. Stops at a Fragment header: what
 * follows it is not a whole datagram, so the caller refuses it. Cheap enough for the dispatcher.
 */
export function findUpperLayer(bytes: Uint8Array): Parsed<UpperLayer> {
  return guard("IPv6 packet", () => {
    need(
      bytes.length >= IPV6_HEADER_LENGTH,
      `packet of ${bytes.length} bytes is shorter than a header`,
    );
    const version = bytes[FIELD.versionClassFlow]! >> 4;
    need(version === 6, `version is ${version}, not 6`);
    const payloadLength = (bytes[FIELD.payloadLength]! << 8) | bytes[FIELD.payloadLength + 1]!;
    // Jumbograms (payload length 0 + a Jumbo option) cannot reach us through a TAP.
    need(
      IPV6_HEADER_LENGTH + payloadLength <= bytes.length,
      `payload length ${payloadLength} exceeds the ${
        bytes.length - IPV6_HEADER_LENGTH
      } bytes received`,
    );
    const end = IPV6_HEADER_LENGTH + payloadLength;
    const extensionHeaders: number[] = [];
    let protocol = bytes[FIELD.nextHeader]!;
    let at = IPV6_HEADER_LENGTH;
    while (isSteppable(protocol)) {
      need(
        extensionHeaders.length < MAX_EXTENSION_HEADERS,
        `more than ${MAX_EXTENSION_HEADERS} extension headers`,
      );
      need(at + 8 <= end, `extension header ${protocol} is cut short`);
      const length = protocol === EXTENSION.authentication
        ? (bytes[at + 1]! + 2) * 4
        : (bytes[at + 1]! + 1) * 8;
      need(
        at + length <= end,
        `extension header ${protocol} of ${length} bytes overruns the packet`,
      );
      extensionHeaders.push(protocol);
      protocol = bytes[at]!;
      at += length;
    }
    return { protocol, offset: at, end, extensionHeaders };
  });
}

/** Parses an IPv6 packet as NFQUEUE hands it over (no link-layer header); fragments are refused. */
export function parseIpv6Packet(bytes: Uint8Array): Parsed<Ipv6Packet> {
  const upper = findUpperLayer(bytes);
  if (!upper.ok) return upper;
  const { protocol, offset, end, extensionHeaders } = upper.value;
  if (protocol === NEXT_HEADER_FRAGMENT) {
    return { ok: false, error: "Cannot parse IPv6 packet: fragmented packets are not served" };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = view.getUint32(FIELD.versionClassFlow);
  return {
    ok: true,
    value: {
      trafficClass: (first >>> 20) & 0xff,
      flowLabel: first & 0xfffff,
      payloadLength: end - IPV6_HEADER_LENGTH,
      nextHeader: bytes[FIELD.nextHeader]!,
      hopLimit: bytes[FIELD.hopLimit]!,
      src: bytes.subarray(FIELD.src, FIELD.src + 16),
      dst: bytes.subarray(FIELD.dst, FIELD.dst + 16),
      protocol,
      extensionHeaders,
      payload: bytes.subarray(offset, end),
    },
  };
}

/** Extension headers the walk steps over; it stops at a Fragment header (see `findUpperLayer`). */
function isSteppable(nextHeader: number): boolean {
  return nextHeader === EXTENSION.hopByHop || nextHeader === EXTENSION.routing ||
    nextHeader === EXTENSION.authentication || nextHeader === EXTENSION.destination;
}

/**
 * Writes the 40-byte header at `into[offset]`; returns 40.
 * Throws RangeError when `into` has no room: the caller sizes the buffer.
 */
export function emitIpv6Header(header: Ipv6Header, into: Uint8Array, offset = 0): number {
  if (offset + IPV6_HEADER_LENGTH > into.length) {
    throw new RangeError(`Cannot emit IPv6 header: ${into.length - offset} bytes of room`);
  }
  const view = new DataView(into.buffer, into.byteOffset + offset, IPV6_HEADER_LENGTH);
  const first = (6 << 28) | ((header.trafficClass ?? 0) << 20) |
    ((header.flowLabel ?? 0) & 0xfffff);
  view.setUint32(FIELD.versionClassFlow, first >>> 0);
  view.setUint16(FIELD.payloadLength, header.payloadLength);
  view.setUint8(FIELD.nextHeader, header.nextHeader);
  view.setUint8(FIELD.hopLimit, header.hopLimit);
  into.set(header.src, offset + FIELD.src);
  into.set(header.dst, offset + FIELD.dst);
  return IPV6_HEADER_LENGTH;
}

/** The link-layer and IPv6 header fields of a reply frame. */
export interface Ipv6FrameHeader extends Ipv6Header {
  readonly ethDst: Uint8Array;
  readonly ethSrc: Uint8Array;
}

/** Offset of the upper-layer payload in a frame made by `newIpv6Frame`. */
export const IPV6_FRAME_PAYLOAD_OFFSET = ETHERNET_HEADER_LENGTH + IPV6_HEADER_LENGTH;

/** Where a frame's memory comes from: a zeroed buffer of `length` bytes (the daemon's allocator). */
export type AllocateFrame = (length: number) => Uint8Array;

/** A zeroed frame with its own memory: for frames kept long, and when no allocator is given. */
export const ownFrame: AllocateFrame = (length) => new Uint8Array(length);

/**
 * A whole Ethernet frame from `allocate` with its Ethernet and IPv6 headers written; the payload
 * follows at offset 54.
 */
export function newIpv6Frame(
  header: Ipv6FrameHeader,
  allocate: AllocateFrame = ownFrame,
): Uint8Array {
  const frame = allocate(IPV6_FRAME_PAYLOAD_OFFSET + header.payloadLength);
  emitEthernetHeader({ dst: header.ethDst, src: header.ethSrc, etherType: ETHERTYPE_IPV6 }, frame);
  emitIpv6Header(header, frame, ETHERNET_HEADER_LENGTH);
  return frame;
}

/** True when the two addresses are equal. */
export function sameIpv6(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True for `::`. */
export function isUnspecified(addr: Uint8Array): boolean {
  return addr.every((b) => b === 0);
}

/** True for `ff00::/8`. */
export function isMulticast(addr: Uint8Array): boolean {
  return addr[0] === 0xff;
}

/** The solicited-node multicast group of `addr`: `ff02::1:ffXX:XXXX` (RFC 4291 section 2.7.1). */
export function solicitedNodeAddress(addr: Uint8Array): Uint8Array {
  const out = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0);
  out.set(addr.subarray(13, 16), 13);
  return out;
}

/** The Ethernet address of an IPv6 multicast group: `33:33` + its last 4 bytes (RFC 2464 section 7). */
export function multicastMac(group: Uint8Array): Uint8Array {
  return Uint8Array.of(0x33, 0x33, group[12]!, group[13]!, group[14]!, group[15]!);
}

/**
 * The MAC an address's interface identifier was made from, if it is a modified EUI-64
 * identifier (`xx:xx:xx:ff:fe:xx:xx:xx`); null for other identifiers (random, stable-privacy).
 */
export function macOfEui64(addr: Uint8Array): Uint8Array | null {
  if (addr[11] !== 0xff || addr[12] !== 0xfe) return null;
  return Uint8Array.of(addr[8]! ^ 0x02, addr[9]!, addr[10]!, addr[13]!, addr[14]!, addr[15]!);
}
