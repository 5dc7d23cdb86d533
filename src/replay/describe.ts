/**
 * An IP packet told in words and fields for `nfdhcpd replay`: DHCPv4, DHCPv6 and Neighbor
 * Discovery messages, requests and replies alike, or the layer that does not parse and where it
 * starts in the frame.
 */
import { formatIpv4, formatIpv6, formatMac } from "../address.ts";
import { type Dhcp4Message, parseDhcp4 } from "../wire/dhcp4.ts";
import {
  messageType,
  messageTypeName,
  OPTION,
  parseClasslessRoutes,
} from "../wire/dhcp4_options.ts";
import { parseCompressedDomainNames } from "../wire/dns_name.ts";
import { dhcp6OptionCode, type RequestReport } from "../serve/packet_report.ts";
import { DHCP6_MESSAGE, type Dhcp6Message, type Dhcp6Relay, parseDhcp6 } from "../wire/dhcp6.ts";
import type { Dhcp6Option } from "../wire/dhcp6_options.ts";
import { parseIcmpv6 } from "../wire/icmpv6.ts";
import { IP_PROTOCOL_UDP, type Ipv4Packet, parseIpv4Packet } from "../wire/ipv4.ts";
import {
  type Ipv6Packet,
  NEXT_HEADER_ICMPV6,
  NEXT_HEADER_UDP,
  parseIpv6Packet,
} from "../wire/ipv6.ts";
import { type NdMessage, type NdOption, parseNdMessage } from "../wire/ndp.ts";
import { parseUdp } from "../wire/udp.ts";

/** A field's value: text, a number, a list of texts, or a flag. */
export type FieldValue = string | number | boolean | readonly string[];

/** What a packet is and says. */
export interface PacketSummary {
  /** "DHCPv4", "DHCPv6", "ICMPv6", "UDP", "IPv4", "IPv6". */
  readonly protocol: string;
  /** The message type ("DISCOVER", "ADVERTISE", "RS", "NA"...), "" when unknown. */
  readonly type: string;
  readonly source: string;
  readonly destination: string;
  /** The DHCP transaction id as 0x-hex, else null. */
  readonly xid: string | null;
  /** Decoded fields, in the order worth reading. */
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** The parser's error and the frame offset of the layer it failed on, else null. */
  readonly malformed: string | null;
}

const DHCP6_NAMES = Object.fromEntries(
  Object.entries(DHCP6_MESSAGE).map(([name, code]) => [
    code,
    name.replace(/[A-Z]/g, (c) => `-${c}`).toUpperCase(),
  ]),
);
const ND_NAMES: Readonly<Record<string, string>> = {
  routerSolicitation: "RS",
  routerAdvertisement: "RA",
  neighbourSolicitation: "NS",
  neighbourAdvertisement: "NA",
};

const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * Describes a request from what its responder read (see packet_report.ts), without reading the
 * packet again; null when the responder parsed nothing (the packet does not parse: describe it
 * with `describePacket`, which says where it breaks).
 */
export function describeRequest(report: RequestReport): PacketSummary | null {
  if (report.dhcp4 !== null) return dhcp4Summary(base4(report.dhcp4.ip), report.dhcp4.dhcp);
  if (report.dhcp6 !== null) return dhcp6Summary(base6(report.dhcp6.ip), report.dhcp6.dhcp);
  // A solicitation a responder read passed RFC 4861's checks, its checksum among them.
  if (report.nd !== null) return ndSummary(base6(report.nd.ip), report.nd.message, true);
  return null;
}

/** Describes the IP packet `ip`, which starts at `ipOffset` in its captured frame. */
export function describePacket(ip: Uint8Array, ipOffset: number): PacketSummary {
  return ip[0]! >> 4 === 4 ? describeIpv4(ip, ipOffset) : describeIpv6(ip, ipOffset);
}

