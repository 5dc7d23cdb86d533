/**
 * DHCPv4 replies built from a request's facts and the settings alone (never from the request),
 * so that a reply is a function of what its memo key holds.
 */
import { type Binding, hostnameDomain } from "../bindings/binding.ts";
import type { DhcpConfig } from "../config/types.ts";
import type { StaticRoute4 } from "../dhcp_values.ts";
import { formatIpv4, formatMac, ipv4Mask } from "../address.ts";
import {
  BOOTP_MIN_LENGTH,
  BOOTREQUEST,
  DHCP4_CLIENT_PORT,
  DHCP4_SERVER_PORT,
  DHCP4_XID_OFFSET,
  type Dhcp4Draft,
  dhcp4Length,
  emitDhcp4,
  FLAG_BROADCAST,
  replyFromRequest,
} from "../wire/dhcp4.ts";
import {
  classlessRoutesOption,
  domainSearchOption,
  ipv4ListOption,
  ipv4Option,
  MESSAGE_TYPE,
  messageTypeName,
  OPTION,
  textOption,
  u16Option,
  u32Option,
  u8Option,
} from "../wire/dhcp4_options.ts";
import {
  BROADCAST_MAC,
  emitEthernetHeader,
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_IPV4,
  type FrameAllocator,
} from "../wire/ethernet.ts";
import {
  emitIpv4Header,
  IP_PROTOCOL_UDP,
  IPV4_BROADCAST,
  IPV4_HEADER_LENGTH,
} from "../wire/ipv4.ts";
import { emitUdpHeader4, UDP_HEADER_LENGTH } from "../wire/udp.ts";
import { type Decision, refuse } from "./decision.ts";
import { describeDhcp4Request, type Dhcp4Facts } from "./dhcp4_facts.ts";
import type { PerBindingMemo } from "./memo_tables.ts";
import { dhcp4TypeLabel } from "./packet_report.ts";

/** The part of the daemon's ReplyMemo (memo.ts) a reply is built with. */
export interface OptionsMemo {
  readonly dhcp4Options: PerBindingMemo<Dhcp4BindingOptions>;
}

/** The usual initial TTL; the reply never leaves the TAP anyway. */
const REPLY_TTL = 64;
/** Where the checksum sits in a UDP header (RFC 768). */
const UDP_CHECKSUM_OFFSET = 6;

/** All a reply is built from besides the request's facts. */
export interface Dhcp4Settings {
  readonly binding: Binding;
  readonly config: DhcpConfig;
  /** INDEV's MAC: the reply's Ethernet source. */
  readonly indevMac: Uint8Array;
}

/** A reply frame and where its xid and UDP checksum sit, so a kept copy can be reused. */
export type Dhcp4Reply = Extract<Decision, { kind: "reply" }> & {
  readonly xidAt: number;
  readonly checksumAt: number;
};

/** What `respondDhcp4` decides: a refusal or a reply. */
export type Dhcp4Outcome = Extract<Decision, { kind: "drop" }> | Dhcp4Reply;

/**
 * REFERENCE.md's DHCPv4 rules from the BINDING's IP on (the source checks come before, in the
 * responder): OFFER, ACK, NAK, ACK to INFORM, or a reasoned refusal. Pure: facts and settings in.
 */
