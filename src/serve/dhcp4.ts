/** The DHCPv4 responder: a VM's request and its binding in, an OFFER/ACK/NAK frame or a reasoned drop out. */
import { type Binding, hostnameDomain } from "../bindings/binding.ts";
import type { DhcpConfig } from "../config/types.ts";
import { formatIpv4, formatMac, ipv4Mask } from "../wire/address.ts";
import {
  BOOTP_MIN_LENGTH,
  BOOTREQUEST,
  DHCP4_CLIENT_PORT,
  DHCP4_SERVER_PORT,
  type Dhcp4Draft,
  dhcp4Length,
  type Dhcp4Message,
  echoClientId,
  emitDhcp4,
  FLAG_BROADCAST,
  parseDhcp4,
  replyFromRequest,
} from "../wire/dhcp4.ts";
import {
  ipv4ListOption,
  ipv4Option,
  MESSAGE_TYPE,
  messageType,
  messageTypeName,
  OPTION,
  requestedIp,
  serverId,
  textOption,
  u16Option,
  u32Option,
  u8Option,
} from "../wire/dhcp4_options.ts";
import {
  allocateFrame,
  BROADCAST_MAC,
  emitEthernetHeader,
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_IPV4,
} from "../wire/ethernet.ts";
import {
  emitIpv4Header,
  IP_PROTOCOL_UDP,
  IPV4_BROADCAST,
  IPV4_HEADER_LENGTH,
  type Ipv4Packet,
  isFragment,
  parseIpv4Packet,
} from "../wire/ipv4.ts";
import type { Parsed } from "../wire/parsed.ts";
import { emitUdpHeader4, parseUdp, UDP_HEADER_LENGTH, type UdpDatagram } from "../wire/udp.ts";
import { type Decision, type InterfaceInfo, refuse } from "./decision.ts";
import { cachedReply, rememberReply } from "./dhcp4_reply_cache.ts";
import { spoofedBy } from "./source_check.ts";

/** The usual initial TTL; the reply never leaves the TAP anyway. */
const REPLY_TTL = 64;

/** A queued DHCPv4 request, parsed once, layer by layer. */
export interface Dhcp4Request {
  readonly ip: Ipv4Packet;
  readonly udp: UdpDatagram;
  readonly dhcp: Dhcp4Message;
}

/** Everything `answerDhcp4` decides from; the dispatcher gathers it. */
export interface Dhcp4Input {
  readonly request: Dhcp4Request;
  /** The binding of the TAP the request came in on. */
  readonly binding: Binding;
  readonly config: DhcpConfig;
  /** INDEV: its MAC is the Ethernet source of the reply. */
  readonly indev: InterfaceInfo;
  /** The request frame's Ethernet source, when the queue reports it. */
  readonly hwSource?: Uint8Array | null;
}

/**
 * Cheap routing test for the dispatcher: an unfragmented IPv4 UDP packet to port 67.
 * Reads four fields, allocates nothing; `parseDhcp4Request` does the real checks.
 */
export function isDhcp4Request(packet: Uint8Array): boolean {
  if (packet.length < IPV4_HEADER_LENGTH || packet[0]! >> 4 !== 4) return false;
  if (packet[9] !== IP_PROTOCOL_UDP) return false;
  // A later fragment has no UDP header; a first one has no whole message.
  if (((packet[6]! & 0x3f) | packet[7]!) !== 0) return false;
  const portAt = (packet[0]! & 0x0f) * 4 + 2;
  return portAt + 1 < packet.length &&
    ((packet[portAt]! << 8) | packet[portAt + 1]!) === DHCP4_SERVER_PORT;
}

/**
 * Parses a queued IPv4 packet into a DHCPv4 request. The UDP checksum is not enforced: a
 * guest with checksum offload may leave it partial, and the link is a host-local TAP.
 */