function broken(protocol: string, error: string, layer: string, at: number): PacketSummary {
  const where = `${error} (the ${layer} starts at offset ${at} of the frame)`;
  return {
    protocol,
    type: "",
    source: "",
    destination: "",
    xid: null,
    fields: {},
    malformed: where,
  };
}

function describeIpv4(bytes: Uint8Array, at: number): PacketSummary {
  const ip = parseIpv4Packet(bytes);
  if (!ip.ok) return broken("IPv4", ip.error, "IPv4 header", at);
  const { protocol, headerLength } = ip.value;
  const base = base4(ip.value);
  if (protocol !== IP_PROTOCOL_UDP) {
    return { ...base, protocol: "IPv4", type: `protocol ${protocol}`, fields: {} };
  }
  const udp = parseUdp(ip.value.payload);
  if (!udp.ok) return broken("UDP", udp.error, "UDP header", at + headerLength);
  const { srcPort, dstPort, payload } = udp.value;
  if (dstPort !== 67 && dstPort !== 68) {
    return { ...base, protocol: "UDP", type: `port ${srcPort} -> ${dstPort}`, fields: {} };
  }
  const dhcpAt = at + headerLength + 8;
  const dhcp = parseDhcp4(payload);
  if (!dhcp.ok) return broken("DHCPv4", dhcp.error, "DHCPv4 message", dhcpAt);
  return dhcp4Summary(base, dhcp.value);
}

type Base = Pick<PacketSummary, "source" | "destination" | "xid" | "malformed">;

const base4 = (ip: Ipv4Packet): Base => ({
  source: formatIpv4(ip.src),
  destination: formatIpv4(ip.dst),
  xid: null,
  malformed: null,
});

const base6 = (ip: Ipv6Packet): Base => ({
  source: formatIpv6(ip.src),
  destination: formatIpv6(ip.dst),
  xid: null,
  malformed: null,
});

function dhcp4Summary(base: Base, m: Dhcp4Message): PacketSummary {
  const type = messageType(m.options);
  const fields: Record<string, FieldValue> = { chaddr: formatMac(m.chaddr) };
  if (m.hlen !== 6) fields.hlen = m.hlen;
  if (m.ciaddr !== 0) fields.ciaddr = formatIpv4(m.ciaddr);
  if (m.yiaddr !== 0) fields.yiaddr = formatIpv4(m.yiaddr);
  if (m.giaddr !== 0) fields.giaddr = formatIpv4(m.giaddr);
  if (m.flags & 0x8000) fields.broadcast = true;
  for (const [code, value] of m.options) {
    const name = DHCP4_FIELDS[code];
    if (name !== undefined) fields[name[0]] = name[1](value);
    else if (code !== OPTION.messageType) fields.options = [...asList(fields.options), `${code}`];
  }
  return {
    ...base,
    protocol: "DHCPv4",
    type: type === null ? "BOOTP" : messageTypeName(type).replace(/^DHCP/, ""),
    xid: hex(m.xid),
    fields,
  };
}

const ipv4List = (v: Uint8Array): string[] => {
  const out: string[] = [];
  for (let i = 0; i + 4 <= v.length; i += 4) {
    out.push(formatIpv4(((v[i]! << 24) | (v[i + 1]! << 16) | (v[i + 2]! << 8) | v[i + 3]!) >>> 0));
  }
  return out;
};
const ipv4One = (v: Uint8Array) => ipv4List(v)[0] ?? "";
const u32 = (v: Uint8Array) =>
  v.length < 4 ? -1 : new DataView(v.buffer, v.byteOffset).getUint32(0);