export function respondDhcp4(
  facts: Dhcp4Facts,
  settings: Dhcp4Settings,
  memo: OptionsMemo,
  frames: FrameAllocator,
): Dhcp4Outcome {
  const { binding } = settings;
  const from = () => describeDhcp4Request(facts, binding.tap);
  if (binding.ip === null) return drop("no-address", `${from()}: the binding has no IP`);
  const build = { facts, settings, memo, frames };
  switch (facts.type) {
    case MESSAGE_TYPE.discover:
      return answerLease(build, binding.ip, MESSAGE_TYPE.offer);
    case MESSAGE_TYPE.request: {
      // RFC 2131 section 4.3.2: a REQUEST naming another server is the client choosing that
      // server's offer; we stay silent rather than ACK or NAK it.
      const named = facts.serverId;
      const ours = serverAddress(binding, settings.config);
      if (named !== null && named !== ours) {
        return drop("other-server", `${from()}: for server ${formatIpv4(named)}, not ours`);
      }
      // SELECTING and INIT-REBOOT name the address in option 50; RENEWING and REBINDING in ciaddr.
      const wanted = facts.requestedIp ?? (facts.ciaddr || null);
      if (wanted !== null && wanted !== binding.ip) return answerNak(build, binding.ip, wanted);
      return answerLease(build, binding.ip, MESSAGE_TYPE.ack);
    }
    case MESSAGE_TYPE.inform:
      return answerInform(build);
    case MESSAGE_TYPE.release:
      return drop("no-reply", `${from()}: released ${formatIpv4(facts.ciaddr)}, no reply`);
    case MESSAGE_TYPE.decline:
      return drop(
        "no-reply",
        `${from()}: declined ${formatIpv4(facts.requestedIp ?? 0)}, no reply`,
      );
    case null:
      return drop("unsupported", `${from()}: no DHCP message type, plain BOOTP is not served`);
    default:
      return drop("unsupported", `${from()}: not a client message`);
  }
}

/** Whether the facts are of a BOOTREQUEST (replies and junk are refused before the memo). */
export function isBootRequest(facts: Dhcp4Facts): boolean {
  return facts.op === BOOTREQUEST;
}

function drop(...args: Parameters<typeof refuse>): Extract<Decision, { kind: "drop" }> {
  return refuse(...args) as Extract<Decision, { kind: "drop" }>;
}

interface Build {
  readonly facts: Dhcp4Facts;
  readonly settings: Dhcp4Settings;
  readonly memo: OptionsMemo;
  readonly frames: FrameAllocator;
}

/**
 * The server address: server_ip; with server_on_link the binding's gateway, else its subnet's
 * first address (as the original). The original requires server_ip without server_on_link; if
 * the config lets it be unset we fall back to the on-link address rather than invent one.
 */
export function serverAddress(binding: Binding, config: DhcpConfig): number | null {
  if (!config.serverOnLink && config.serverIp !== null) return config.serverIp;
  if (binding.gateway !== null) return binding.gateway;
  return binding.subnet === null ? null : (binding.subnet.network + 1) >>> 0;
}

/**
 * The binding's DOMAIN, else config.domain, else what follows the hostname's first dot. The
 * original takes `hostname.split('.', 1)[-1]`, which for a dotless `testvm` sends "testvm" as
 * the domain; a name without a dot has no domain part, so we send no option 15 then.
 */
function domainOf(binding: Binding, config: DhcpConfig): string | null {
  return binding.overrides?.domain ?? (config.domain || hostnameDomain(binding));
}

/**
 * Option values that depend only on the binding and the config, encoded once per pair and kept
 * in the memo (small typed arrays are what a reply would otherwise allocate most).
 */
export interface Dhcp4BindingOptions {
  /** Options 12 and 15, which every reply but NAK starts with. */
  readonly names: readonly (readonly [number, Uint8Array])[];
  /** OFFER/ACK options after the names: 28, 1, 58, 51, 3, 26, in the original's order. */
  readonly lease: readonly (readonly [number, Uint8Array])[];
  readonly dns: Uint8Array | null;
  /** Options after DNS that OFFER, ACK and INFORM's ACK carry when set: NTP (42), search (119). */
  readonly more: readonly (readonly [number, Uint8Array])[];
  /** The classless static routes (the value of 121 and 249), or null when there are none. */
  readonly routes: Uint8Array | null;
  /** Option 108's value when [dhcp] ipv6_only_preferred is set, else null. */
  readonly ipv6OnlyPreferred: Uint8Array | null;
  /** The server address and its option 54 value, or null when there is none. */
  readonly server: { readonly address: number; readonly id: Uint8Array } | null;
}

function bindingOptions({ settings: { binding, config }, memo }: Build): Dhcp4BindingOptions {
  return memo.dhcp4Options.get(binding, config, null, () => encodeOptions(binding, config));
}

