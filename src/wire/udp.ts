/** UDP datagram header (RFC 768): parse, verify and emit, with the checksum over any pseudo-header. */
import { finishChecksum, pseudoHeaderSum4, sumWords } from "./checksum.ts";
import { IP_PROTOCOL_UDP } from "./ipv4.ts";
import { guard, need, type Parsed } from "./parsed.ts";

export const UDP_HEADER_LENGTH = 8;

/** Byte offsets of the header. */
const FIELD = { srcPort: 0, dstPort: 2, length: 4, checksum: 6, payload: 8 } as const;

/** The ports a sender chooses; what `emitUdpHeader` takes. */
export interface UdpHeader {
  readonly srcPort: number;
  readonly dstPort: number;
}

/** A parsed UDP datagram; `payload` is a view of the input. */
export interface UdpDatagram extends UdpHeader {
  /** Header + payload length, as the header says (checked against the bytes received). */
  readonly length: number;
  /** The checksum as received; 0 means the sender computed none (IPv4 only). */
  readonly checksum: number;
  readonly payload: Uint8Array;
}

/**
 * Parses a UDP datagram (the IP payload). Does not verify the checksum: a guest with
 * checksum offload may hand over a partial one, so the caller decides (see `isUdpChecksumValid`).
 */
export function parseUdp(bytes: Uint8Array): Parsed<UdpDatagram> {
  return guard("UDP datagram", () => {
    need(
      bytes.length >= UDP_HEADER_LENGTH,
      `datagram of ${bytes.length} bytes is shorter than a header`,
    );
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const length = view.getUint16(FIELD.length);
    need(length >= UDP_HEADER_LENGTH, `length ${length} is shorter than a header`);
    need(length <= bytes.length, `length ${length} exceeds the ${bytes.length} bytes received`);
    return {
      srcPort: view.getUint16(FIELD.srcPort),
      dstPort: view.getUint16(FIELD.dstPort),
      length,
      checksum: view.getUint16(FIELD.checksum),
      payload: bytes.subarray(FIELD.payload, length),
    };
  });
}

/**
 * True when the datagram's checksum matches `pseudoSum` (from `pseudoHeaderSum4` or
 * `pseudoHeaderSum6`, with the UDP length). Strict: a zero checksum only passes if the
 * datagram really sums to it, so IPv6 (where 0 is forbidden) can use this as is.
 */
export function isUdpChecksumValid(udp: UdpDatagram, pseudoSum: number): boolean {
  const header = udp.srcPort + udp.dstPort + udp.length + udp.checksum;
  return finishChecksum(sumWords(udp.payload, 0, udp.payload.length, pseudoSum + header)) === 0;
}

/** True when an IPv4 datagram's checksum is absent (0) or matches its pseudo-header. */
export function isUdpChecksumValid4(udp: UdpDatagram, src: number, dst: number): boolean {
  return udp.checksum === 0 ||
    isUdpChecksumValid(udp, pseudoHeaderSum4(src, dst, IP_PROTOCOL_UDP, udp.length));
}

/**
 * Writes the 8-byte header at `into[offset]` for a payload already written right after it,
 * with the checksum over `pseudoSum` (built with the length `8 + payloadLength`); returns 8.
 */
export function emitUdpHeader(
  header: UdpHeader,
  into: Uint8Array,
  offset: number,
  payloadLength: number,
  pseudoSum: number,
): number {
  const length = UDP_HEADER_LENGTH + payloadLength;
  if (offset + length > into.length) {
    throw new RangeError(`Cannot emit UDP datagram: ${into.length - offset} bytes of room`);
  }
  const view = new DataView(into.buffer, into.byteOffset + offset, length);
  view.setUint16(FIELD.srcPort, header.srcPort);
  view.setUint16(FIELD.dstPort, header.dstPort);
  view.setUint16(FIELD.length, length);
  view.setUint16(FIELD.checksum, 0);
  const checksum = finishChecksum(sumWords(into, offset, offset + length, pseudoSum));
  // A computed 0 is sent as 0xffff: on the wire 0 means "no checksum" (RFC 768).
  view.setUint16(FIELD.checksum, checksum === 0 ? 0xffff : checksum);
  return UDP_HEADER_LENGTH;
}

/** `emitUdpHeader` with the IPv4 pseudo-header of `src` → `dst`. */
export function emitUdpHeader4(
  header: UdpHeader,
  into: Uint8Array,
  offset: number,
  payloadLength: number,
  src: number,
  dst: number,
): number {
  const pseudoSum = pseudoHeaderSum4(src, dst, IP_PROTOCOL_UDP, UDP_HEADER_LENGTH + payloadLength);
  return emitUdpHeader(header, into, offset, payloadLength, pseudoSum);
}
