/** ICMPv6 message header (RFC 4443) and its checksum over the IPv6 pseudo-header. */
import { finishChecksum, pseudoHeaderSum6, sumWords } from "./checksum.ts";
import {
  type AllocateFrame,
  IPV6_FRAME_PAYLOAD_OFFSET,
  type Ipv6FrameHeader,
  type Ipv6Packet,
  newIpv6Frame,
  NEXT_HEADER_ICMPV6,
  ownFrame,
} from "./ipv6.ts";
import { guard, need, type Parsed } from "./parsed.ts";

export const ICMPV6_HEADER_LENGTH = 4;

/** The ICMPv6 types of Neighbor Discovery (RFC 4861 section 4). */
export const ICMPV6_TYPE = {
  routerSolicitation: 133,
  routerAdvertisement: 134,
  neighbourSolicitation: 135,
  neighbourAdvertisement: 136,
} as const;

/** Byte offsets of the header. */
const FIELD = { type: 0, code: 1, checksum: 2, body: 4 } as const;

/** A parsed ICMPv6 message; `body` is a view of everything after the 4-byte header. */
export interface Icmpv6Message {
  readonly type: number;
  readonly code: number;
  /** The checksum as received. */
  readonly checksum: number;
  /** True when the checksum matches the packet's pseudo-header. */
  readonly checksumValid: boolean;
  readonly body: Uint8Array;
}

/** Parses the ICMPv6 message carried by `packet` and checks its checksum. */
export function parseIcmpv6(packet: Ipv6Packet): Parsed<Icmpv6Message> {
  return guard("ICMPv6 message", () => {
    need(packet.protocol === NEXT_HEADER_ICMPV6, `protocol is ${packet.protocol}, not ICMPv6`);
    const bytes = packet.payload;
    need(
      bytes.length >= ICMPV6_HEADER_LENGTH,
      `message of ${bytes.length} bytes is shorter than a header`,
    );
    const sum = sumWords(
      bytes,
      0,
      bytes.length,
      icmpv6PseudoSum(packet.src, packet.dst, bytes.length),
    );
    return {
      type: bytes[FIELD.type]!,
      code: bytes[FIELD.code]!,
      checksum: (bytes[FIELD.checksum]! << 8) | bytes[FIELD.checksum + 1]!,
      checksumValid: finishChecksum(sum) === 0,
      body: bytes.subarray(FIELD.body),
    };
  });
}

function icmpv6PseudoSum(src: Uint8Array, dst: Uint8Array, length: number): number {
  return pseudoHeaderSum6(src, dst, NEXT_HEADER_ICMPV6, length);
}

/** Writes the 4-byte header at `into[offset]` with a zero checksum; returns 4 (see `setIcmpv6Checksum`). */
export function emitIcmpv6Header(
  header: { type: number; code: number },
  into: Uint8Array,
  offset = 0,
): number {
  if (offset + ICMPV6_HEADER_LENGTH > into.length) {
    throw new RangeError(`Cannot emit ICMPv6 header: ${into.length - offset} bytes of room`);
  }
  into[offset + FIELD.type] = header.type;
  into[offset + FIELD.code] = header.code;
  into[offset + FIELD.checksum] = 0;
  into[offset + FIELD.checksum + 1] = 0;
  return ICMPV6_HEADER_LENGTH;
}

/** Computes and stores the checksum of the ICMPv6 message in `into[start, end)` sent `src` → `dst`. */
export function setIcmpv6Checksum(
  into: Uint8Array,
  start: number,
  end: number,
  src: Uint8Array,
  dst: Uint8Array,
): void {
  into[start + FIELD.checksum] = 0;
  into[start + FIELD.checksum + 1] = 0;
  const checksum = finishChecksum(
    sumWords(into, start, end, icmpv6PseudoSum(src, dst, end - start)),
  );
  into[start + FIELD.checksum] = checksum >> 8;
  into[start + FIELD.checksum + 1] = checksum & 0xff;
}

/**
 * A whole Ethernet + IPv6 + ICMPv6 frame from `allocate`: `emit` writes the `length`-byte
 * message at the offset it is given, and the checksum is filled in afterwards.
 */
export function newIcmpv6Frame(
  header: Omit<Ipv6FrameHeader, "payloadLength" | "nextHeader">,
  length: number,
  emit: (into: Uint8Array, offset: number) => number,
  allocate: AllocateFrame = ownFrame,
): Uint8Array {
  const frame = newIpv6Frame(
    { ...header, payloadLength: length, nextHeader: NEXT_HEADER_ICMPV6 },
    allocate,
  );
  const start = IPV6_FRAME_PAYLOAD_OFFSET;
  const written = emit(frame, start);
  if (written !== length) {
    throw new RangeError(`Cannot emit ICMPv6 frame: wrote ${written} bytes, sized ${length}`);
  }
  setIcmpv6Checksum(frame, start, start + length, header.src, header.dst);
  return frame;
}
