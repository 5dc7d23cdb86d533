/** DHCPv6 options (RFC 8415 section 21, RFC 3646) as an ordered list that keeps nesting and unknown codes. */
import { domainNamesLength, emitDomainNames, parseDomainNames } from "./dns_name.ts";
import { type Duid, duidLength, emitDuid, parseDuid } from "./duid.ts";
import { MalformedPacket, need } from "./parsed.ts";

/** Option codes. */
export const DHCP6_OPTION = {
  clientId: 1,
  serverId: 2,
  iaNa: 3,
  iaTa: 4,
  iaAddress: 5,
  optionRequest: 6,
  preference: 7,
  elapsedTime: 8,
  statusCode: 13,
  rapidCommit: 14,
  dnsServers: 23,
  domainList: 24,
  iaPd: 25,
  iaPrefix: 26,
} as const;

/** Status codes (RFC 8415 section 21.13). */
export const DHCP6_STATUS = {
  success: 0,
  noAddrsAvail: 2,
  noBinding: 3,
  notOnLink: 4,
  noPrefixAvail: 6,
} as const;

/** One DHCPv6 option; unknown codes keep their bytes. */
export type Dhcp6Option =
  | { readonly kind: "clientId"; readonly duid: Duid }
  | { readonly kind: "serverId"; readonly duid: Duid }
  | {
    readonly kind: "iaNa";
    readonly iaid: number;
    readonly t1: number;
    readonly t2: number;
    readonly options: readonly Dhcp6Option[];
  }
  | { readonly kind: "iaTa"; readonly iaid: number; readonly options: readonly Dhcp6Option[] }
  | {
    readonly kind: "iaAddress";
    readonly address: Uint8Array;
    readonly preferredLifetime: number;
    readonly validLifetime: number;
    readonly options: readonly Dhcp6Option[];
  }
  | {
    readonly kind: "iaPd";
    readonly iaid: number;
    readonly t1: number;
    readonly t2: number;
    readonly options: readonly Dhcp6Option[];
  }
  | {
    readonly kind: "iaPrefix";
    readonly preferredLifetime: number;
    readonly validLifetime: number;
    readonly prefixLength: number;
    readonly prefix: Uint8Array;
    readonly options: readonly Dhcp6Option[];
  }
  | { readonly kind: "optionRequest"; readonly codes: readonly number[] }
  | { readonly kind: "preference"; readonly value: number }
  /** Hundredths of a second since the client began the exchange. */
  | { readonly kind: "elapsedTime"; readonly hundredths: number }
  | { readonly kind: "statusCode"; readonly status: number; readonly message: string }
  | { readonly kind: "rapidCommit" }
  | { readonly kind: "dnsServers"; readonly servers: readonly Uint8Array[] }
  | { readonly kind: "domainList"; readonly domains: readonly string[] }
  | { readonly kind: "unknown"; readonly code: number; readonly data: Uint8Array };

/** Byte offsets inside option data (after the 4-byte code + length). */
const FIELD = {
  header: 4,
  ia: { iaid: 0, t1: 4, t2: 8, options: 12 },
  iaTa: { iaid: 0, options: 4 },
  iaAddress: { address: 0, preferred: 16, valid: 20, options: 24 },
  iaPrefix: { preferred: 0, valid: 4, prefixLength: 8, prefix: 9, options: 25 },
  statusCode: { status: 0, message: 2 },
} as const;

/** Containers nest at most IA → address/prefix → status; deeper input is malformed. */
const MAX_DEPTH = 4;
const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** Parses the options filling `bytes`, in order. Throws MalformedPacket (call inside `guard`). */
export function parseDhcp6Options(bytes: Uint8Array, depth = 0): Dhcp6Option[] {
  need(depth <= MAX_DEPTH, "options are nested too deep");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const options: Dhcp6Option[] = [];
  for (let at = 0; at < bytes.length;) {
    need(at + FIELD.header <= bytes.length, `option at ${at} is cut short`);
    const code = view.getUint16(at);
    const length = view.getUint16(at + 2);
    const start = at + FIELD.header;
    need(
      start + length <= bytes.length,
      `option ${code} of ${length} bytes overruns its container`,
    );
    options.push(parseOption(code, bytes.subarray(start, start + length), depth));
    at = start + length;
  }
  return options;
}

