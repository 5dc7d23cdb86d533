/** Neighbor Discovery messages (RS, RA, NS, NA; RFC 4861) and their options, including RDNSS and DNSSL (RFC 8106) and PREF64 (RFC 8781). */
import { domainNamesLength, emitDomainNames, parseDomainNames } from "./dns_name.ts";
import {
  emitIcmpv6Header,
  ICMPV6_HEADER_LENGTH,
  ICMPV6_TYPE,
  type Icmpv6Message,
} from "./icmpv6.ts";
import { guard, MalformedPacket, need, type Parsed } from "./parsed.ts";

/** ND option types. */
export const ND_OPTION = {
  sourceLinkLayer: 1,
  targetLinkLayer: 2,
  prefixInformation: 3,
  mtu: 5,
  nonce: 14,
  rdnss: 25,
  dnssl: 31,
  pref64: 38,
} as const;

/** Byte offsets inside each message's body (after the 4-byte ICMPv6 header). */
const FIELD = {
  rs: { options: 4 },
  ra: {
    curHopLimit: 0,
    flags: 1,
    routerLifetime: 2,
    reachableTime: 4,
    retransTimer: 8,
    options: 12,
  },
  ns: { target: 4, options: 20 },
  na: { flags: 0, target: 4, options: 20 },
} as const;

/** Byte offsets inside options (from the type byte). */
const OPTION_FIELD = {
  type: 0,
  length: 1,
  linkLayer: { address: 2 },
  prefix: {
    prefixLength: 2,
    flags: 3,
    validLifetime: 4,
    preferredLifetime: 8,
    prefix: 16,
    end: 32,
  },
  mtu: { mtu: 4, end: 8 },
  dns: { lifetime: 4, data: 8 },
  pref64: { scaledLifetime: 2, prefix: 4, end: 16 },
} as const;

/** PREF64's prefix lengths by Prefix Length Code (RFC 8781 section 4); codes 6 and 7 are unused. */
const PREF64_LENGTHS = [96, 64, 56, 48, 40, 32] as const;
/** PREF64 carries its lifetime in units of 8 seconds, in 13 bits. */
const PREF64_UNIT = 8;
const PREF64_MAX_SCALED = 0x1fff;

const RA_FLAG = { managed: 0x80, otherConfig: 0x40, homeAgent: 0x20, proxy: 0x04 } as const;
const NA_FLAG = { router: 0x80, solicited: 0x40, override: 0x20 } as const;
const PREFIX_FLAG = { onLink: 0x80, autonomous: 0x40, routerAddress: 0x20 } as const;

/** Default router preference (RFC 4191 section 2.1); the 2-bit codes 01, 00, 11, 10. */
export type RouterPreference = "high" | "medium" | "low" | "reserved";
const PREFERENCE_CODES: readonly RouterPreference[] = ["medium", "high", "reserved", "low"];

/** One ND option; unknown types keep their bytes (`data` is everything after type and length). */
export type NdOption =
  | { readonly kind: "sourceLinkLayer"; readonly address: Uint8Array }
  | { readonly kind: "targetLinkLayer"; readonly address: Uint8Array }
  | {
    readonly kind: "prefixInformation";
    readonly prefixLength: number;
    readonly onLink: boolean;
    readonly autonomous: boolean;
    /** RFC 6275 R flag: `prefix` holds a whole address of the router. */
    readonly routerAddress: boolean;
    readonly validLifetime: number;
    readonly preferredLifetime: number;
    readonly prefix: Uint8Array;
  }
  | { readonly kind: "mtu"; readonly mtu: number }
  | { readonly kind: "rdnss"; readonly lifetime: number; readonly servers: readonly Uint8Array[] }
  | { readonly kind: "dnssl"; readonly lifetime: number; readonly domains: readonly string[] }
  | {
    readonly kind: "pref64";
    /** Seconds, a multiple of 8 up to 65528 (emitting rounds up and caps). */
    readonly lifetime: number;
    /** 32, 40, 48, 56, 64 or 96. */
    readonly prefixLength: number;
    /** 16 bytes; only the first 96 bits go on the wire. */
    readonly prefix: Uint8Array;
  }
  | { readonly kind: "unknown"; readonly type: number; readonly data: Uint8Array };

/** A Router Solicitation. */
export interface RouterSolicitation {
  readonly kind: "routerSolicitation";
  readonly options: readonly NdOption[];
}

/** A Router Advertisement. */
export interface RouterAdvertisement {
  readonly kind: "routerAdvertisement";
  readonly curHopLimit: number;
  readonly managed: boolean;
  readonly otherConfig: boolean;
  readonly homeAgent: boolean;
  readonly preference: RouterPreference;
  readonly proxy: boolean;
  readonly routerLifetime: number;
  readonly reachableTime: number;
  readonly retransTimer: number;
  readonly options: readonly NdOption[];
}