export function parseDhcp4Request(packet: Uint8Array): Parsed<Dhcp4Request> {
  const ip = parseIpv4Packet(packet);
  if (!ip.ok) return ip;
  if (ip.value.protocol !== IP_PROTOCOL_UDP) {
    return {
      ok: false,
      error: `Cannot parse DHCPv4 request: IP protocol ${ip.value.protocol} is not UDP`,
    };
  }
  if (isFragment(ip.value)) return { ok: false, error: "Cannot parse DHCPv4 request: IP fragment" };
  const udp = parseUdp(ip.value.payload);
  if (!udp.ok) return udp;
  if (udp.value.dstPort !== DHCP4_SERVER_PORT) {
    return {
      ok: false,
      error: `Cannot parse DHCPv4 request: UDP port ${udp.value.dstPort} is not 67`,
    };
  }
  const dhcp = parseDhcp4(udp.value.payload);
  if (!dhcp.ok) return dhcp;
  return { ok: true, value: { ip: ip.value, udp: udp.value, dhcp: dhcp.value } };
}

/**
 * The dispatcher's one call: parses a queued packet and answers it. A packet to port 67 that
 * does not parse is still a bound VM's, so it is dropped (not passed on), its error as the why.
 * `hwSource` is the frame's Ethernet source when the queue reports it.
 */
export function answerDhcp4Packet(
  packet: Uint8Array,
  binding: Binding,
  config: DhcpConfig,
  indev: InterfaceInfo,
  hwSource: Uint8Array | null = null,
): Decision {
  const request = parseDhcp4Request(packet);
  if (!request.ok) {
    return refuse("malformed", `Malformed DHCPv4 request on ${binding.tap}: ${request.error}`);
  }
  return answerDhcp4({ request: request.value, binding, config, indev, hwSource });
}

/** REFERENCE.md's DHCPv4 rules, one branch each. Pure: no clock, no I/O. */
export function answerDhcp4(input: Dhcp4Input): Decision {
  const { request: { dhcp }, binding } = input;
  const type = messageType(dhcp.options);
  // Built only on the drop paths: the reply path formats its own, shorter why.
  const from = () =>
    `${type === null ? "BOOTP request" : messageTypeName(type)} from ${
      formatMac(dhcp.chaddr)
    } on ${binding.tap}`;
  if (dhcp.op !== BOOTREQUEST) return refuse("malformed", `${from()}: not a BOOTREQUEST`);
  // Unless MACSPOOF the chaddr must be the binding's MAC (hlen 6, or it is not a MAC at all), and
  // so must the frame's Ethernet source when the queue reports it.
  if (!binding.macspoof && dhcp.hlen !== 6) {
    return refuse(
      "spoofed-mac",
      `${from()}: spoofed, hlen ${dhcp.hlen}, the binding's MAC is ${binding.macText}`,
    );
  }
  const spoofed = spoofedBy(binding, input.hwSource ?? null, dhcp.chaddr);
  if (spoofed !== null) return refuse("spoofed-mac", `${from()}: ${spoofed}`);
  if (binding.ip === null) return refuse("no-address", `${from()}: the binding has no IP`);
  switch (type) {
    case MESSAGE_TYPE.discover:
      return answerLease(input, binding.ip, MESSAGE_TYPE.offer);
    case MESSAGE_TYPE.request: {
      // RFC 2131 section 4.3.2: a REQUEST naming another server is the client choosing that
      // server's offer; we stay silent rather than ACK or NAK it.
      const named = serverId(dhcp.options);
      const ours = serverAddress(binding, input.config);
      if (named !== null && named !== ours) {
        return refuse("other-server", `${from()}: for server ${formatIpv4(named)}, not ours`);
      }
      // SELECTING and INIT-REBOOT name the address in option 50; RENEWING and REBINDING in ciaddr.
      const wanted = requestedIp(dhcp.options) ?? (dhcp.ciaddr || null);
      if (wanted !== null && wanted !== binding.ip) return answerNak(input, binding.ip, wanted);
      return answerLease(input, binding.ip, MESSAGE_TYPE.ack);
    }
    case MESSAGE_TYPE.inform:
      return answerInform(input);
    case MESSAGE_TYPE.release:
      return refuse("no-reply", `${from()}: released ${formatIpv4(dhcp.ciaddr)}, no reply`);
    case MESSAGE_TYPE.decline:
      return refuse(
        "no-reply",
        `${from()}: declined ${formatIpv4(requestedIp(dhcp.options) ?? 0)}, no reply`,
      );
    case null:
      return refuse("unsupported", `${from()}: no DHCP message type, plain BOOTP is not served`);
    default:
      return refuse("unsupported", `${from()}: not a client message`);
  }
}

