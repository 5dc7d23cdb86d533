/** DHCPv4 options (RFC 2132, RFC 3396): codes, the option-area parser, typed accessors, value builders. */
import { compressedDomainNames } from "./dns_name.ts";
import { guard, MalformedPacket, need, type Parsed } from "./parsed.ts";

/** Option codes we read or write; every other code is kept as raw bytes. */
export const OPTION = {
  pad: 0,
  subnetMask: 1,
  router: 3,
  dnsServers: 6,
  hostname: 12,
  domainName: 15,
  interfaceMtu: 26,
  broadcastAddress: 28,
  ntpServers: 42,
  requestedIp: 50,
  leaseTime: 51,
  overload: 52,
  messageType: 53,
  serverId: 54,
  parameterList: 55,
  message: 56,
  maxMessageSize: 57,
  renewalTime: 58,
  rebindingTime: 59,
  vendorClass: 60,
  clientId: 61,
  ipv6OnlyPreferred: 108,
  domainSearch: 119,
  classlessRoutes: 121,
  /** Option 121's encoding under Microsoft's private code, which older Windows asks for. */
  msClasslessRoutes: 249,
  end: 255,
} as const;

/** DHCP message types (option 53). */
export const MESSAGE_TYPE = {
  discover: 1,
  offer: 2,
  request: 3,
  decline: 4,
  ack: 5,
  nak: 6,
  release: 7,
  inform: 8,
} as const;

const MESSAGE_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: "DHCPDISCOVER",
  2: "DHCPOFFER",
  3: "DHCPREQUEST",
  4: "DHCPDECLINE",
  5: "DHCPACK",
  6: "DHCPNAK",
  7: "DHCPRELEASE",
  8: "DHCPINFORM",
};

/** `DHCPDISCOVER`... for logs; `DHCP message type N` for codes RFC 2132 does not name. */
export function messageTypeName(type: number): string {
  return MESSAGE_TYPE_NAMES[type] ?? `DHCP message type ${type}`;
}

/** Options by code; a code seen more than once holds the concatenation of its parts (RFC 3396). */
export type Dhcp4Options = ReadonlyMap<number, Uint8Array>;

/** Which of `file` and `sname` carry options, from option 52's value (RFC 2132 section 9.3). */
export const OVERLOAD = { file: 1, sname: 2 } as const;

/**
 * Reads the option area `bytes` into `into`, appending to codes already there (RFC 3396).
 * An area may end without END when its last option ends exactly at the end (lenient, as
 * clients do this); an option whose length byte or data runs past the end is malformed.
 * Throws `MalformedPacket`: call it inside `guard`.
 */
export function readOptionArea(
  bytes: Uint8Array,
  into: Map<number, Uint8Array>,
  area: string,
): void {
  let at = 0;
  while (at < bytes.length) {
    const code = bytes[at]!;
    if (code === OPTION.pad) {
      at++;
      continue;
    }
    if (code === OPTION.end) return;
    need(at + 1 < bytes.length, `option ${code} in ${area} has no length byte`);
    const length = bytes[at + 1]!;
    const start = at + 2;
    need(
      start + length <= bytes.length,
      `option ${code} in ${area} claims ${length} bytes, only ${bytes.length - start} remain`,
    );
    const value = bytes.subarray(start, start + length);
    const earlier = into.get(code);
    // The common case (one occurrence) keeps a view; only a split option costs a copy.
    if (earlier === undefined) into.set(code, value);
    else {
      const joined = new Uint8Array(earlier.length + length);
      joined.set(earlier);
      joined.set(value, earlier.length);
      into.set(code, joined);
    }
    at = start + length;
  }
}

