/** The mutators: generic byte edits plus edits that know where IP, UDP and option lengths live. */
import { layoutOf, repairChecksums, repairLengths } from "./layout.ts";
import type { Prng } from "./prng.ts";

/** One mutation; `lengthsFollow` when IP/UDP lengths may be rewritten to the new size after it. */
interface Mutator {
  readonly name: string;
  readonly lengthsFollow: boolean;
  apply(p: Uint8Array, rng: Prng, other: Uint8Array): Uint8Array;
}

/** One top-level option: its bytes, and where its length field sits and how wide it is. */
interface OptionSpan {
  readonly at: number;
  readonly end: number;
  readonly lengthAt: number;
  readonly lengthWidth: 1 | 2;
}

/** DUID-LL of the TAP's host side (fe:54:00:77:00:01), the server identifier we answer to. */
const OUR_SERVER_DUID = Uint8Array.of(0, 3, 0, 1, 0xfe, 0x54, 0, 0x77, 0, 1);

function interesting8(p: Uint8Array, rng: Prng, near = p.length): number {
  return rng.pick([0, 0xff, 0x7f, 0x80, 1, near & 0xff, (near + 1) & 0xff, (near - 1) & 0xff]);
}

function interesting16(p: Uint8Array, rng: Prng, near = p.length): number {
  return rng.pick([0, 0xffff, 0x7fff, 0x8000, 1, 7, 8, near, near + 1, near - 1, rng.below(1500)]) &
    0xffff;
}

function put16(p: Uint8Array, at: number, value: number): void {
  if (at >= 0 && at + 1 < p.length) [p[at], p[at + 1]] = [(value >> 8) & 0xff, value & 0xff];
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) [out.set(part, at), at += part.length];
  return out;
}

/** The top-level options of the innermost protocol, in order (END and padding excluded). */
export function optionSpans(p: Uint8Array): OptionSpan[] {
  const { optionsAt, optionFormat, ipEnd } = layoutOf(p);
  const spans: OptionSpan[] = [];
  for (let at = optionsAt; optionsAt >= 0 && at < ipEnd && spans.length < 64;) {
    const code = p[at]!;
    if (optionFormat === "dhcp4") {
      if (code === 0) at++;
      else if (code === 255 || at + 1 >= ipEnd) break;
      else {
        const end = at + 2 + p[at + 1]!;
        spans.push({ at, end: Math.min(end, ipEnd), lengthAt: at + 1, lengthWidth: 1 });
        at = end;
      }
    } else if (optionFormat === "dhcp6") {
      if (at + 4 > ipEnd) break;
      const end = at + 4 + ((p[at + 2]! << 8) | p[at + 3]!);
      spans.push({ at, end: Math.min(end, ipEnd), lengthAt: at + 2, lengthWidth: 2 });
      at = end;
    } else {
      if (at + 2 > ipEnd || p[at + 1] === 0) break;
      const end = at + p[at + 1]! * 8;
      spans.push({ at, end: Math.min(end, ipEnd), lengthAt: at + 1, lengthWidth: 1 });
      at = end;
    }
  }
  return spans;
}

/** A header-heavy offset: half the time inside the first bytes up to the options. */
function offset(p: Uint8Array, rng: Prng): number {
  const { optionsAt } = layoutOf(p);
  const head = optionsAt > 0 ? Math.min(p.length, optionsAt + 8) : Math.min(p.length, 64);
  return rng.chance(0.5) ? rng.below(head) : rng.below(p.length);
}

/** An IPv6 extension header to insert, of `type`, carrying `next`; sometimes a lying length. */
function extensionHeader(type: number, next: number, rng: Prng): Uint8Array {
  let h: Uint8Array;
  if (type === 44) {
    // Fragment: atomic (offset 0, M clear), first (M set) or a later one.
    const field = rng.pick([0, 1, (1 + rng.below(100)) << 3, rng.next() & 0xfff9]);
    h = Uint8Array.of(next, 0, field >> 8, field & 0xff, ...rng.bytes(4));
  } else if (type === 51) {
    h = concat(Uint8Array.of(next, 1, 0, 0), rng.bytes(8));
  } else if (type === 43) {
    h = Uint8Array.of(next, 0, rng.pick([0, 2, 3, 4]), 0, 0, 0, 0, 0);
  } else {
    // Hop-by-hop / destination options: PadN, or a Router Alert, in 8 or 16 bytes.
    h = rng.chance(0.5)
      ? Uint8Array.of(next, 0, 1, 4, 0, 0, 0, 0)
      : Uint8Array.of(next, 1, 5, 2, 0, 0, 1, 8, 0, 0, 0, 0, 0, 0, 0, 0);
  }
  if (rng.chance(0.2)) h[1] = interesting8(h, rng, h[1]!);
  return h;
}