/**
 * The server address: server_ip; with server_on_link the binding's gateway, else its subnet's
 * first address (as the original). The original requires server_ip without server_on_link; if
 * the config lets it be unset we fall back to the on-link address rather than invent one.
 */
function serverAddress(binding: Binding, config: DhcpConfig): number | null {
  if (!config.serverOnLink && config.serverIp !== null) return config.serverIp;
  if (binding.gateway !== null) return binding.gateway;
  return binding.subnet === null ? null : (binding.subnet.network + 1) >>> 0;
}

/**
 * config.domain, else what follows the hostname's first dot. The original takes
 * `hostname.split('.', 1)[-1]`, which for a dotless `testvm` sends "testvm" as the domain;
 * a name without a dot has no domain part, so we send no option 15 then.
 */
function domainOf(binding: Binding, config: DhcpConfig): string | null {
  return config.domain || hostnameDomain(binding);
}

/**
 * Option values that depend only on the binding and the config, encoded once per pair and
 * reused for every reply (small typed arrays are what a reply would otherwise allocate most).
 * Bindings and configs are immutable and replaced on change, so identity keys the cache.
 */
interface BindingOptions {
  readonly config: DhcpConfig;
  /** Options 12 and 15, which every reply but NAK starts with. */
  readonly names: readonly (readonly [number, Uint8Array])[];
  /** OFFER/ACK options after the names: 28, 1, 58, 51, 3, 26, in the original's order. */
  readonly lease: readonly (readonly [number, Uint8Array])[];
  readonly dns: Uint8Array | null;
  /** The server address and its option 54 value, or null when there is none. */
  readonly server: { readonly address: number; readonly id: Uint8Array } | null;
}

const optionCache = new WeakMap<Binding, BindingOptions>();
const MESSAGE_TYPE_OPTIONS = Array.from({ length: 9 }, (_, type) => u8Option(type));

function bindingOptions(binding: Binding, config: DhcpConfig): BindingOptions {
  const cached = optionCache.get(binding);
  if (cached !== undefined && cached.config === config) return cached;
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
  const dns = config.nameservers.length > 0 ? ipv4ListOption(config.nameservers) : null;
  const address = serverAddress(binding, config);
  const entry = {
    config,
    names,
    lease,
    dns,
    server: address === null ? null : { address, id: ipv4Option(address) },
  };
  optionCache.set(binding, entry);
  return entry;
}

/** Options 53 and 54, which close every reply (in the original's order), then the client id. */
function finish(
  reply: Dhcp4Draft,
  type: number,
  serverId: Uint8Array,
  request: Dhcp4Message,
): Dhcp4Draft {
  reply.options.set(OPTION.messageType, MESSAGE_TYPE_OPTIONS[type]!);
  reply.options.set(OPTION.serverId, serverId);
  return echoClientId(reply, request);
}

/** OFFER or ACK: the binding's address and the network around it. */
function answerLease(input: Dhcp4Input, ip: number, type: number): Decision {
  const { request: { dhcp }, binding, config } = input;
  const options = bindingOptions(binding, config);
  if (options.server === null) return noServer(input, type);
  const cached = cachedReply(binding, config, input.indev.mac, type, dhcp);
  if (cached !== null) return cached;
  const reply = replyFromRequest(dhcp);
  reply.yiaddr = ip;
  // RFC 2131 table 3: an ACK echoes ciaddr, an OFFER leaves it 0.
  if (type === MESSAGE_TYPE.ack) reply.ciaddr = dhcp.ciaddr;
  for (const [code, value] of options.names) reply.options.set(code, value);
  for (const [code, value] of options.lease) reply.options.set(code, value);
  if (options.dns !== null) reply.options.set(OPTION.dnsServers, options.dns);
  finish(reply, type, options.server.id, dhcp);
  const decision = send(
    input,
    reply,
    options.server.address,
    type,
    `${messageTypeName(type)} ${formatIpv4(ip)}`,
  );
  return rememberReply(binding, config, input.indev.mac, type, dhcp, decision);
}