function parseOption(code: number, d: Uint8Array, depth: number): Dhcp6Option {
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const atLeast = (n: number) =>
    need(d.length >= n, `option ${code} of ${d.length} bytes is shorter than ${n}`);
  const exactly = (n: number) =>
    need(d.length === n, `option ${code} has ${d.length} bytes, not ${n}`);
  const inner = (from: number) => parseDhcp6Options(d.subarray(from), depth + 1);
  switch (code) {
    case DHCP6_OPTION.clientId:
      return { kind: "clientId", duid: parseDuid(d) };
    case DHCP6_OPTION.serverId:
      return { kind: "serverId", duid: parseDuid(d) };
    case DHCP6_OPTION.iaNa:
    case DHCP6_OPTION.iaPd: {
      const f = FIELD.ia;
      atLeast(f.options);
      return {
        kind: code === DHCP6_OPTION.iaNa ? "iaNa" : "iaPd",
        iaid: view.getUint32(f.iaid),
        t1: view.getUint32(f.t1),
        t2: view.getUint32(f.t2),
        options: inner(f.options),
      };
    }
    case DHCP6_OPTION.iaTa:
      atLeast(FIELD.iaTa.options);
      return {
        kind: "iaTa",
        iaid: view.getUint32(FIELD.iaTa.iaid),
        options: inner(FIELD.iaTa.options),
      };
    case DHCP6_OPTION.iaAddress: {
      const f = FIELD.iaAddress;
      atLeast(f.options);
      return {
        kind: "iaAddress",
        address: d.subarray(f.address, f.address + 16),
        preferredLifetime: view.getUint32(f.preferred),
        validLifetime: view.getUint32(f.valid),
        options: inner(f.options),
      };
    }
    case DHCP6_OPTION.iaPrefix: {
      const f = FIELD.iaPrefix;
      atLeast(f.options);
      return {
        kind: "iaPrefix",
        preferredLifetime: view.getUint32(f.preferred),
        validLifetime: view.getUint32(f.valid),
        prefixLength: d[f.prefixLength]!,
        prefix: d.subarray(f.prefix, f.prefix + 16),
        options: inner(f.options),
      };
    }
    case DHCP6_OPTION.optionRequest: {
      need(d.length % 2 === 0, `option request of ${d.length} bytes is not a list of codes`);
      const codes: number[] = [];
      for (let i = 0; i < d.length; i += 2) codes.push(view.getUint16(i));
      return { kind: "optionRequest", codes };
    }
    case DHCP6_OPTION.preference:
      exactly(1);
      return { kind: "preference", value: d[0]! };
    case DHCP6_OPTION.elapsedTime:
      exactly(2);
      return { kind: "elapsedTime", hundredths: view.getUint16(0) };
    case DHCP6_OPTION.statusCode: {
      atLeast(FIELD.statusCode.message);
      let message: string;
      try {
        message = utf8.decode(d.subarray(FIELD.statusCode.message));
      } catch {
        throw new MalformedPacket("status message is not UTF-8");
      }
      return { kind: "statusCode", status: view.getUint16(FIELD.statusCode.status), message };
    }
    case DHCP6_OPTION.rapidCommit:
      exactly(0);
      return { kind: "rapidCommit" };
    case DHCP6_OPTION.dnsServers: {
      need(d.length % 16 === 0, `DNS servers option of ${d.length} bytes holds no whole addresses`);
      const servers: Uint8Array[] = [];
      for (let i = 0; i < d.length; i += 16) servers.push(d.subarray(i, i + 16));
      return { kind: "dnsServers", servers };
    }
    case DHCP6_OPTION.domainList: {
      const domains = parseDomainNames(d);
      if (!domains.ok) throw new MalformedPacket(`domain list: ${domains.error}`);
      return { kind: "domainList", domains: domains.value };
    }
    default:
      return { kind: "unknown", code, data: d };
  }
}

/** The wire length of one option's data (without its 4-byte header). */
function dataLength(o: Dhcp6Option): number {
  switch (o.kind) {
    case "clientId":
    case "serverId":
      return duidLength(o.duid);
    case "iaNa":
    case "iaPd":
      return FIELD.ia.options + dhcp6OptionsLength(o.options);
    case "iaTa":
      return FIELD.iaTa.options + dhcp6OptionsLength(o.options);
    case "iaAddress":
      return FIELD.iaAddress.options + dhcp6OptionsLength(o.options);
    case "iaPrefix":
      return FIELD.iaPrefix.options + dhcp6OptionsLength(o.options);
    case "optionRequest":
      return 2 * o.codes.length;
    case "preference":
      return 1;
    case "elapsedTime":
      return 2;
    case "statusCode":
      return FIELD.statusCode.message + encoder.encode(o.message).length;
    case "rapidCommit":
      return 0;
    case "dnsServers":
      return 16 * o.servers.length;
    case "domainList":
      return domainNamesLength(o.domains);
    case "unknown":
      return o.data.length;
  }
}