function encodeOptions(binding: Binding, config: DhcpConfig): Dhcp4BindingOptions {
  const names: [number, Uint8Array][] = [];
  if (binding.hostname) names.push([OPTION.hostname, textOption(binding.hostname)]);
  const domain = domainOf(binding, config);
  if (domain !== null) names.push([OPTION.domainName, textOption(domain)]);
  const lease: [number, Uint8Array][] = [];
  if (binding.subnet !== null) {
    const mask = ipv4Mask(binding.subnet.prefixLength);
    lease.push([OPTION.broadcastAddress, ipv4Option((binding.subnet.network | ~mask) >>> 0)]);
    lease.push([OPTION.subnetMask, ipv4Option(mask)]);
  }
  lease.push([OPTION.renewalTime, u32Option(config.leaseRenewal)]);
  lease.push([OPTION.leaseTime, u32Option(config.leaseLifetime)]);
  if (binding.gateway !== null && !binding.private) {
    lease.push([OPTION.router, ipv4Option(binding.gateway)]);
  }
  if (binding.mtu !== null) lease.push([OPTION.interfaceMtu, u16Option(binding.mtu)]);
  const overrides = binding.overrides;
  const nameservers = overrides?.nameservers ?? config.nameservers;
  const dns = nameservers.length > 0 ? ipv4ListOption(nameservers) : null;
  const more: [number, Uint8Array][] = [];
  const ntp = overrides?.ntp ?? config.ntpServers ?? [];
  if (ntp.length > 0) more.push([OPTION.ntpServers, ipv4ListOption(ntp)]);
  const search = overrides?.domainSearch ?? config.domainSearch ?? [];
  if (search.length > 0) more.push([OPTION.domainSearch, domainSearchOption(search)]);
  const routes = staticRoutes(binding, config);
  const wait = config.ipv6OnlyPreferred;
  const address = serverAddress(binding, config);
  return {
    names,
    lease,
    dns,
    more,
    routes: routes.length > 0 ? classlessRoutesOption(routes) : null,
    ipv6OnlyPreferred: wait === undefined ? null : u32Option(wait),
    server: address === null ? null : { address, id: ipv4Option(address) },
  };
}

/**
 * The classless static routes of a binding: its ROUTES, else [dhcp] routes (without their default
 * routes for a PRIVATE binding, which gets no router). A client that takes option 121 ignores
 * option 3 (RFC 3442), so the GATEWAY goes in as well: as the default route unless one is
 * listed, and, when it lies outside SUBNET (a routed /32 with a gateway such as 169.254.0.1),
 * first a host route to it on the link, without which the default route has no way there.
 * With no routes listed and an on-link GATEWAY, option 3 says it all and there are none.
 */
export function staticRoutes(binding: Binding, config: DhcpConfig): StaticRoute4[] {
  const own = binding.overrides?.routes;
  const listed = own ?? (config.routes ?? []).filter((r) => !binding.private || r.prefixLength > 0);
  const gateway = binding.private ? null : binding.gateway;
  // Without a SUBNET nothing says where the link ends: the GATEWAY is taken as on the link, as
  // the original's option 3 alone did.
  const offLink = gateway !== null && binding.subnet !== null && !inSubnet(gateway, binding);
  if (listed.length === 0 && !offLink) return [];
  const routes: StaticRoute4[] = [];
  if (offLink && !listed.some((r) => r.prefixLength === 32 && r.destination === gateway)) {
    routes.push({ destination: gateway, prefixLength: 32, router: 0 });
  }
  routes.push(...listed);
  if (gateway !== null && !listed.some((r) => r.prefixLength === 0)) {
    routes.push({ destination: 0, prefixLength: 0, router: gateway });
  }
  return routes;
}

function inSubnet(address: number, binding: Binding): boolean {
  const subnet = binding.subnet;
  return subnet !== null && ((address & ipv4Mask(subnet.prefixLength)) >>> 0) === subnet.network;
}

/**
 * The options that depend on what the client asked for (option 55): 121 and 249 only when
 * requested (RFC 3442 section 2; 249 is only ever asked for), 121 also when the client sends no
 * list; 108 only when requested (RFC 8925 section 3.3).
 */