/** The option 52 value (1, 2 or 3), or 0 when absent. */
export function overloadOf(options: Dhcp4Options): number {
  const value = options.get(OPTION.overload);
  if (value === undefined) return 0;
  if (value.length !== 1 || value[0]! < 1 || value[0]! > 3) {
    throw new MalformedPacket(`option 52 (overload) is not a single byte 1, 2 or 3`);
  }
  return value[0]!;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function u8Of(options: Dhcp4Options, code: number): number | null {
  const v = options.get(code);
  return v !== undefined && v.length === 1 ? v[0]! : null;
}

function ipv4Of(options: Dhcp4Options, code: number): number | null {
  const v = options.get(code);
  if (v === undefined || v.length !== 4) return null;
  return ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0;
}

function textOf(options: Dhcp4Options, code: number): string | null {
  const v = options.get(code);
  return v === undefined ? null : decoder.decode(v);
}

// Accessors return null for an absent option and for one of the wrong size: a client
// that sends a 3-byte address has not asked for anything we can honour.

/** Option 53, or null (plain BOOTP, or a malformed type). */
export function messageType(options: Dhcp4Options): number | null {
  return u8Of(options, OPTION.messageType);
}

/** Option 50 as an unsigned 32-bit number, or null. */
export function requestedIp(options: Dhcp4Options): number | null {
  return ipv4Of(options, OPTION.requestedIp);
}

/** Option 54 as an unsigned 32-bit number, or null. */
export function serverId(options: Dhcp4Options): number | null {
  return ipv4Of(options, OPTION.serverId);
}

/** Option 12 as text, or null. */
export function hostname(options: Dhcp4Options): string | null {
  return textOf(options, OPTION.hostname);
}

/** Option 55: the codes the client asks for, in its order, or null. */
export function parameterList(options: Dhcp4Options): Uint8Array | null {
  return options.get(OPTION.parameterList) ?? null;
}

/** Option 61: type byte and identifier, raw, or null. */
export function clientId(options: Dhcp4Options): Uint8Array | null {
  return options.get(OPTION.clientId) ?? null;
}

/** Option 57, or null. */
export function maxMessageSize(options: Dhcp4Options): number | null {
  const v = options.get(OPTION.maxMessageSize);
  return v !== undefined && v.length === 2 ? (v[0]! << 8) | v[1]! : null;
}

/** A one-byte option value. */
export function u8Option(value: number): Uint8Array {
  const out = new Uint8Array(1);
  out[0] = value;
  return out;
}

/** A 16-bit big-endian option value (e.g. the interface MTU). */
export function u16Option(value: number): Uint8Array {
  const out = new Uint8Array(2);
  out[0] = value >>> 8;
  out[1] = value;
  return out;
}

/** A 32-bit big-endian option value (lease and renewal times). */
export function u32Option(value: number): Uint8Array {
  // Element stores, not Uint8Array.of: this runs for several options of every reply.
  const out = new Uint8Array(4);
  out[0] = value >>> 24;
  out[1] = value >>> 16;
  out[2] = value >>> 8;
  out[3] = value;
  return out;
}

/** An address option value (mask, server identifier...). */
export function ipv4Option(address: number): Uint8Array {
  return u32Option(address);
}

/** A list of addresses in one option value (routers, DNS servers). */
export function ipv4ListOption(addresses: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * addresses.length);
  addresses.forEach((a, i) => {
    out[4 * i] = a >>> 24;
    out[4 * i + 1] = a >>> 16;
    out[4 * i + 2] = a >>> 8;
    out[4 * i + 3] = a;
  });
  return out;
}

/** A text option value (hostname, domain name), UTF-8 encoded. */
export function textOption(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A domain search list option value (119): the names compressed as RFC 3397 asks. */
export function domainSearchOption(names: readonly string[]): Uint8Array {
  return compressedDomainNames(names);
}

/** A classless static route for options 121 and 249: `router` 0 means on-link. */
export interface ClasslessRoute {
  readonly destination: number;
  readonly prefixLength: number;
  readonly router: number;
}

/**
 * Options 121 and 249 (RFC 3442): per route, the prefix length, the significant octets of the
 * destination (as many as the length needs), then the router's four octets.
 */
export function classlessRoutesOption(routes: readonly ClasslessRoute[]): Uint8Array {
  let length = 0;
  for (const r of routes) length += 1 + Math.ceil(r.prefixLength / 8) + 4;
  const out = new Uint8Array(length);
  let at = 0;
  for (const r of routes) {
    out[at++] = r.prefixLength;
    for (let i = 0; i < Math.ceil(r.prefixLength / 8); i++) {
      out[at++] = r.destination >>> (24 - 8 * i);
    }
    for (let i = 0; i < 4; i++) out[at++] = r.router >>> (24 - 8 * i);
  }
  return out;
}

/** Parses an option 121 or 249 value back into routes (for tests and `replay`). */
export function parseClasslessRoutes(value: Uint8Array): Parsed<ClasslessRoute[]> {
  return guard("classless static routes", () => {
    const routes: ClasslessRoute[] = [];
    let at = 0;
    while (at < value.length) {
      const prefixLength = value[at++]!;
      need(prefixLength <= 32, `prefix length ${prefixLength} is over 32`);
      const octets = Math.ceil(prefixLength / 8);
      need(at + octets + 4 <= value.length, `route for /${prefixLength} is cut short`);
      let destination = 0;
      for (let i = 0; i < 4; i++) {
        destination = destination * 256 + (i < octets ? value[at + i]! : 0);
      }
      at += octets;
      const router = ((value[at]! << 24) | (value[at + 1]! << 16) | (value[at + 2]! << 8) |
        value[at + 3]!) >>> 0;
      at += 4;
      routes.push({ destination, prefixLength, router });
    }
    return routes;
  });
}