/** A Neighbor Solicitation. */
export interface NeighbourSolicitation {
  readonly kind: "neighbourSolicitation";
  readonly target: Uint8Array;
  readonly options: readonly NdOption[];
}

/** A Neighbor Advertisement. */
export interface NeighbourAdvertisement {
  readonly kind: "neighbourAdvertisement";
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  readonly target: Uint8Array;
  readonly options: readonly NdOption[];
}

export type NdMessage =
  | RouterSolicitation
  | RouterAdvertisement
  | NeighbourSolicitation
  | NeighbourAdvertisement;

/** Parses the ND message in an ICMPv6 message of type 133-136 (structure only: hop limit, code and checksum are the caller's). */
export function parseNdMessage(icmp: Icmpv6Message): Parsed<NdMessage> {
  return guard("ND message", () => {
    const b = icmp.body;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const short = (min: number) =>
      need(b.length >= min, `type ${icmp.type} body of ${b.length} bytes is shorter than ${min}`);
    switch (icmp.type) {
      case ICMPV6_TYPE.routerSolicitation:
        short(FIELD.rs.options);
        return { kind: "routerSolicitation", options: parseOptions(b.subarray(FIELD.rs.options)) };
      case ICMPV6_TYPE.routerAdvertisement: {
        short(FIELD.ra.options);
        const flags = b[FIELD.ra.flags]!;
        return {
          kind: "routerAdvertisement",
          curHopLimit: b[FIELD.ra.curHopLimit]!,
          managed: (flags & RA_FLAG.managed) !== 0,
          otherConfig: (flags & RA_FLAG.otherConfig) !== 0,
          homeAgent: (flags & RA_FLAG.homeAgent) !== 0,
          preference: PREFERENCE_CODES[(flags >> 3) & 3]!,
          proxy: (flags & RA_FLAG.proxy) !== 0,
          routerLifetime: view.getUint16(FIELD.ra.routerLifetime),
          reachableTime: view.getUint32(FIELD.ra.reachableTime),
          retransTimer: view.getUint32(FIELD.ra.retransTimer),
          options: parseOptions(b.subarray(FIELD.ra.options)),
        };
      }
      case ICMPV6_TYPE.neighbourSolicitation:
        short(FIELD.ns.options);
        return {
          kind: "neighbourSolicitation",
          target: b.subarray(FIELD.ns.target, FIELD.ns.target + 16),
          options: parseOptions(b.subarray(FIELD.ns.options)),
        };
      case ICMPV6_TYPE.neighbourAdvertisement: {
        short(FIELD.na.options);
        const flags = b[FIELD.na.flags]!;
        return {
          kind: "neighbourAdvertisement",
          router: (flags & NA_FLAG.router) !== 0,
          solicited: (flags & NA_FLAG.solicited) !== 0,
          override: (flags & NA_FLAG.override) !== 0,
          target: b.subarray(FIELD.na.target, FIELD.na.target + 16),
          options: parseOptions(b.subarray(FIELD.na.options)),
        };
      }
      default:
        throw new MalformedPacket(`ICMPv6 type ${icmp.type} is not a Neighbor Discovery message`);
    }
  });
}

function parseOptions(bytes: Uint8Array): NdOption[] {
  const options: NdOption[] = [];
  for (let at = 0; at < bytes.length;) {
    need(at + 2 <= bytes.length, `option at ${at} is cut short`);
    const units = bytes[at + OPTION_FIELD.length]!;
    need(units > 0, `option ${bytes[at]} at ${at} has length 0`);
    need(
      at + units * 8 <= bytes.length,
      `option ${bytes[at]} of ${units * 8} bytes overruns the message`,
    );
    options.push(parseOption(bytes.subarray(at, at + units * 8)));
    at += units * 8;
  }
  return options;
}

