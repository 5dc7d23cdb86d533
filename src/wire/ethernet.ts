/** Ethernet II frame header: parse and emit. */
import { guard, need, type Parsed } from "./parsed.ts";

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERNET_HEADER_LENGTH = 14;
export const BROADCAST_MAC = Uint8Array.of(255, 255, 255, 255, 255, 255);

const FIELD = { dst: 0, src: 6, etherType: 12, payload: 14 } as const;

/** An Ethernet II header and the bytes after it. */
export interface EthernetFrame {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly etherType: number;
  readonly payload: Uint8Array;
}

/** Parses an Ethernet II frame (no VLAN tags). */
export function parseEthernet(bytes: Uint8Array): Parsed<EthernetFrame> {
  return guard("Ethernet frame", () => {
    need(bytes.length >= FIELD.payload, `frame of ${bytes.length} bytes is shorter than a header`);
    return {
      dst: bytes.subarray(FIELD.dst, FIELD.dst + 6),
      src: bytes.subarray(FIELD.src, FIELD.src + 6),
      etherType: (bytes[FIELD.etherType]! << 8) | bytes[FIELD.etherType + 1]!,
      payload: bytes.subarray(FIELD.payload),
    };
  });
}

/** Writes the 14-byte header into `into` and returns its length; the payload follows at offset 14. */
export function emitEthernetHeader(
  header: { dst: Uint8Array; src: Uint8Array; etherType: number },
  into: Uint8Array,
): number {
  into.set(header.dst.subarray(0, 6), FIELD.dst);
  into.set(header.src.subarray(0, 6), FIELD.src);
  into[FIELD.etherType] = header.etherType >> 8;
  into[FIELD.etherType + 1] = header.etherType & 0xff;
  return FIELD.payload;
}

/** The size of the blocks a `FrameAllocator` carves frames from. */
const FRAME_BLOCK = 64 * 1024;

/**
 * Carves frames from shared 64 KiB blocks: a typed array over an existing buffer is much cheaper
 * to make than one with its own, and every reply needs one. A block is never reused, so a frame
 * stays valid as long as it is referenced. The daemon owns one and passes it to the responders.
 */
export class FrameAllocator {
  #block = new ArrayBuffer(FRAME_BLOCK);
  #used = 0;

  /** A zeroed buffer of `length` bytes for a whole frame. */
  allocate(length: number): Uint8Array {
    if (length > FRAME_BLOCK / 4) return new Uint8Array(length);
    if (this.#used + length > FRAME_BLOCK) {
      this.#block = new ArrayBuffer(FRAME_BLOCK);
      this.#used = 0;
    }
    const frame = new Uint8Array(this.#block, this.#used, length);
    this.#used += (length + 7) & ~7;
    return frame;
  }
}
