/** The DHCPv6 responder: Information-Request, stateful IA_NA leasing of the VM's addresses and IA_PD delegation of its prefixes. */
import type { Binding } from "../bindings/binding.ts";
import type { Config } from "../config/types.ts";
import { formatIpv6 } from "../address.ts";
import { pseudoHeaderSum6 } from "../wire/checksum.ts";
import {
  DHCP6_MESSAGE,
  DHCP6_SERVER_PORT,
  dhcp6Length,
  type Dhcp6Message,
  type Dhcp6Relay,
  emitDhcp6,
  parseDhcp6,
} from "../wire/dhcp6.ts";
import {
  DHCP6_STATUS,
  type Dhcp6Option,
  dhcp6OptionsLength,
  filterDhcp6Options,
  findDhcp6Option,
} from "../wire/dhcp6_options.ts";
import { type Duid, duidLength, emitDuid, HARDWARE_TYPE_ETHERNET, sameDuid } from "../wire/duid.ts";
import {
  type AllocateFrame,
  IPV6_FRAME_PAYLOAD_OFFSET,
  IPV6_HEADER_LENGTH,
  type Ipv6Packet,
  isMulticast,
  isUnspecified,
  newIpv6Frame,
  NEXT_HEADER_UDP,
  parseIpv6Packet,
  sameIpv6,
} from "../wire/ipv6.ts";
import { emitUdpHeader, parseUdp, UDP_HEADER_LENGTH, type UdpDatagram } from "../wire/udp.ts";
import { type Decision, type InterfaceInfo, type RefusalReason, refuse } from "./decision.ts";
import { type Dhcp6Lifetimes, dhcp6Lifetimes, leaseIas, status } from "./dhcp6_ia.ts";
import { configurationOptions } from "./dhcp6_settings.ts";
import { hostLinkLocal, leasedAddresses } from "./ipv6_binding.ts";
import type { ReplyMemo } from "./memo.ts";
import { dhcp6OptionCode, dhcp6TypeLabel, type RequestReport } from "./packet_report.ts";
import type { Responder, ResponderContext } from "./responder.ts";
import { spoofedBy } from "./source_check.ts";

/** CS6, as the original marks its replies. */
const TRAFFIC_CLASS = 0xc0;
const HOP_LIMIT = 64;
/** RFC 8415 section 18.2.1: a client that sees 255 requests at once instead of waiting. */
const MAX_PREFERENCE = 255;
/**
 * The largest reply packet we build: IPv6's minimum MTU (RFC 8200 section 5), which every IPv6
 * link carries, so a reply fits whatever the link; IAs we cannot serve are left out to get there.
 */
const MAX_REPLY_PACKET = 1280;

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(DHCP6_MESSAGE).map(([name, code]) => [code, name]),
);

/**
 * The server identifier: DUID-LL of INDEV's MAC. The original sends DUID-LLT with the
 * current time, a new identity on every reply; Request, Renew and Release must name ours,
 * so it has to be stable.
 */
export function serverDuid(indev: InterfaceInfo): Duid {
  return { type: "ll", hardwareType: HARDWARE_TYPE_ETHERNET, linkLayerAddress: indev.mac };
}

/** A request that reached the DHCPv6 layer. */
interface Request {
  readonly ip: Ipv6Packet;
  readonly udp: UdpDatagram;
  readonly dhcp: Dhcp6Message;
}

/**
 * DHCPv6 message → Reply/Advertise (RFC 8415 section 18.3), in every mode: the mode only
 * sets the RA's M and O flags. The UDP checksum is not enforced (a guest with checksum
 * offload may leave it partial; the link is a host-local TAP). No SUBNET6 → no reply, as the
 * original. Messages with a missing or foreign server identifier where RFC 8415 section 16
 * says to discard them are dropped. Unless MACSPOOF, the frame's Ethernet source `hwSource`
 * (when the queue reports it) must be the binding's MAC; the client identifier is not checked,
 * even a DUID-LL or DUID-LLT holding another MAC: a DUID names the client, not the link, and a
 * client keeps one DUID on all its interfaces (RFC 8415 section 11). The reply never exceeds
 * `MAX_REPLY_PACKET`: the IAs we refuse are left out first.
 */
export const dhcp6Responder: Responder = {
  answer: answerDhcp6,
};