/** The wire length of `options`, headers included. */
export function dhcp6OptionsLength(options: readonly Dhcp6Option[]): number {
  return options.reduce((n, o) => n + FIELD.header + dataLength(o), 0);
}

const CODE_OF: Record<Exclude<Dhcp6Option["kind"], "unknown">, number> = DHCP6_OPTION;

/** Writes `options` at `into[offset]`; returns the bytes written. Throws RangeError when there is no room. */
export function emitDhcp6Options(
  options: readonly Dhcp6Option[],
  into: Uint8Array,
  offset: number,
): number {
  let at = offset;
  for (const o of options) {
    const length = dataLength(o);
    if (at + FIELD.header + length > into.length) {
      throw new RangeError("Cannot emit DHCPv6 option: no room");
    }
    const view = new DataView(into.buffer, into.byteOffset + at, FIELD.header + length);
    view.setUint16(0, o.kind === "unknown" ? o.code : CODE_OF[o.kind]);
    view.setUint16(2, length);
    emitData(
      o,
      into,
      at + FIELD.header,
      new DataView(view.buffer, view.byteOffset + FIELD.header, length),
    );
    at += FIELD.header + length;
  }
  return at - offset;
}

function emitData(o: Dhcp6Option, into: Uint8Array, at: number, view: DataView): void {
  switch (o.kind) {
    case "clientId":
    case "serverId":
      emitDuid(o.duid, into, at);
      return;
    case "iaNa":
    case "iaPd":
      view.setUint32(FIELD.ia.iaid, o.iaid);
      view.setUint32(FIELD.ia.t1, o.t1);
      view.setUint32(FIELD.ia.t2, o.t2);
      emitDhcp6Options(o.options, into, at + FIELD.ia.options);
      return;
    case "iaTa":
      view.setUint32(FIELD.iaTa.iaid, o.iaid);
      emitDhcp6Options(o.options, into, at + FIELD.iaTa.options);
      return;
    case "iaAddress":
      into.set(o.address, at + FIELD.iaAddress.address);
      view.setUint32(FIELD.iaAddress.preferred, o.preferredLifetime);
      view.setUint32(FIELD.iaAddress.valid, o.validLifetime);
      emitDhcp6Options(o.options, into, at + FIELD.iaAddress.options);
      return;
    case "iaPrefix":
      view.setUint32(FIELD.iaPrefix.preferred, o.preferredLifetime);
      view.setUint32(FIELD.iaPrefix.valid, o.validLifetime);
      view.setUint8(FIELD.iaPrefix.prefixLength, o.prefixLength);
      into.set(o.prefix, at + FIELD.iaPrefix.prefix);
      emitDhcp6Options(o.options, into, at + FIELD.iaPrefix.options);
      return;
    case "optionRequest":
      o.codes.forEach((c, i) => view.setUint16(2 * i, c));
      return;
    case "preference":
      view.setUint8(0, o.value);
      return;
    case "elapsedTime":
      view.setUint16(0, o.hundredths);
      return;
    case "statusCode":
      view.setUint16(FIELD.statusCode.status, o.status);
      into.set(encoder.encode(o.message), at + FIELD.statusCode.message);
      return;
    case "rapidCommit":
      return;
    case "dnsServers":
      o.servers.forEach((s, i) => into.set(s, at + 16 * i));
      return;
    case "domainList":
      emitDomainNames(o.domains, into, at);
      return;
    case "unknown":
      into.set(o.data, at);
      return;
  }
}

/** The first option of `kind` in `options`, if any. */
export function findDhcp6Option<K extends Dhcp6Option["kind"]>(
  options: readonly Dhcp6Option[],
  kind: K,
): Extract<Dhcp6Option, { kind: K }> | undefined {
  return options.find((o): o is Extract<Dhcp6Option, { kind: K }> => o.kind === kind);
}

/** Every option of `kind` in `options`, in order. */
export function filterDhcp6Options<K extends Dhcp6Option["kind"]>(
  options: readonly Dhcp6Option[],
  kind: K,
): Extract<Dhcp6Option, { kind: K }>[] {
  return options.filter((o): o is Extract<Dhcp6Option, { kind: K }> => o.kind === kind);
}
