/** IPv4 packet header (RFC 791): parse a queued packet, emit the 20-byte header of a reply. */
import { internetChecksum } from "./checksum.ts";
import { guard, need, type Parsed } from "./parsed.ts";

export const IPV4_HEADER_LENGTH = 20;
export const IP_PROTOCOL_UDP = 17;
export const IPV4_BROADCAST = 0xffffffff;

/** Byte offsets of the fixed header. */
const FIELD = {
  versionIhl: 0,
  tos: 1,
  totalLength: 2,
  identification: 4,
  flagsFragment: 6,
  ttl: 8,
  protocol: 9,
  checksum: 10,
  src: 12,
  dst: 16,
  options: 20,
} as const;

const FLAG_DONT_FRAGMENT = 0x4000;
const FLAG_MORE_FRAGMENTS = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;

/** The header fields a sender chooses; what `emitIpv4Header` takes. */
export interface Ipv4Header {
  /** Whole packet length (header + payload) in bytes. */
  readonly totalLength: number;
  readonly ttl: number;
  readonly protocol: number;
  /** Addresses as unsigned 32-bit numbers. */
  readonly src: number;
  readonly dst: number;
  /** DSCP + ECN byte; 0 when absent. */
  readonly tos?: number;
  readonly identification?: number;
  readonly dontFragment?: boolean;
  readonly moreFragments?: boolean;
  /** In 8-byte units, as on the wire. */
  readonly fragmentOffset?: number;
}

/** A parsed IPv4 packet: every header field, its options and its payload (views, no copies). */
export interface Ipv4Packet extends Required<Ipv4Header> {
  /** Header length in 32-bit words (5..15). */
  readonly ihl: number;
  /** Header length in bytes (`ihl * 4`). */
  readonly headerLength: number;
  /** The header checksum as received (already verified). */
  readonly checksum: number;
  /** Header options (empty when IHL is 5); we carry them but do not interpret them. */
  readonly options: Uint8Array;
  /** The bytes after the header, up to the total length (link-layer padding excluded). */
  readonly payload: Uint8Array;
}

/** Parses an IPv4 packet as NFQUEUE hands it over (no link-layer header). */
export function parseIpv4Packet(bytes: Uint8Array): Parsed<Ipv4Packet> {
  return guard("IPv4 packet", () => {
    need(
      bytes.length >= IPV4_HEADER_LENGTH,
      `packet of ${bytes.length} bytes is shorter than a header`,
    );
    const version = bytes[FIELD.versionIhl]! >> 4;
    need(version === 4, `version is ${version}, not 4`);
    const ihl = bytes[FIELD.versionIhl]! & 0x0f;
    need(ihl >= 5, `IHL ${ihl} is less than 5`);
    const headerLength = ihl * 4;
    const totalLength = (bytes[FIELD.totalLength]! << 8) | bytes[FIELD.totalLength + 1]!;
    need(totalLength >= headerLength, `total length ${totalLength} is less than IHL ${ihl} allows`);
    // The buffer may be longer (Ethernet pads short frames), never shorter.
    need(
      totalLength <= bytes.length,
      `total length ${totalLength} exceeds the ${bytes.length} bytes received`,
    );
    // A header that sums to 0xffff (complement 0) is intact, whatever its checksum field holds.
    need(internetChecksum(bytes, 0, headerLength) === 0, "header checksum does not match");
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const flagsFragment = view.getUint16(FIELD.flagsFragment);
    return {
      ihl,
      headerLength,
      tos: bytes[FIELD.tos]!,
      totalLength,
      identification: view.getUint16(FIELD.identification),
      dontFragment: (flagsFragment & FLAG_DONT_FRAGMENT) !== 0,
      moreFragments: (flagsFragment & FLAG_MORE_FRAGMENTS) !== 0,
      fragmentOffset: flagsFragment & FRAGMENT_OFFSET_MASK,
      ttl: bytes[FIELD.ttl]!,
      protocol: bytes[FIELD.protocol]!,
      checksum: view.getUint16(FIELD.checksum),
      src: view.getUint32(FIELD.src),
      dst: view.getUint32(FIELD.dst),
      options: bytes.subarray(FIELD.options, headerLength),
      payload: bytes.subarray(headerLength, totalLength),
    };
  });
}

/** True when the packet is a fragment (first or later): its payload is not a whole datagram. */
export function isFragment(packet: Ipv4Packet): boolean {
  return packet.moreFragments || packet.fragmentOffset !== 0;
}

/**
 * Writes a 20-byte header (no options) with its checksum at `into[offset]`; returns 20.
 * Throws RangeError when `into` has no room: the caller sizes the buffer.
 */
export function emitIpv4Header(header: Ipv4Header, into: Uint8Array, offset = 0): number {
  if (offset + IPV4_HEADER_LENGTH > into.length) {
    throw new RangeError(`Cannot emit IPv4 header: ${into.length - offset} bytes of room`);
  }
  const view = new DataView(into.buffer, into.byteOffset + offset, IPV4_HEADER_LENGTH);
  view.setUint8(FIELD.versionIhl, 0x45);
  view.setUint8(FIELD.tos, header.tos ?? 0);
  view.setUint16(FIELD.totalLength, header.totalLength);
  view.setUint16(FIELD.identification, header.identification ?? 0);
  view.setUint16(
    FIELD.flagsFragment,
    (header.dontFragment ? FLAG_DONT_FRAGMENT : 0) |
      (header.moreFragments ? FLAG_MORE_FRAGMENTS : 0) |
      ((header.fragmentOffset ?? 0) & FRAGMENT_OFFSET_MASK),
  );
  view.setUint8(FIELD.ttl, header.ttl);
  view.setUint8(FIELD.protocol, header.protocol);
  view.setUint16(FIELD.checksum, 0);
  view.setUint32(FIELD.src, header.src);
  view.setUint32(FIELD.dst, header.dst);
  view.setUint16(FIELD.checksum, internetChecksum(into, offset, offset + IPV4_HEADER_LENGTH));
  return IPV4_HEADER_LENGTH;
}