function answerDhcp6(packet: Uint8Array, context: ResponderContext): Decision {
  const { binding, indev, hwSource, memo } = context;
  const config = context.config.ipv6;
  const lifetimes = dhcp6Lifetimes(context.config);
  const ip = parseIpv6Packet(packet);
  if (!ip.ok) return refuse("malformed", `DHCPv6: ${ip.error}`);
  if (ip.value.protocol !== NEXT_HEADER_UDP) {
    return refuse("unsupported", `DHCPv6 queue: protocol ${ip.value.protocol} is not UDP`);
  }
  const udp = parseUdp(ip.value.payload);
  if (!udp.ok) return refuse("malformed", `DHCPv6: ${udp.error}`);
  if (udp.value.dstPort !== DHCP6_SERVER_PORT) {
    return refuse("unsupported", `DHCPv6 queue: UDP port ${udp.value.dstPort} is not 547`);
  }
  const dhcp = parseDhcp6(udp.value.payload);
  if (!dhcp.ok) return refuse("malformed", `DHCPv6: ${dhcp.error}`);
  reportRequest(dhcp.value, context.report);
  context.report.dhcp6 = { ip: ip.value, udp: udp.value, dhcp: dhcp.value };
  const name = NAMES[dhcp.value.msgType] ?? `message type ${dhcp.value.msgType}`;
  const from = `DHCPv6 ${name} from ${formatIpv6(ip.value.src)} on ${binding.tap}`;
  const drop = (reason: RefusalReason, why: string) => refuse(reason, `${from}: ${why}`);
  if (dhcp.value.kind === "relay") return drop("unsupported", "relayed messages are not served");
  if (isUnspecified(ip.value.src) || isMulticast(ip.value.src)) {
    return drop("malformed", "no source to answer");
  }
  // The frame's source is checked, not the DUID: RFC 8415 has a client keep one DUID on all its
  // interfaces (a VM's second NIC, an image cloned with its DUID-LLT), so it names no link.
  const spoofed = spoofedBy(binding, hwSource);
  if (spoofed !== null) return drop("spoofed-mac", spoofed);
  if (binding.subnet6 === null) return drop("no-address", "the binding has no SUBNET6");
  const request: Request = { ip: ip.value, udp: udp.value, dhcp: dhcp.value };
  const refusal = answerable(request.dhcp, indev);
  if (refusal !== null) return drop(refusal.reason, refusal.why);
  const built = replyFor(request.dhcp, { binding, config, indev, lifetimes, memo });
  if (built === null) {
    return drop("no-reply", "no addresses to confirm, no reply (RFC 8415 section 18.3.3)");
  }
  const fitted = fitReply(built, MAX_REPLY_PACKET - IPV6_HEADER_LENGTH - UDP_HEADER_LENGTH);
  if (fitted === null) {
    return drop(
      "too-large",
      `the reply exceeds ${MAX_REPLY_PACKET} bytes even without refused IAs and extra options`,
    );
  }
  const { reply, leftOut } = fitted;
  const frame = dhcp6Frame(reply, request, binding, indev, (n) => context.frames.allocate(n));
  const cut = leftOut.length === 0
    ? ""
    : `; options ${leftOut.join(", ")} left out to fit ${MAX_REPLY_PACKET} bytes`;
  return {
    kind: "reply",
    frame,
    why: `${from}: ${NAMES[reply.msgType]} ${summary(reply)}${cut}`,
    wrote: {
      type: dhcp6TypeLabel(reply.msgType),
      address: 0,
      options: reply.options.map(dhcp6OptionCode),
    },
  };
}

/** Tells `report` the message's type, client DUID and requested options. */
function reportRequest(dhcp: Dhcp6Message | Dhcp6Relay, report: RequestReport): void {
  if (dhcp.kind === "relay") return report.read(dhcp6TypeLabel(dhcp.msgType), null, null);
  const client = findDhcp6Option(dhcp.options, "clientId");
  let clientId: Uint8Array | null = null;
  if (client !== undefined) {
    clientId = new Uint8Array(duidLength(client.duid));
    emitDuid(client.duid, clientId);
  }
  const requested = findDhcp6Option(dhcp.options, "optionRequest")?.codes ?? null;
  report.read(dhcp6TypeLabel(dhcp.msgType), clientId, requested);
}

