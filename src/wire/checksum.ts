/** The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-header sums, in one place. */

/** Adds the 16-bit big-endian words of `bytes[start, end)` to `sum` (unfolded). */
export function sumWords(bytes: Uint8Array, start = 0, end = bytes.length, sum = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it. */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The Internet checksum of `bytes[start, end)`. */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return finishChecksum(sumWords(bytes, start, end));
}

/** The unfolded sum of the IPv4 pseudo-header (addresses as unsigned 32-bit numbers). */
export function pseudoHeaderSum4(
  src: number,
  dst: number,
  protocol: number,
  length: number,
): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** The unfolded sum of the IPv6 pseudo-header (RFC 8200 section 8.1); `src` and `dst` are 16 bytes. */
export function pseudoHeaderSum6(
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  length: number,
): number {
  return sumWords(src) + sumWords(dst) + (length >>> 16) + (length & 0xffff) + nextHeader;
}

/**
 * A checksum after one 16-bit word it covers changed from `oldWord` to `newWord` (RFC 1624,
 * equation 3), without summing the whole data again. A UDP result of 0 is sent as 0xffff.
 */
export function updateChecksum(checksum: number, oldWord: number, newWord: number): number {
  const sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  const updated = finishChecksum(sum);
  return updated === 0 ? 0xffff : updated;
}
