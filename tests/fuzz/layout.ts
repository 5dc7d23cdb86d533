/**
 * Where the fuzzer's mutators and oracle find things in a queued IP packet. Written apart from
 * src/wire on purpose: it reads headers leniently (never throws, out-of-range bytes read as 0),
 * so it can point into broken packets, and it judges the daemon's verdicts independently.
 */

/** The services the daemon answers; what a bound TAP must never get passed on. */
export type Service = "dhcp4" | "rs" | "ns" | "dhcp6";

/** How the options of the innermost protocol are laid out. */
export type OptionFormat = "dhcp4" | "dhcp6" | "nd";

/** Offsets into one packet, as far as its headers can be followed. */
export interface Layout {
  readonly version: number;
  /** IPv4 header length, or 40 plus the extension headers stepped over. */
  readonly l4At: number;
  /** The upper-layer protocol (after extension headers), or -1 when the walk stopped. */
  readonly protocol: number;
  /** The end of the packet by its IP length field, clamped to the bytes present. */
  readonly ipEnd: number;
  /** Where the option list starts, or -1. */
  readonly optionsAt: number;
  readonly optionFormat: OptionFormat | null;
}

const UDP = 17;
const ICMPV6 = 58;
const FRAGMENT = 44;
const AUTHENTICATION = 51;
const EXTENSIONS = new Set([0, 43, FRAGMENT, AUTHENTICATION, 60]);

function u8(p: Uint8Array, at: number): number {
  return p[at] ?? 0;
}

function u16(p: Uint8Array, at: number): number {
  return (u8(p, at) << 8) | u8(p, at + 1);
}

/** Follows the headers of `p` as far as they go, without judging them. */
export function layoutOf(p: Uint8Array): Layout {
  const version = u8(p, 0) >> 4;
  let l4At = 0;
  let protocol = -1;
  let ipEnd = p.length;
  if (version === 4) {
    l4At = Math.max(20, (u8(p, 0) & 0x0f) * 4);
    protocol = u8(p, 9);
    ipEnd = Math.min(p.length, u16(p, 2));
  } else if (version === 6) {
    ipEnd = Math.min(p.length, 40 + u16(p, 4));
    protocol = u8(p, 6);
    l4At = 40;
    for (let steps = 0; EXTENSIONS.has(protocol) && steps < 16; steps++) {
      if (protocol === FRAGMENT && (u16(p, l4At + 2) >> 3) !== 0) return stopped(version, ipEnd);
      const length = protocol === FRAGMENT
        ? 8
        : protocol === AUTHENTICATION
        ? (u8(p, l4At + 1) + 2) * 4
        : (u8(p, l4At + 1) + 1) * 8;
      protocol = u8(p, l4At);
      l4At += length;
    }
    if (EXTENSIONS.has(protocol)) return stopped(version, ipEnd);
  } else {
    return stopped(version, p.length);
  }
  let optionsAt = -1;
  let optionFormat: OptionFormat | null = null;
  if (protocol === UDP && version === 4) [optionsAt, optionFormat] = [l4At + 8 + 240, "dhcp4"];
  if (protocol === UDP && version === 6) [optionsAt, optionFormat] = [l4At + 8 + 4, "dhcp6"];
  if (protocol === ICMPV6) {
    const type = u8(p, l4At);
    if (type === 133) [optionsAt, optionFormat] = [l4At + 8, "nd"];
    if (type === 135) [optionsAt, optionFormat] = [l4At + 24, "nd"];
  }
  return { version, l4At, protocol, ipEnd, optionsAt, optionFormat };
}

function stopped(version: number, ipEnd: number): Layout {
  return { version, l4At: 0, protocol: -1, ipEnd, optionsAt: -1, optionFormat: null };
}

/**
 * The oracle: which of our services `p` asks for, judged as the kernel's own header checks and
 * the firewall rules' matches would (valid IP lengths, extension headers walked, whole UDP and
 * ICMPv6 headers present), or null when it is not ours. A first IPv4 or IPv6 fragment whose
 * transport header is ours counts as ours; a later fragment cannot be told and does not.
 */
export function serviceOf(p: Uint8Array): Service | null {
  const version = u8(p, 0) >> 4;
  if (version === 4) {
    const headerLength = (u8(p, 0) & 0x0f) * 4;
    const totalLength = u16(p, 2);
    if (headerLength < 20 || totalLength > p.length || totalLength < headerLength + 8) return null;
    if (u8(p, 9) !== UDP || (u16(p, 6) & 0x1fff) !== 0) return null;
    return u16(p, headerLength + 2) === 67 ? "dhcp4" : null;
  }
  if (version !== 6 || p.length < 40 || 40 + u16(p, 4) > p.length) return null;
  const layout = layoutOf(p);
  if (layout.protocol === UDP && layout.l4At + 8 <= layout.ipEnd) {
    return u16(p, layout.l4At + 2) === 547 ? "dhcp6" : null;
  }
  if (layout.protocol === ICMPV6 && layout.l4At + 8 <= layout.ipEnd) {
    const type = u8(p, layout.l4At);
    return type === 133 ? "rs" : type === 135 ? "ns" : null;
  }
  return null;
}

/** Ones' complement sum of `p[start, end)` folded to 16 bits, plus `sum`. */
function onesSum(p: Uint8Array, start: number, end: number, sum = 0): number {
  for (let i = start; i < end; i += 2) sum += (u8(p, i) << 8) | (i + 1 < end ? u8(p, i + 1) : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function put16(p: Uint8Array, at: number, value: number): void {
  if (at + 1 < p.length) [p[at], p[at + 1]] = [(value >> 8) & 0xff, value & 0xff];
}

/** Rewrites the IP and UDP length fields to the bytes present (after an edit that moved them). */
export function repairLengths(p: Uint8Array): void {
  const layout = layoutOf(p);
  if (layout.version === 4) put16(p, 2, p.length);
  if (layout.version === 6) put16(p, 4, Math.max(0, p.length - 40));
  if (layout.protocol === UDP && layout.l4At + 8 <= p.length) {
    put16(p, layout.l4At + 4, p.length - layout.l4At);
  }
}

/** Rewrites the IPv4 header, UDP and ICMPv6 checksums so an edit is judged past them. */
export function repairChecksums(p: Uint8Array): void {
  const layout = layoutOf(p);
  if (layout.version === 4 && layout.l4At <= p.length) {
    put16(p, 10, 0);
    put16(p, 10, ~onesSum(p, 0, layout.l4At) & 0xffff);
  }
  const at = layout.l4At;
  const end = layout.ipEnd;
  if (layout.protocol !== UDP && layout.protocol !== ICMPV6) return;
  if (layout.version !== 6 && layout.protocol === ICMPV6) return;
  const checksumAt = at + (layout.protocol === UDP ? 6 : 2);
  if (checksumAt + 2 > end) return;
  put16(p, checksumAt, 0);
  const length = end - at;
  let sum = length + layout.protocol;
  sum = layout.version === 4 ? onesSum(p, 12, 20, sum) : onesSum(p, 8, 40, sum);
  const checksum = ~onesSum(p, at, end, sum) & 0xffff;
  put16(p, checksumAt, checksum === 0 && layout.protocol === UDP ? 0xffff : checksum);
}