/**
 * `reply` without the IAs we refuse (those holding no address or prefix, from the last), then
 * without the options we carry as raw bytes (OPTION6_<n>, 39, 56, 59, 32, from the last), until
 * it is at most `limit` bytes; with the codes of the options left out. Null when it is still
 * larger without any of them.
 */
function fitReply(
  reply: Dhcp6Message,
  limit: number,
): { reply: Dhcp6Message; leftOut: number[] } | null {
  let excess = dhcp6Length(reply) - limit;
  if (excess <= 0) return { reply, leftOut: [] };
  const left = new Set<Dhcp6Option>();
  const leftOut: number[] = [];
  const raw = (o: Dhcp6Option) => o.kind === "unknown";
  for (const expendable of [isRefusedIa, raw]) {
    for (let i = reply.options.length - 1; i >= 0 && excess > 0; i--) {
      const o = reply.options[i]!;
      if (expendable(o)) {
        left.add(o);
        if (o.kind === "unknown") leftOut.push(o.code);
        excess -= dhcp6OptionsLength([o]);
      }
    }
  }
  if (excess > 0) return null;
  return { reply: { ...reply, options: reply.options.filter((o) => !left.has(o)) }, leftOut };
}

function isRefusedIa(o: Dhcp6Option): boolean {
  return (o.kind === "iaNa" || o.kind === "iaTa" || o.kind === "iaPd") &&
    !o.options.some((inner) => inner.kind === "iaAddress" || inner.kind === "iaPrefix");
}

/** Why RFC 8415 section 16 has the server discard `dhcp`, or null when it answers it. */
function answerable(
  dhcp: Dhcp6Message,
  indev: InterfaceInfo,
): { reason: RefusalReason; why: string } | null {
  const client = findDhcp6Option(dhcp.options, "clientId");
  const server = findDhcp6Option(dhcp.options, "serverId");
  const ours = server !== undefined && sameDuid(server.duid, serverDuid(indev));
  const malformed = (why: string) => ({ reason: "malformed" as const, why });
  const otherServer = { reason: "other-server" as const, why: "for another server" };
  const M = DHCP6_MESSAGE;
  switch (dhcp.msgType) {
    case M.solicit:
    case M.confirm:
    case M.rebind:
      if (client === undefined) return malformed("no client identifier");
      return server === undefined ? null : malformed("carries a server identifier");
    case M.request:
    case M.renew:
    case M.release:
    case M.decline:
      if (client === undefined) return malformed("no client identifier");
      if (ours) return null;
      return server === undefined ? malformed("no server identifier") : otherServer;
    case M.informationRequest:
      if (server !== undefined && !ours) return otherServer;
      return dhcp.options.some((o) => o.kind === "iaNa" || o.kind === "iaTa" || o.kind === "iaPd")
        ? malformed("carries an IA")
        : null;
    default:
      return { reason: "unsupported", why: "not a client message" };
  }
}

