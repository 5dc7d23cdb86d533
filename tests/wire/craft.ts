/** Hostile variants of captured packets: IPv4 fragments and IPv6 extension header chains. */
import { internetChecksum } from "../../src/wire/checksum.ts";

/** Extension header codes (RFC 8200 section 4). */
export const HOP_BY_HOP = 0;
export const ROUTING = 43;
export const FRAGMENT = 44;
export const DESTINATION_OPTIONS = 60;

/**
 * `packet` (an IPv6 packet) with 8-byte extension headers of `codes` inserted, in order, between
 * its fixed header and its upper-layer header. Options headers hold one PadN, a Routing header
 * is type 0 with no segments left, a Fragment header says offset 0 and more fragments. The
 * upper-layer checksum stays valid: the pseudo-header does not cover extension headers.
 */
export function withExtensionHeaders(packet: Uint8Array, codes: readonly number[]): Uint8Array {
  const out = new Uint8Array(packet.length + 8 * codes.length);
  out.set(packet.subarray(0, 40));
  const upper = packet[6]!;
  codes.forEach((code, i) => {
    const at = 40 + 8 * i;
    out[at] = codes[i + 1] ?? upper;
    if (code === FRAGMENT) out[at + 3] = 1; // offset 0, M flag set
    else if (code !== ROUTING) out.set([1, 4], at + 2); // PadN of 4 bytes
  });
  if (codes.length > 0) out[6] = codes[0]!;
  out.set(packet.subarray(40), 40 + 8 * codes.length);
  new DataView(out.buffer).setUint16(4, packet.length - 40 + 8 * codes.length);
  return out;
}

/**
 * `packet` (an IPv4 packet) marked as a fragment: `moreFragments` and an offset in 8-byte units,
 * with its header checksum made valid again.
 */
export function asIpv4Fragment(
  packet: Uint8Array,
  moreFragments: boolean,
  offset: number,
): Uint8Array {
  const out = packet.slice();
  const view = new DataView(out.buffer);
  view.setUint16(6, (moreFragments ? 0x2000 : 0) | offset);
  view.setUint16(10, 0);
  view.setUint16(10, internetChecksum(out, 0, (out[0]! & 0x0f) * 4));
  return out;
}