function requestedOnly(
  options: Dhcp4BindingOptions,
  prl: Uint8Array | null,
): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  if (options.routes !== null) {
    if (prl === null || prl.includes(OPTION.classlessRoutes)) {
      out.push([OPTION.classlessRoutes, options.routes]);
    }
    if (prl?.includes(OPTION.msClasslessRoutes)) {
      out.push([OPTION.msClasslessRoutes, options.routes]);
    }
  }
  if (options.ipv6OnlyPreferred !== null && prl?.includes(OPTION.ipv6OnlyPreferred)) {
    out.push([OPTION.ipv6OnlyPreferred, options.ipv6OnlyPreferred]);
  }
  return out;
}

/**
 * Sets `parts` on the reply in the order RFC 2131 section 4.3.1 asks for: the options the
 * client's parameter request list names, in its order, then the others in ours. Nothing is
 * left out for not being asked for: mask, router, lease time, server identifier and message type
 * are needed whether requested or not.
 */
function setInOrder(
  reply: Dhcp4Draft,
  parts: readonly (readonly [number, Uint8Array])[],
  prl: Uint8Array | null,
): void {
  if (prl !== null) {
    for (const code of prl) {
      for (const [c, value] of parts) if (c === code) reply.options.set(c, value);
    }
  }
  for (const [code, value] of parts) if (!reply.options.has(code)) reply.options.set(code, value);
}

/** Options 53 and 54, which close every reply (in the original's order), then the client id. */
function closing(type: number, serverId: Uint8Array, facts: Dhcp4Facts): [number, Uint8Array][] {
  const parts: [number, Uint8Array][] = [
    [OPTION.messageType, u8Option(type)],
    [OPTION.serverId, serverId],
  ];
  // RFC 6842: a server MUST echo the client identifier.
  if (facts.clientId !== null) parts.push([OPTION.clientId, facts.clientId]);
  return parts;
}

/** OFFER or ACK: the binding's address and the network around it. */
function answerLease(build: Build, ip: number, type: number): Dhcp4Outcome {
  const { facts } = build;
  const options = bindingOptions(build);
  if (options.server === null) return noServer(build, type);
  const reply = replyFromRequest(facts);
  reply.yiaddr = ip;
  // RFC 2131 table 3: an ACK echoes ciaddr, an OFFER leaves it 0.
  if (type === MESSAGE_TYPE.ack) reply.ciaddr = facts.ciaddr;
  const parts = [...options.names, ...options.lease];
  if (options.dns !== null) parts.push([OPTION.dnsServers, options.dns]);
  parts.push(...options.more, ...requestedOnly(options, facts.prl));
  parts.push(...closing(type, options.server.id, facts));
  setInOrder(reply, parts, facts.prl);
  const what = `${messageTypeName(type)} ${formatIpv4(ip)}`;
  return send(build, reply, options.server.address, type, what);
}

/** ACK to INFORM: names and DNS only; no address, no lease (RFC 2131 section 3.4). */
function answerInform(build: Build): Dhcp4Outcome {
  const { facts } = build;
  const options = bindingOptions(build);
  if (options.server === null) return noServer(build, MESSAGE_TYPE.ack);
  const reply = replyFromRequest(facts);
  reply.ciaddr = facts.ciaddr;
  const parts = [...options.names];
  if (options.dns !== null) parts.push([OPTION.dnsServers, options.dns]);
  // No 108 here: it answers a client choosing whether to take an address, and INFORM has one.
  const wanted = requestedOnly(options, facts.prl).filter(([code]) =>
    code !== OPTION.ipv6OnlyPreferred
  );
  parts.push(...options.more, ...wanted, ...closing(MESSAGE_TYPE.ack, options.server.id, facts));
  setInOrder(reply, parts, facts.prl);
  const what = `DHCPACK to DHCPINFORM from ${formatIpv4(facts.ciaddr)}`;
  return send(build, reply, options.server.address, MESSAGE_TYPE.ack, what);
}