/** The reply message, or null when there is none to send (a Confirm without addresses). */
function replyFor(
  dhcp: Dhcp6Message,
  { binding, config, indev, lifetimes, memo }: {
    binding: Binding;
    config: Config["ipv6"];
    indev: InterfaceInfo;
    lifetimes: Dhcp6Lifetimes;
    memo: ReplyMemo;
  },
): Dhcp6Message | null {
  // Addresses are leased only in the mode whose RAs say so (M flag: mode = dhcpv6). In the
  // others (the original's default, slaac+dhcpv6, is stateless: O flag only) a stateful client
  // gets what RFC 8415 section 18.3 has a server without addresses send: an Advertise holding
  // only NoAddrsAvail, Replies with NoAddrsAvail per IA, and no Reply to a Confirm (section
  // 18.3.3: it cannot tell whether the addresses are on link). Its SLAAC address stays its own.
  // Prefixes (PREFIX6) are delegated in every mode: the M flag is about addresses on the link.
  const addresses = config.mode === "dhcpv6" ? leasedAddresses(binding) : [];
  const prefixes = binding.dhcp6?.prefixes ?? [];
  const M = DHCP6_MESSAGE;
  const base = (msgType: number, ...rest: Dhcp6Option[]): Dhcp6Message => ({
    kind: "message",
    msgType,
    transactionId: dhcp.transactionId,
    options: [...filterDhcp6Options(dhcp.options, "clientId"), serverIdOption(indev), ...rest],
  });
  const settings = configurationOptions(
    dhcp,
    binding,
    config,
    memo,
    dhcp.msgType === M.informationRequest,
  );
  const lease = (extending: boolean) =>
    leaseIas(dhcp, { addresses, prefixes }, lifetimes, extending);
  const nothing = status(DHCP6_STATUS.noAddrsAvail, "no addresses for this client");
  switch (dhcp.msgType) {
    case M.solicit: {
      // RFC 8415 section 18.3.1: nothing to assign → an Advertise with no IA at all.
      const { ias, assigned } = lease(false);
      if (!assigned) return base(M.advertise, nothing, ...settings);
      return findDhcp6Option(dhcp.options, "rapidCommit")
        ? base(M.reply, ...ias, { kind: "rapidCommit" }, ...settings)
        : base(M.advertise, ...ias, { kind: "preference", value: MAX_PREFERENCE }, ...settings);
    }
    case M.request:
    case M.renew:
    case M.rebind: {
      const { ias } = lease(dhcp.msgType !== M.request);
      return base(M.reply, ...(ias.length > 0 ? ias : [nothing]), ...settings);
    }
    case M.confirm: {
      const claimed = dhcp.options.flatMap((o) =>
        o.kind === "iaNa" || o.kind === "iaTa"
          ? filterDhcp6Options(o.options, "iaAddress").map((a) => a.address)
          : []
      );
      // IA_PDs are not confirmed: a client checks its prefixes with a Rebind (section 18.2.12).
      if (claimed.length === 0 || addresses.length === 0) return null;
      const onLink = claimed.every((a) => addresses.some((own) => sameIpv6(a, own)));
      return base(
        M.reply,
        onLink
          ? status(DHCP6_STATUS.success, "all addresses still on link")
          : status(DHCP6_STATUS.notOnLink, "not this VM's address"),
      );
    }
    case M.release:
    case M.decline:
      return base(M.reply, status(DHCP6_STATUS.success, `${NAMES[dhcp.msgType]} received`));
    default: // Information-Request, the only other message `answerable` lets through.
      return base(M.reply, ...settings);
  }
}

function serverIdOption(indev: InterfaceInfo): Dhcp6Option {
  return { kind: "serverId", duid: serverDuid(indev) };
}

/** The reply frame: host link-local → the client's source address, UDP 547 → its source port. */
function dhcp6Frame(
  reply: Dhcp6Message,
  request: Request,
  binding: Binding,
  indev: InterfaceInfo,
  allocate: AllocateFrame,
): Uint8Array {
  const length = dhcp6Length(reply);
  const src = hostLinkLocal(indev);
  const dst = request.ip.src;
  const udpLength = UDP_HEADER_LENGTH + length;
  const frame = newIpv6Frame({
    ethDst: binding.mac,
    ethSrc: indev.mac,
    src,
    dst,
    hopLimit: HOP_LIMIT,
    trafficClass: TRAFFIC_CLASS,
    nextHeader: NEXT_HEADER_UDP,
    payloadLength: udpLength,
  }, allocate);
  emitDhcp6(reply, frame, IPV6_FRAME_PAYLOAD_OFFSET + UDP_HEADER_LENGTH);
  emitUdpHeader(
    { srcPort: DHCP6_SERVER_PORT, dstPort: request.udp.srcPort },
    frame,
    IPV6_FRAME_PAYLOAD_OFFSET,
    length,
    pseudoHeaderSum6(src, dst, NEXT_HEADER_UDP, udpLength),
  );
  return frame;
}

/** A short account of a reply for the log: its addresses and prefixes, or its status. */
function summary(reply: Dhcp6Message): string {
  const ia = findDhcp6Option(reply.options, "iaNa");
  const addresses = ia ? filterDhcp6Options(ia.options, "iaAddress") : [];
  const pd = findDhcp6Option(reply.options, "iaPd");
  const prefixes = pd ? filterDhcp6Options(pd.options, "iaPrefix") : [];
  const given = [
    ...addresses.filter((a) => a.validLifetime > 0).map((a) => formatIpv6(a.address)),
    ...prefixes.filter((p) => p.validLifetime > 0).map((p) =>
      `prefix ${formatIpv6(p.prefix)}/${p.prefixLength}`
    ),
  ];
  if (given.length > 0) return `with ${given.join(", ")}`;
  const s = findDhcp6Option(reply.options, "statusCode");
  return s ? `with status ${s.status} (${s.message})` : "with DNS settings";
}