const u16 = (v: Uint8Array) => v.length < 2 ? -1 : (v[0]! << 8) | v[1]!;
const text = (v: Uint8Array) => new TextDecoder().decode(v);
const names = (v: Uint8Array): FieldValue => {
  const parsed = parseCompressedDomainNames(v);
  return parsed.ok ? parsed.value : `unreadable (${parsed.error})`;
};
const routes = (v: Uint8Array): FieldValue => {
  const parsed = parseClasslessRoutes(v);
  if (!parsed.ok) return `unreadable (${parsed.error})`;
  return parsed.value.map((r) =>
    `${formatIpv4(r.destination)}/${r.prefixLength} via ${
      r.router === 0 ? "link" : formatIpv4(r.router)
    }`
  );
};

/** The DHCPv4 options shown, by code: the field's name and how its value reads. */
const DHCP4_FIELDS: Readonly<Record<number, readonly [string, (v: Uint8Array) => FieldValue]>> = {
  [OPTION.requestedIp]: ["requested", ipv4One],
  [OPTION.serverId]: ["server", ipv4One],
  [OPTION.subnetMask]: ["mask", ipv4One],
  [OPTION.router]: ["router", ipv4List],
  [OPTION.dnsServers]: ["dns", ipv4List],
  [OPTION.domainName]: ["domain", text],
  [OPTION.hostname]: ["hostname", text],
  [OPTION.broadcastAddress]: ["broadcastAddress", ipv4One],
  [OPTION.interfaceMtu]: ["mtu", u16],
  [OPTION.leaseTime]: ["lease", u32],
  [OPTION.renewalTime]: ["renewal", u32],
  [OPTION.rebindingTime]: ["rebinding", u32],
  [OPTION.message]: ["message", text],
  [OPTION.ntpServers]: ["ntp", ipv4List],
  [OPTION.ipv6OnlyPreferred]: ["ipv6OnlyWait", u32],
  [OPTION.domainSearch]: ["search", names],
  [OPTION.classlessRoutes]: ["routes", routes],
  [OPTION.msClasslessRoutes]: ["msRoutes", routes],
};

function describeIpv6(bytes: Uint8Array, at: number): PacketSummary {
  const ip = parseIpv6Packet(bytes);
  if (!ip.ok) return broken("IPv6", ip.error, "IPv6 header", at);
  const { protocol, payload } = ip.value;
  const upperAt = at + payload.byteOffset - bytes.byteOffset;
  const base = base6(ip.value);
  if (protocol === NEXT_HEADER_ICMPV6) {
    const icmp = parseIcmpv6(ip.value);
    if (!icmp.ok) return broken("ICMPv6", icmp.error, "ICMPv6 message", upperAt);
    const { type } = icmp.value;
    if (type < 133 || type > 136) {
      return { ...base, protocol: "ICMPv6", type: `type ${type}`, fields: {} };
    }
    const nd = parseNdMessage(icmp.value);
    if (!nd.ok) return broken("ICMPv6", nd.error, "ICMPv6 message", upperAt);
    return ndSummary(base, nd.value, icmp.value.checksumValid);
  }
  if (protocol !== NEXT_HEADER_UDP) {
    return { ...base, protocol: "IPv6", type: `next header ${protocol}`, fields: {} };
  }
  const udp = parseUdp(payload);
  if (!udp.ok) return broken("UDP", udp.error, "UDP header", upperAt);
  const { srcPort, dstPort } = udp.value;
  if (dstPort !== 546 && dstPort !== 547) {
    return { ...base, protocol: "UDP", type: `port ${srcPort} -> ${dstPort}`, fields: {} };
  }
  const dhcp = parseDhcp6(udp.value.payload);
  if (!dhcp.ok) return broken("DHCPv6", dhcp.error, "DHCPv6 message", upperAt + 8);
  return dhcp6Summary(base, dhcp.value);
}