/** ACK to INFORM: names and DNS only; no address, no lease (RFC 2131 section 3.4). */
function answerInform(input: Dhcp4Input): Decision {
  const { request: { dhcp }, binding, config } = input;
  const options = bindingOptions(binding, config);
  if (options.server === null) return noServer(input, MESSAGE_TYPE.ack);
  const reply = replyFromRequest(dhcp);
  reply.ciaddr = dhcp.ciaddr;
  for (const [code, value] of options.names) reply.options.set(code, value);
  if (options.dns !== null) reply.options.set(OPTION.dnsServers, options.dns);
  finish(reply, MESSAGE_TYPE.ack, options.server.id, dhcp);
  const what = `DHCPACK to DHCPINFORM from ${formatIpv4(dhcp.ciaddr)}`;
  return send(input, reply, options.server.address, MESSAGE_TYPE.ack, what);
}

/** NAK: the client asks for an address that is not its binding's. */
function answerNak(input: Dhcp4Input, ip: number, wanted: number): Decision {
  const { request: { dhcp }, binding, config } = input;
  const server = serverAddress(binding, config);
  if (server === null) return noServer(input, MESSAGE_TYPE.nak);
  const reply = finish(replyFromRequest(dhcp), MESSAGE_TYPE.nak, ipv4Option(server), dhcp);
  const what = `DHCPNAK (requested ${formatIpv4(wanted)}, bound ${formatIpv4(ip)})`;
  return send(input, reply, server, MESSAGE_TYPE.nak, what);
}

function noServer(input: Dhcp4Input, type: number): Decision {
  return refuse(
    "no-address",
    `${messageTypeName(type)} to ${
      formatMac(input.request.dhcp.chaddr)
    } on ${input.binding.tap}: ` +
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
function destination(request: Dhcp4Message, reply: Dhcp4Message, type: number): number {
  if (type === MESSAGE_TYPE.nak) return IPV4_BROADCAST;
  if (request.ciaddr !== 0) return request.ciaddr;
  if (request.flags & FLAG_BROADCAST) return IPV4_BROADCAST;
  return reply.yiaddr;
}

/** Builds the whole Ethernet frame into one buffer of exactly its size. */
function send(
  input: Dhcp4Input,
  reply: Dhcp4Message,
  server: number,
  type: number,
  what: string,
): Decision {
  const { request: { dhcp }, binding, indev } = input;
  const dst = destination(dhcp, reply, type);
  // The MAC check passed, so unless MACSPOOF the chaddr is the binding's MAC; with MACSPOOF a
  // 6-byte unicast chaddr is the sender's MAC; anything else (another length, a group MAC that
  // would carry the reply to others) is not, so the binding's is used.
  const unicastChaddr = dhcp.hlen === 6 && (dhcp.chaddr[0]! & 1) === 0;
  const clientMac = binding.macspoof && unicastChaddr ? dhcp.chaddr : binding.mac;
  const ethDst = dst === IPV4_BROADCAST ? BROADCAST_MAC : clientMac;
  const dhcpLength = dhcp4Length(reply, BOOTP_MIN_LENGTH);
  const udpAt = ETHERNET_HEADER_LENGTH + IPV4_HEADER_LENGTH;
  const dhcpAt = udpAt + UDP_HEADER_LENGTH;
  const frame = allocateFrame(dhcpAt + dhcpLength);
  emitEthernetHeader({ dst: ethDst, src: indev.mac, etherType: ETHERTYPE_IPV4 }, frame);
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
  };
}