function parseOption(o: Uint8Array): NdOption {
  const view = new DataView(o.buffer, o.byteOffset, o.byteLength);
  const type = o[OPTION_FIELD.type]!;
  const exact = (units: number) =>
    need(o.length === units * 8, `option ${type} has length ${o.length / 8}, not ${units}`);
  switch (type) {
    case ND_OPTION.sourceLinkLayer:
    case ND_OPTION.targetLinkLayer:
      return {
        kind: type === ND_OPTION.sourceLinkLayer ? "sourceLinkLayer" : "targetLinkLayer",
        address: o.subarray(OPTION_FIELD.linkLayer.address),
      };
    case ND_OPTION.prefixInformation: {
      const f = OPTION_FIELD.prefix;
      exact(4);
      const flags = o[f.flags]!;
      const prefixLength = o[f.prefixLength]!;
      need(prefixLength <= 128, `prefix length ${prefixLength} is over 128`);
      return {
        kind: "prefixInformation",
        prefixLength,
        onLink: (flags & PREFIX_FLAG.onLink) !== 0,
        autonomous: (flags & PREFIX_FLAG.autonomous) !== 0,
        routerAddress: (flags & PREFIX_FLAG.routerAddress) !== 0,
        validLifetime: view.getUint32(f.validLifetime),
        preferredLifetime: view.getUint32(f.preferredLifetime),
        prefix: o.subarray(f.prefix, f.end),
      };
    }
    case ND_OPTION.mtu:
      exact(1);
      return { kind: "mtu", mtu: view.getUint32(OPTION_FIELD.mtu.mtu) };
    case ND_OPTION.rdnss: {
      need(
        o.length >= 24 && (o.length - 8) % 16 === 0,
        `RDNSS option of ${o.length} bytes holds no whole addresses`,
      );
      const servers: Uint8Array[] = [];
      for (let at = OPTION_FIELD.dns.data; at < o.length; at += 16) {
        servers.push(o.subarray(at, at + 16));
      }
      return { kind: "rdnss", lifetime: view.getUint32(OPTION_FIELD.dns.lifetime), servers };
    }
    case ND_OPTION.dnssl: {
      need(o.length >= 16, `DNSSL option of ${o.length} bytes holds no name`);
      const domains = parseDomainNames(o.subarray(OPTION_FIELD.dns.data), true);
      if (!domains.ok) throw new MalformedPacket(`DNSSL option: ${domains.error}`);
      return {
        kind: "dnssl",
        lifetime: view.getUint32(OPTION_FIELD.dns.lifetime),
        domains: domains.value,
      };
    }
    case ND_OPTION.pref64: {
      exact(2);
      const word = view.getUint16(OPTION_FIELD.pref64.scaledLifetime);
      const prefixLength = PREF64_LENGTHS[word & 7];
      // RFC 8781 section 4: an unknown Prefix Length Code makes the option one to ignore.
      if (prefixLength === undefined) return { kind: "unknown", type, data: o.subarray(2) };
      const prefix = new Uint8Array(16);
      prefix.set(o.subarray(OPTION_FIELD.pref64.prefix, OPTION_FIELD.pref64.end));
      return { kind: "pref64", lifetime: (word >> 3) * PREF64_UNIT, prefixLength, prefix };
    }
    default:
      return { kind: "unknown", type, data: o.subarray(2) };
  }
}

const pad8 = (n: number) => (n + 7) & ~7;

/** The wire length of one option (a multiple of 8). */
export function ndOptionLength(option: NdOption): number {
  switch (option.kind) {
    case "sourceLinkLayer":
    case "targetLinkLayer":
      return pad8(2 + option.address.length);
    case "prefixInformation":
      return OPTION_FIELD.prefix.end;
    case "mtu":
      return OPTION_FIELD.mtu.end;
    case "rdnss":
      return OPTION_FIELD.dns.data + 16 * option.servers.length;
    case "dnssl":
      return pad8(OPTION_FIELD.dns.data + domainNamesLength(option.domains));
    case "pref64":
      return OPTION_FIELD.pref64.end;
    case "unknown":
      return pad8(2 + option.data.length);
  }
}

/** Writes one option at `into[offset]`, zero-padded to a multiple of 8; returns its length. */
export function emitNdOption(option: NdOption, into: Uint8Array, offset: number): number {
  const length = ndOptionLength(option);
  if (offset + length > into.length) throw new RangeError(`Cannot emit ND option: no room`);
  const o = into.subarray(offset, offset + length);
  o.fill(0);
  const view = new DataView(o.buffer, o.byteOffset, o.byteLength);
  o[OPTION_FIELD.length] = length / 8;
  switch (option.kind) {
    case "sourceLinkLayer":
    case "targetLinkLayer":
      o[0] = option.kind === "sourceLinkLayer"
        ? ND_OPTION.sourceLinkLayer
        : ND_OPTION.targetLinkLayer;
      o.set(option.address, OPTION_FIELD.linkLayer.address);
      break;
    case "prefixInformation": {
      const f = OPTION_FIELD.prefix;
      o[0] = ND_OPTION.prefixInformation;
      o[f.prefixLength] = option.prefixLength;
      o[f.flags] = (option.onLink ? PREFIX_FLAG.onLink : 0) |
        (option.autonomous ? PREFIX_FLAG.autonomous : 0) |
        (option.routerAddress ? PREFIX_FLAG.routerAddress : 0);
      view.setUint32(f.validLifetime, option.validLifetime);
      view.setUint32(f.preferredLifetime, option.preferredLifetime);
      o.set(option.prefix, f.prefix);
      break;
    }
    case "mtu":
      o[0] = ND_OPTION.mtu;
      view.setUint32(OPTION_FIELD.mtu.mtu, option.mtu);
      break;
    case "rdnss":
      o[0] = ND_OPTION.rdnss;
      view.setUint32(OPTION_FIELD.dns.lifetime, option.lifetime);
      option.servers.forEach((s, i) => o.set(s, OPTION_FIELD.dns.data + 16 * i));
      break;
    case "dnssl":
      o[0] = ND_OPTION.dnssl;
      view.setUint32(OPTION_FIELD.dns.lifetime, option.lifetime);
      emitDomainNames(option.domains, o, OPTION_FIELD.dns.data);
      break;
    case "pref64": {
      const code = PREF64_LENGTHS.indexOf(option.prefixLength as (typeof PREF64_LENGTHS)[number]);
      if (code < 0) {
        throw new RangeError(`Cannot emit PREF64: prefix length ${option.prefixLength}`);
      }
      const scaled = Math.min(PREF64_MAX_SCALED, Math.ceil(option.lifetime / PREF64_UNIT));
      o[0] = ND_OPTION.pref64;
      view.setUint16(OPTION_FIELD.pref64.scaledLifetime, (scaled << 3) | code);
      o.set(option.prefix.subarray(0, 12), OPTION_FIELD.pref64.prefix);
      break;
    }
    case "unknown":
      o[0] = option.type;
      o.set(option.data, 2);
      break;
  }
  return length;
}