function ndSummary(base: Base, m: NdMessage, checksumValid: boolean): PacketSummary {
  const fields: Record<string, FieldValue> = {};
  if (!checksumValid) fields.checksum = "invalid";
  if (m.kind === "neighbourSolicitation" || m.kind === "neighbourAdvertisement") {
    fields.target = formatIpv6(m.target);
  }
  if (m.kind === "neighbourAdvertisement") {
    fields.flags = [m.router && "router", m.solicited && "solicited", m.override && "override"]
      .filter((f): f is string => f !== false);
  }
  if (m.kind === "routerAdvertisement") {
    fields.routerLifetime = m.routerLifetime;
    fields.flags = [m.managed && "managed", m.otherConfig && "other"]
      .filter((f): f is string => f !== false);
  }
  m.options.forEach((o) => addNdOption(fields, o));
  return { ...base, protocol: "ICMPv6", type: ND_NAMES[m.kind]!, fields };
}

function dhcp6Summary(base: Base, m: Dhcp6Message | Dhcp6Relay): PacketSummary {
  const fields: Record<string, FieldValue> = {};
  m.options.forEach((o) => addDhcp6Option(fields, o));
  return {
    ...base,
    protocol: "DHCPv6",
    type: DHCP6_NAMES[m.msgType] ?? `type ${m.msgType}`,
    xid: m.kind === "message" ? hex(m.transactionId) : null,
    fields,
  };
}

function addNdOption(fields: Record<string, FieldValue>, o: NdOption): void {
  switch (o.kind) {
    case "sourceLinkLayer":
      fields.sourceLinkLayer = formatMac(o.address);
      break;
    case "targetLinkLayer":
      fields.targetLinkLayer = formatMac(o.address);
      break;
    case "prefixInformation": {
      const flags = `${o.onLink ? "L" : ""}${o.autonomous ? "A" : ""}`;
      const prefix = `${formatIpv6(o.prefix)}/${o.prefixLength}${flags ? ` ${flags}` : ""}`;
      fields.prefix = [...asList(fields.prefix), prefix];
      break;
    }
    case "mtu":
      fields.mtu = o.mtu;
      break;
    case "rdnss":
      fields.dns = [...asList(fields.dns), ...o.servers.map(formatIpv6)];
      break;
    case "dnssl":
      fields.domains = [...asList(fields.domains), ...o.domains];
      break;
    case "pref64":
      fields.pref64 = `${formatIpv6(o.prefix)}/${o.prefixLength} lifetime ${o.lifetime}s`;
      break;
    case "unknown":
      fields.options = [...asList(fields.options), `type ${o.type}`];
  }
}

function addDhcp6Option(fields: Record<string, FieldValue>, o: Dhcp6Option): void {
  switch (o.kind) {
    case "iaNa":
      fields.iaid = hex(o.iaid);
      if (o.t1 !== 0 || o.t2 !== 0) fields.t1t2 = `${o.t1}/${o.t2}`;
      o.options.forEach((inner) => addDhcp6Option(fields, inner));
      break;
    case "iaAddress":
      fields.address = [...asList(fields.address), formatIpv6(o.address)];
      if (o.validLifetime !== 0) fields.lease = o.validLifetime;
      o.options.forEach((inner) => addDhcp6Option(fields, inner));
      break;
    case "statusCode":
      fields.status = [...asList(fields.status), `${o.status}${o.message ? ` ${o.message}` : ""}`];
      break;
    case "dnsServers":
      fields.dns = o.servers.map(formatIpv6);
      break;
    case "domainList":
      fields.domains = [...o.domains];
      break;
    case "rapidCommit":
      fields.rapidCommit = true;
      break;
    case "iaPd":
      fields.iaPd = hex(o.iaid);
      o.options.forEach((inner) => addDhcp6Option(fields, inner));
      break;
    case "optionRequest":
      fields.requests = o.codes.map(String);
      break;
    case "preference":
      fields.preference = o.value;
      break;
    default:
      // Identifiers, elapsed time, unknown codes: named by their code.
      fields.options = [...asList(fields.options), `${dhcp6OptionCode(o)}`];
  }
}

const asList = (v: FieldValue | undefined): readonly string[] => Array.isArray(v) ? v : [];
