/**
 * DHCPv4 replies built from a request's facts and the settings alone (never from the request),
 * so that a reply is a function of what its memo key holds.
 */
import type { Binding } from "../bindings/binding.ts";
import type { DhcpConfig } from "../config/types.ts";
import { formatIpv4, formatMac } from "../address.ts";
import {
  BOOTP_MIN_LENGTH,
  BOOTREQUEST,
  DHCP4_SERVER_PORT,
  DHCP4_XID_OFFSET,
  type Dhcp4Draft,
  dhcp4Length,
  emitDhcp4,
  FLAG_BROADCAST,
  replyFromRequest,
} from "../wire/dhcp4.ts";
import {
  ipv4Option,
  MESSAGE_TYPE,
  messageTypeName,
  OPTION,
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
import { type Decision, DEFAULT_MTU, refuse } from "./decision.ts";
import {
  type Dhcp4BindingOptions,
  encodeOptions,
  requestedOnly,
  serverAddress,
} from "./dhcp4_binding_options.ts";
import { BOOT_FILE_NAME, type Dhcp4Extras, withExtras } from "./dhcp4_extra_options.ts";
import { describeDhcp4Request, type Dhcp4Facts } from "./dhcp4_facts.ts";
import { describeFit, fitOptions, inClientOrder, messageLimit } from "./dhcp4_fit.ts";
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
  /** The largest IP packet the link carries to the VM (see `replyMtu`); 1500 when absent. */
  readonly linkMtu?: number;
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
  const build = { facts, settings, memo, frames };
  if (binding.ip === null) {
    if (isIpv6OnlyDiscover(facts, binding)) return answerIpv6Only(build);
    return drop("no-address", `${from()}: the binding has no IP`);
  }
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

function bindingOptions({ settings: { binding, config }, memo }: Build): Dhcp4BindingOptions {
  return memo.dhcp4Options.get(binding, config, null, () => encodeOptions(binding, config));
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
  const { facts, settings: { binding, config } } = build;
  if (binding.subnet === null && !config.leaseWithoutSubnet) return noSubnet(build, type);
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
  const what = `${messageTypeName(type)} ${formatIpv4(ip)}`;
  return finish(build, reply, withExtras(parts, options.extras, facts.prl), {
    server: options.server.address,
    type,
    what,
    extras: options.extras,
  });
}

/**
 * The original sent no lease to a binding with IP but no SUBNET (its reply needed the mask and
 * failed); so do we, unless [dhcp] lease_without_subnet asks for a lease without mask.
 */
function noSubnet({ facts, settings: { binding } }: Build, type: number): Dhcp4Outcome {
  return drop(
    "no-address",
    `${describeDhcp4Request(facts, binding.tap)}: no ${messageTypeName(type)}, the binding has ` +
      "IP but no SUBNET (as the original; [dhcp] lease_without_subnet = yes leases it)",
  );
}

/** Where an answer comes from and what it is, for `finish`. */
interface Answer {
  readonly server: number;
  readonly type: number;
  readonly what: string;
  /** Network boot: siaddr and the `file` field; none for the IPv6-only answer. */
  readonly extras?: Dhcp4Extras;
}

/**
 * Sets siaddr and the boot file, puts `parts` in the client's order within its size (leaving
 * out what does not fit, see `fitOptions`) and sends the reply.
 */
function finish(
  build: Build,
  reply: Dhcp4Draft,
  parts: readonly (readonly [number, Uint8Array])[],
  answer: Answer,
): Dhcp4Outcome {
  const { facts, settings } = build;
  const ordered = inClientOrder(parts, facts.prl);
  const extras = answer.extras;
  if (extras !== undefined) {
    reply.siaddr = extras.siaddr;
    if (extras.file !== null) reply.file = extras.file;
  }
  // `file` may carry options when it holds no name, or when the name also goes in option 67,
  // which is then never left out: it may be the only place the name is.
  const nameIn67 = extras?.file != null && ordered.some(([code]) => code === BOOT_FILE_NAME);
  const fileFree = extras?.file == null || nameIn67;
  const limit = messageLimit(facts.maxSize, settings.linkMtu ?? DEFAULT_MTU);
  const fitted = fitOptions(reply, ordered, limit, fileFree, nameIn67 ? [BOOT_FILE_NAME] : []);
  if (fitted === null) {
    return drop("too-large", `${answer.what}: its options do not fit ${limit} bytes`);
  }
  const left = describeFit(fitted, limit);
  const debug = left === undefined ? undefined : `${answer.what}: ${left}`;
  return send(build, reply, answer.server, answer.type, answer.what, debug);
}

/**
 * RFC 8925 section 3.3: a VM with IPv6 (SUBNET6) and no IP whose DISCOVER asks for option 108
 * is told to stay IPv6-only; any other request of such a VM gets nothing, not even a NAK.
 */
function isIpv6OnlyDiscover(facts: Dhcp4Facts, binding: Binding): boolean {
  return binding.subnet6 !== null && facts.type === MESSAGE_TYPE.discover &&
    facts.prl !== null && facts.prl.includes(OPTION.ipv6OnlyPreferred);
}

/**
 * The IPv6-only OFFER: yiaddr 0.0.0.0 and option 108 with [dhcp] ipv6_only_preferred, or 0 when
 * that is unset (RFC 8925 section 3.1: the client then waits its own MIN_V6ONLY_WAIT).
 */
function answerIpv6Only(build: Build): Dhcp4Outcome {
  const { facts, settings: { config } } = build;
  const options = bindingOptions(build);
  if (options.server === null) return noServer(build, MESSAGE_TYPE.offer);
  const reply = replyFromRequest(facts);
  const wait = options.ipv6OnlyPreferred ?? u32Option(0);
  const parts: (readonly [number, Uint8Array])[] = [[OPTION.ipv6OnlyPreferred, wait]];
  parts.push(...closing(MESSAGE_TYPE.offer, options.server.id, facts));
  const seconds = config.ipv6OnlyPreferred ?? 0;
  return finish(build, reply, parts, {
    server: options.server.address,
    type: MESSAGE_TYPE.offer,
    what: `DHCPOFFER 0.0.0.0 (IPv6-only preferred, ${seconds} s)`,
  });
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
  const what = `DHCPACK to DHCPINFORM from ${formatIpv4(facts.ciaddr)}`;
  return finish(build, reply, withExtras(parts, options.extras, facts.prl), {
    server: options.server.address,
    type: MESSAGE_TYPE.ack,
    what,
    extras: options.extras,
  });
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
 * MAC, which a client without an address accepts. giaddr is copied, never used. The UDP
 * destination is the request's source port (68 from every real client), as the original's was.
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
  debug?: string,
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
    { srcPort: DHCP4_SERVER_PORT, dstPort: facts.clientPort },
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
    ...(debug === undefined ? {} : { debug }),
  };
}