function bodyFixedLength(message: NdMessage): number {
  switch (message.kind) {
    case "routerSolicitation":
      return FIELD.rs.options;
    case "routerAdvertisement":
      return FIELD.ra.options;
    case "neighbourSolicitation":
      return FIELD.ns.options;
    case "neighbourAdvertisement":
      return FIELD.na.options;
  }
}

/** The wire length of the whole ICMPv6 message (header, fixed part, options). */
export function ndMessageLength(message: NdMessage): number {
  return message.options.reduce(
    (n, o) => n + ndOptionLength(o),
    ICMPV6_HEADER_LENGTH + bodyFixedLength(message),
  );
}

const TYPE_OF = {
  routerSolicitation: ICMPV6_TYPE.routerSolicitation,
  routerAdvertisement: ICMPV6_TYPE.routerAdvertisement,
  neighbourSolicitation: ICMPV6_TYPE.neighbourSolicitation,
  neighbourAdvertisement: ICMPV6_TYPE.neighbourAdvertisement,
} as const;

/**
 * Writes the whole ICMPv6 message at `into[offset]` with a zero checksum (fill it with
 * `setIcmpv6Checksum`, or build the frame with `newIcmpv6Frame`); returns its length.
 */
export function emitNdMessage(message: NdMessage, into: Uint8Array, offset = 0): number {
  const length = ndMessageLength(message);
  if (offset + length > into.length) throw new RangeError(`Cannot emit ND message: no room`);
  emitIcmpv6Header({ type: TYPE_OF[message.kind], code: 0 }, into, offset);
  const body = offset + ICMPV6_HEADER_LENGTH;
  const fixed = bodyFixedLength(message);
  into.fill(0, body, body + fixed);
  const view = new DataView(into.buffer, into.byteOffset + body, fixed);
  switch (message.kind) {
    case "routerAdvertisement": {
      const f = FIELD.ra;
      view.setUint8(f.curHopLimit, message.curHopLimit);
      view.setUint8(
        f.flags,
        (message.managed ? RA_FLAG.managed : 0) | (message.otherConfig ? RA_FLAG.otherConfig : 0) |
          (message.homeAgent ? RA_FLAG.homeAgent : 0) | (message.proxy ? RA_FLAG.proxy : 0) |
          (PREFERENCE_CODES.indexOf(message.preference) << 3),
      );
      view.setUint16(f.routerLifetime, message.routerLifetime);
      view.setUint32(f.reachableTime, message.reachableTime);
      view.setUint32(f.retransTimer, message.retransTimer);
      break;
    }
    case "neighbourSolicitation":
      into.set(message.target, body + FIELD.ns.target);
      break;
    case "neighbourAdvertisement":
      view.setUint8(
        FIELD.na.flags,
        (message.router ? NA_FLAG.router : 0) | (message.solicited ? NA_FLAG.solicited : 0) |
          (message.override ? NA_FLAG.override : 0),
      );
      into.set(message.target, body + FIELD.na.target);
      break;
    case "routerSolicitation":
      break;
  }
  let at = body + fixed;
  for (const option of message.options) at += emitNdOption(option, into, at);
  return at - offset;
}

/** The first option of `kind` in `options`, if any. */
export function findNdOption<K extends NdOption["kind"]>(
  options: readonly NdOption[],
  kind: K,
): Extract<NdOption, { kind: K }> | undefined {
  return options.find((o): o is Extract<NdOption, { kind: K }> => o.kind === kind);
}
