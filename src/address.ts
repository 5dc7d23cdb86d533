/** Text <-> binary forms of MAC, IPv4 and IPv6 addresses (IPv4 as an unsigned 32-bit number). */

/** Parses `aa:bb:cc:dd:ee:ff` (or `-` separated) into 6 bytes; null if it is not a MAC. */
export function parseMac(text: string): Uint8Array | null {
  const t = text.trim();
  const separator = t.includes("-") ? "-" : ":";
  const mac = new Uint8Array(6);
  // Six parts of one or two hex digits, read in place: nothing allocated but the result.
  let start = 0;
  for (let i = 0; i < 6; i++) {
    const next = t.indexOf(separator, start);
    if ((next >= 0) !== (i < 5)) return null; // Five separators, not four, not six.
    const end = next < 0 ? t.length : next;
    const byte = end - start >= 1 && end - start <= 2 ? hexByte(t, start, end) : -1;
    if (byte < 0) return null;
    mac[i] = byte;
    start = end + 1;
  }
  return mac;
}

/** The value of the hex digits of `t` from `start` to `end`, or -1 (no regex, no substring). */
function hexByte(t: string, start: number, end: number): number {
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = t.charCodeAt(i);
    const d = c >= 48 && c <= 57
      ? c - 48
      : c >= 97 && c <= 102
      ? c - 87
      : c >= 65 && c <= 70
      ? c - 55
      : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

const HEX_BYTES = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** Formats 6 bytes as lowercase `aa:bb:cc:dd:ee:ff`. */
export function formatMac(mac: Uint8Array): string {
  // Joined rather than added up: one flat string, not a tree of ten (a binding keeps its MAC's).
  const parts = new Array<string>(mac.length);
  for (let i = 0; i < mac.length; i++) parts[i] = HEX_BYTES[mac[i]!]!;
  return parts.join(":");
}

/** True when the first 6 bytes of `a` and `b` are equal. */
export function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Parses dotted-quad IPv4 into an unsigned 32-bit number; null if invalid. */
export function parseIpv4(text: string): number | null {
  const t = text.trim();
  // Four groups of 1 to 3 decimal digits, each at most 255, read in place.
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return null;
      octet = octet * 10 + c - 48;
    } else if (c === 46 && digits > 0 && dots < 3 && octet <= 255) {
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return null;
    }
  }
  return dots === 3 && digits > 0 && octet <= 255 ? n * 256 + octet : null;
}

/** Formats an unsigned 32-bit number as dotted-quad IPv4. */
export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The netmask of a prefix length as an unsigned 32-bit number. */
export function ipv4Mask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Parses IPv6 text (with `::` and an optional trailing dotted quad) into 16 bytes; null if invalid. */
export function parseIpv6(text: string): Uint8Array | null {
  let s = text.trim();
  const lastColon = s.lastIndexOf(":");
  if (lastColon < 0) return null;
  if (s.includes(".", lastColon)) {
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === "") return [];
    const out: number[] = [];
    for (const g of h.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || rest === null) return null;
  const fill = 8 - head.length - rest.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const words = [...head, ...new Array<number>(fill).fill(0), ...rest];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 255;
  });
  return out;
}

/** Formats 16 bytes as canonical IPv6 text (RFC 5952: lowercase, longest zero run as `::`). */
export function formatIpv6(addr: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((addr[i]! << 8) | addr[i + 1]!);
  let bestStart = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** The modified EUI-64 interface identifier of a MAC (RFC 4291 appendix A). */
export function eui64InterfaceId(mac: Uint8Array): Uint8Array {
  return Uint8Array.of(mac[0]! ^ 0x02, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!);
}

/** The address made of the first 64 bits of `prefix` and the EUI-64 identifier of `mac`. */
export function eui64Address(prefix: Uint8Array, mac: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out.set(prefix.subarray(0, 8), 0);
  out.set(eui64InterfaceId(mac), 8);
  return out;
}

/** The fe80::/64 link-local address of a MAC. */
export function linkLocalOf(mac: Uint8Array): Uint8Array {
  const prefix = new Uint8Array(8);
  prefix[0] = 0xfe;
  prefix[1] = 0x80;
  return eui64Address(prefix, mac);
}

/** True when `addr` lies in `prefix`/`prefixLength`. */
export function ipv6InPrefix(addr: Uint8Array, prefix: Uint8Array, prefixLength: number): boolean {
  const full = prefixLength >> 3;
  for (let i = 0; i < full; i++) if (addr[i] !== prefix[i]) return false;
  const bits = prefixLength & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (addr[full]! & mask) === (prefix[full]! & mask);
}