const MUTATORS: readonly Mutator[] = [
  {
    name: "flip bits",
    lengthsFollow: false,
    apply(p, rng) {
      for (let n = 1 + rng.below(4); n > 0 && p.length > 0; n--) {
        p[offset(p, rng)]! ^= 1 << rng.below(8);
      }
      return p;
    },
  },
  {
    name: "set an interesting byte",
    lengthsFollow: false,
    apply(p, rng) {
      if (p.length > 0) p[offset(p, rng)] = interesting8(p, rng);
      return p;
    },
  },
  {
    name: "set an interesting 16-bit word",
    lengthsFollow: false,
    apply(p, rng) {
      put16(p, offset(p, rng), interesting16(p, rng));
      return p;
    },
  },
  {
    name: "truncate",
    lengthsFollow: true,
    apply: (p, rng) => p.slice(0, rng.below(p.length)),
  },
  {
    name: "extend",
    lengthsFollow: true,
    apply: (p, rng) => {
      const n = 1 + rng.below(rng.chance(0.1) ? 1600 : 64);
      return concat(p, rng.chance(0.5) ? new Uint8Array(n) : rng.bytes(n));
    },
  },
  {
    name: "insert or delete bytes",
    lengthsFollow: true,
    apply(p, rng) {
      const at = offset(p, rng);
      const n = 1 + rng.below(8);
      return rng.chance(0.5)
        ? concat(p.subarray(0, at), rng.bytes(n), p.subarray(at))
        : concat(p.subarray(0, at), p.subarray(at + n));
    },
  },
  {
    name: "splice with another capture",
    lengthsFollow: true,
    apply(p, rng, other) {
      const cut = rng.below(p.length + 1);
      const from = rng.chance(0.5) ? Math.min(cut, other.length) : rng.below(other.length + 1);
      return concat(p.subarray(0, cut), other.subarray(from));
    },
  },
  {
    name: "duplicate an option",
    lengthsFollow: true,
    apply(p, rng) {
      const spans = optionSpans(p);
      if (spans.length === 0) return p;
      const s = rng.pick(spans);
      const copies = rng.chance(0.9) ? 1 : 2 + rng.below(40);
      const option = p.subarray(s.at, s.end);
      const where = rng.chance(0.5) ? s.end : rng.pick(spans).at;
      return concat(p.subarray(0, where), ...Array(copies).fill(option), p.subarray(where));
    },
  },
  {
    name: "remove an option",
    lengthsFollow: true,
    apply(p, rng) {
      const spans = optionSpans(p);
      if (spans.length === 0) return p;
      const s = rng.pick(spans);
      return concat(p.subarray(0, s.at), p.subarray(s.end));
    },
  },
  {
    name: "corrupt an option length",
    lengthsFollow: false,
    apply(p, rng) {
      const spans = optionSpans(p);
      if (spans.length === 0) return p;
      const s = rng.pick(spans);
      const own = s.end - s.at;
      if (s.lengthWidth === 2) put16(p, s.lengthAt, interesting16(p, rng, own - 4));
      else p[s.lengthAt] = interesting8(p, rng, own);
      return p;
    },
  },
  {
    name: "corrupt the IP header or payload length",
    lengthsFollow: false,
    apply(p, rng) {
      const { version } = layoutOf(p);
      if (version === 4 && rng.chance(0.4)) p[0] = 0x40 | rng.below(16);
      else if (version === 4) put16(p, 2, interesting16(p, rng));
      else if (version === 6) put16(p, 4, interesting16(p, rng, p.length - 40));
      return p;
    },
  },
  {
    name: "set the IPv4 fragment fields",
    lengthsFollow: false,
    apply(p, rng) {
      // More Fragments alone is a first fragment (still ours); DF; a later fragment; reserved bit.
      if (layoutOf(p).version === 4) {
        put16(p, 6, rng.pick([0x2000, 0x4000, 0x0001, 0x2010, 0x8000]));
      }
      return p;
    },
  },
  {
    name: "corrupt the UDP length",
    lengthsFollow: false,
    apply(p, rng) {
      const { protocol, l4At } = layoutOf(p);
      if (protocol === 17) put16(p, l4At + 4, interesting16(p, rng, p.length - l4At));
      return p;
    },
  },
  {
    name: "insert an IPv6 extension header",
    lengthsFollow: true,
    apply(p, rng) {
      if (layoutOf(p).version !== 6 || p.length < 40) return p;
      const type = rng.pick([0, 60, 43, 44, 51]);
      const header = extensionHeader(type, p[6]!, rng);
      // Hop-by-hop must come first (RFC 8200 section 4.1); sometimes break that rule too.
      const out = concat(p.subarray(0, 40), header, p.subarray(40));
      out[6] = type;
      return out;
    },
  },
  {
    name: "set the message type",
    lengthsFollow: false,
    apply(p, rng) {
      const { optionFormat, l4At } = layoutOf(p);
      const type53 = optionSpans(p).find((s) => p[s.at] === 53);
      if (optionFormat === "dhcp4" && type53) p[type53.at + 2] = rng.below(10);
      else if (optionFormat === "dhcp6") p[l4At + 8] = rng.below(15);
      else if (optionFormat === "nd") p[l4At] = rng.pick([133, 134, 135, 136, 137]);
      return p;
    },
  },
  {
    name: "name our DHCPv6 server",
    lengthsFollow: true,
    apply(p) {
      if (layoutOf(p).optionFormat !== "dhcp6") return p;
      const option = concat(Uint8Array.of(0, 2, 0, OUR_SERVER_DUID.length), OUR_SERVER_DUID);
      const server = optionSpans(p).find((s) => p[s.at] === 0 && p[s.at + 1] === 2);
      const at = layoutOf(p).optionsAt;
      return server
        ? concat(p.subarray(0, server.at), option, p.subarray(server.end))
        : concat(p.subarray(0, at), option, p.subarray(at));
    },
  },
];

/** A mutated copy of `seed` and the names of the mutations applied, in order. */
export function mutate(
  seed: Uint8Array,
  other: Uint8Array,
  rng: Prng,
): { bytes: Uint8Array; steps: string[] } {
  let p: Uint8Array = seed.slice();
  const steps: string[] = [];
  let lengthsFollow = false;
  for (let n = 1 + rng.below(4); n > 0; n--) {
    const m = rng.pick(MUTATORS);
    p = m.apply(p, rng, other);
    steps.push(m.name);
    lengthsFollow ||= m.lengthsFollow;
  }
  if (lengthsFollow && rng.chance(0.8)) [repairLengths(p), steps.push("repair lengths")];
  if (rng.chance(0.85)) [repairChecksums(p), steps.push("repair checksums")];
  return { bytes: p, steps };
}