/** NAK: the client asks for an address that is not its binding's. */
function answerNak(build: Build, ip: number, wanted: number): Dhcp4Outcome {
  const { facts, settings: { binding, config } } = build;
  const server = serverAddress(binding, config);
  if (server === null) return noServer(build, MESSAGE_TYPE.nak);
  const reply = replyFromRequest(facts);
  for (const [code, value] of closing(MESSAGE_TYPE.nak, ipv4Option(server), facts)) {
    reply.options.set(code, value);
  }
  const what = `DHCPNAK (requested ${formatIpv4(wanted)}, bound ${formatIpv4(ip)})`;
  return send(build, reply, server, MESSAGE_TYPE.nak, what);
}

function noServer({ facts, settings: { binding } }: Build, type: number): Dhcp4Outcome {
  return drop(
    "no-address",
    `${messageTypeName(type)} to ${formatMac(facts.chaddr)} on ${binding.tap}: ` +
      "no server address (no server_ip or server_on_link, and no GATEWAY or SUBNET in the binding)",
  );
}

/**
 * Where the reply goes (RFC 2131 section 4.1; no relay, the VM sits on the TAP itself):
 * a NAK to 255.255.255.255 (section 4.3.2); else to ciaddr when the client has an address
 * (RENEWING, REBINDING, INFORM); else, when the client set the broadcast bit because it cannot
 * take unicast before it has an address, to 255.255.255.255; else to yiaddr at the client's
 * MAC, which a client without an address accepts. giaddr is copied, never used.
 */
function destination(facts: Dhcp4Facts, yiaddr: number, type: number): number {
  if (type === MESSAGE_TYPE.nak) return IPV4_BROADCAST;
  if (facts.ciaddr !== 0) return facts.ciaddr;
  if (facts.flags & FLAG_BROADCAST) return IPV4_BROADCAST;
  return yiaddr;
}

/** Builds the whole Ethernet frame into one buffer of exactly its size. */
function send(
  { facts, settings: { binding, indevMac }, frames }: Build,
  reply: Dhcp4Draft,
  server: number,
  type: number,
  what: string,
): Dhcp4Reply {
  const dst = destination(facts, reply.yiaddr, type);
  // The MAC check passed, so unless MACSPOOF the chaddr is the binding's MAC; with MACSPOOF a
  // 6-byte unicast chaddr is the sender's MAC; anything else (another length, a group MAC that
  // would carry the reply to others) is not, so the binding's is used.
  const unicastChaddr = facts.hlen === 6 && (facts.chaddr[0]! & 1) === 0;
  const clientMac = binding.macspoof && unicastChaddr ? facts.chaddr : binding.mac;
  const ethDst = dst === IPV4_BROADCAST ? BROADCAST_MAC : clientMac;
  const dhcpLength = dhcp4Length(reply, BOOTP_MIN_LENGTH);
  const udpAt = ETHERNET_HEADER_LENGTH + IPV4_HEADER_LENGTH;
  const dhcpAt = udpAt + UDP_HEADER_LENGTH;
  const frame = frames.allocate(dhcpAt + dhcpLength);
  emitEthernetHeader({ dst: ethDst, src: indevMac, etherType: ETHERTYPE_IPV4 }, frame);
  emitIpv4Header(
    {
      totalLength: frame.length - ETHERNET_HEADER_LENGTH,
      ttl: REPLY_TTL,
      protocol: IP_PROTOCOL_UDP,
      src: server,
      dst,
    },
    frame,
    ETHERNET_HEADER_LENGTH,
  );
  emitDhcp4(reply, frame, dhcpAt, BOOTP_MIN_LENGTH);
  emitUdpHeader4(
    { srcPort: DHCP4_SERVER_PORT, dstPort: DHCP4_CLIENT_PORT },
    frame,
    udpAt,
    dhcpLength,
    server,
    dst,
  );
  return {
    kind: "reply",
    frame,
    why: `${what} to ${
      clientMac === binding.mac ? binding.macText : formatMac(clientMac)
    } on ${binding.tap}${dst === IPV4_BROADCAST ? " (broadcast)" : ""}`,
    wrote: {
      type: dhcp4TypeLabel(type),
      address: reply.yiaddr,
      options: [...reply.options.keys()],
    },
    xidAt: dhcpAt + DHCP4_XID_OFFSET,
    checksumAt: udpAt + UDP_CHECKSUM_OFFSET,
  };
}
