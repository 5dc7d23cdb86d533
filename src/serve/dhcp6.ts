/** The DHCPv6 responder: Information-Request, and stateful IA_NA leasing of the VM's one address. */
import type { Binding } from "../bindings/binding.ts";
import type { Ipv6Config } from "../config/types.ts";
import { formatIpv6 } from "../wire/address.ts";
import { pseudoHeaderSum6 } from "../wire/checksum.ts";
import {
  DHCP6_MESSAGE,
  DHCP6_SERVER_PORT,
  dhcp6Length,
  type Dhcp6Message,
  emitDhcp6,
  parseDhcp6,
} from "../wire/dhcp6.ts";
import {
  DHCP6_STATUS,
  type Dhcp6Option,
  filterDhcp6Options,
  findDhcp6Option,
} from "../wire/dhcp6_options.ts";
import { type Duid, HARDWARE_TYPE_ETHERNET, sameDuid } from "../wire/duid.ts";
import {
  IPV6_FRAME_PAYLOAD_OFFSET,
  type Ipv6Packet,
  isMulticast,
  isUnspecified,
  newIpv6Frame,
  NEXT_HEADER_UDP,
  parseIpv6Packet,
  sameIpv6,
} from "../wire/ipv6.ts";
import { emitUdpHeader, parseUdp, UDP_HEADER_LENGTH, type UdpDatagram } from "../wire/udp.ts";
import type { Decision, InterfaceInfo } from "./decision.ts";
import { hostLinkLocal, searchDomains, vmAddress } from "./ipv6_binding.ts";

/** How long the VM's address lives and when the client renews it, in seconds. */
export interface Dhcp6Lifetimes {
  /** Preferred and valid lifetime of the address. */
  readonly lifetime: number;
  /** T1: when the client renews (capped at T2). */
  readonly renewal: number;
}

/** The DHCPv4 defaults (lease_lifetime, lease_renewal), for want of DHCPv6 settings. */
export const DEFAULT_DHCP6_LIFETIMES: Dhcp6Lifetimes = { lifetime: 604800, renewal: 600 };

/** CS6, as the original marks its replies. */
const TRAFFIC_CLASS = 0xc0;
const HOP_LIMIT = 64;
/** RFC 8415 section 18.2.1: a client that sees 255 requests at once instead of waiting. */
const MAX_PREFERENCE = 255;

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
 * says to discard them are dropped.
 */
export function answerDhcp6(
  packet: Uint8Array,
  binding: Binding,
  config: Ipv6Config,
  indev: InterfaceInfo,
  lifetimes: Dhcp6Lifetimes = DEFAULT_DHCP6_LIFETIMES,
): Decision {
  const ip = parseIpv6Packet(packet);
  if (!ip.ok) return { kind: "drop", why: `DHCPv6: ${ip.error}` };
  if (ip.value.protocol !== NEXT_HEADER_UDP) {
    return { kind: "ignore", why: `DHCPv6 queue: protocol ${ip.value.protocol} is not UDP` };
  }
  const udp = parseUdp(ip.value.payload);
  if (!udp.ok) return { kind: "drop", why: `DHCPv6: ${udp.error}` };
  if (udp.value.dstPort !== DHCP6_SERVER_PORT) {
    return { kind: "ignore", why: `DHCPv6 queue: UDP port ${udp.value.dstPort} is not 547` };
  }
  const dhcp = parseDhcp6(udp.value.payload);
  if (!dhcp.ok) return { kind: "drop", why: `DHCPv6: ${dhcp.error}` };
  const name = NAMES[dhcp.value.msgType] ?? `message type ${dhcp.value.msgType}`;
  const from = `DHCPv6 ${name} from ${formatIpv6(ip.value.src)} on ${binding.tap}`;
  const drop = (why: string): Decision => ({ kind: "drop", why: `${from}: ${why}` });
  if (dhcp.value.kind === "relay") return drop("relayed messages are not served");
  if (isUnspecified(ip.value.src) || isMulticast(ip.value.src)) return drop("no source to answer");
  if (binding.subnet6 === null) return drop("the binding has no SUBNET6");
  const request: Request = { ip: ip.value, udp: udp.value, dhcp: dhcp.value };
  const why = answerable(request.dhcp, indev);
  if (why !== null) return drop(why);
  const reply = replyFor(request.dhcp, binding, config, indev, lifetimes);
  if (reply === null) return drop("no addresses to confirm, no reply (RFC 8415 section 18.3.3)");
  const frame = dhcp6Frame(reply, request, binding, indev);
  return { kind: "reply", frame, why: `${from}: ${NAMES[reply.msgType]} ${summary(reply)}` };
}

/** Why RFC 8415 section 16 has the server discard `dhcp`, or null when it answers it. */
function answerable(dhcp: Dhcp6Message, indev: InterfaceInfo): string | null {
  const client = findDhcp6Option(dhcp.options, "clientId");
  const server = findDhcp6Option(dhcp.options, "serverId");
  const ours = server !== undefined && sameDuid(server.duid, serverDuid(indev));
  const M = DHCP6_MESSAGE;
  switch (dhcp.msgType) {
    case M.solicit:
    case M.confirm:
    case M.rebind:
      if (client === undefined) return "no client identifier";
      return server === undefined ? null : "carries a server identifier";
    case M.request:
    case M.renew:
    case M.release:
    case M.decline:
      if (client === undefined) return "no client identifier";
      return ours ? null : server === undefined ? "no server identifier" : "for another server";
    case M.informationRequest:
      if (server !== undefined && !ours) return "for another server";
      return dhcp.options.some((o) => o.kind === "iaNa" || o.kind === "iaTa" || o.kind === "iaPd")
        ? "carries an IA"
        : null;
    default:
      return "not a client message";
  }
}

/** The reply message, or null when there is none to send (a Confirm without addresses). */
function replyFor(
  dhcp: Dhcp6Message,
  binding: Binding,
  config: Ipv6Config,
  indev: InterfaceInfo,
  lifetimes: Dhcp6Lifetimes,
): Dhcp6Message | null {
  const address = vmAddress(binding);
  const M = DHCP6_MESSAGE;
  const base = (msgType: number, ...rest: Dhcp6Option[]): Dhcp6Message => ({
    kind: "message",
    msgType,
    transactionId: dhcp.transactionId,
    options: [...filterDhcp6Options(dhcp.options, "clientId"), serverIdOption(indev), ...rest],
  });
  const settings = configurationOptions(binding, config);
  const lease = (extending: boolean) => leaseIas(dhcp, address, lifetimes, extending);
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
      if (claimed.length === 0) return null;
      const onLink = address !== null && claimed.every((a) => sameIpv6(a, address));
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

/**
 * The IA options of the reply, one per IA of the request, and whether one got an address: the
 * first IA_NA gets the VM's address (T1, T2, lifetimes); later IA_NAs and any IA_TA get
 * NoAddrsAvail and IA_PDs NoPrefixAvail (NoBinding for all when `extending`, in Renew and
 * Rebind). When extending, other addresses the client lists come back with lifetimes 0 so it
 * stops using them (RFC 8415 sections 18.3.4 and 18.3.5).
 */
function leaseIas(
  dhcp: Dhcp6Message,
  address: Uint8Array | null,
  lifetimes: Dhcp6Lifetimes,
  extending: boolean,
): { ias: Dhcp6Option[]; assigned: boolean } {
  const lifetime = Math.min(lifetimes.lifetime, 0xffffffff);
  const t2 = Math.floor(lifetime * 0.8);
  const t1 = Math.min(lifetimes.renewal, t2);
  const noBinding = status(DHCP6_STATUS.noBinding, "no binding for this IA");
  let assigned = false;
  const ias: Dhcp6Option[] = [];
  for (const o of dhcp.options) {
    if (o.kind === "iaNa" && !assigned && address !== null) {
      assigned = true;
      const stale = extending
        ? filterDhcp6Options(o.options, "iaAddress").filter((a) => !sameIpv6(a.address, address))
        : [];
      const addresses = [
        iaAddress(address, lifetime),
        ...stale.map((a) => iaAddress(a.address, 0)),
      ];
      ias.push({ kind: "iaNa", iaid: o.iaid, t1, t2, options: addresses });
    } else if (o.kind === "iaNa" || o.kind === "iaTa") {
      const why = extending ? noBinding : status(DHCP6_STATUS.noAddrsAvail, "one address per VM");
      ias.push(
        o.kind === "iaNa"
          ? { kind: "iaNa", iaid: o.iaid, t1: 0, t2: 0, options: [why] }
          : { kind: "iaTa", iaid: o.iaid, options: [why] },
      );
    } else if (o.kind === "iaPd") {
      const why = extending ? noBinding : status(DHCP6_STATUS.noPrefixAvail, "no prefixes");
      ias.push({ kind: "iaPd", iaid: o.iaid, t1: 0, t2: 0, options: [why] });
    }
  }
  return { ias, assigned };
}

function iaAddress(address: Uint8Array, lifetime: number): Dhcp6Option {
  return {
    kind: "iaAddress",
    address,
    preferredLifetime: lifetime,
    validLifetime: lifetime,
    options: [],
  };
}

function status(code: number, message: string): Dhcp6Option {
  return { kind: "statusCode", status: code, message };
}

function serverIdOption(indev: InterfaceInfo): Dhcp6Option {
  return { kind: "serverId", duid: serverDuid(indev) };
}

/** DNS servers (23) and the domain search list (24), each only when there is something to say. */
function configurationOptions(binding: Binding, config: Ipv6Config): Dhcp6Option[] {
  const options: Dhcp6Option[] = [];
  if (config.nameservers.length > 0) {
    options.push({ kind: "dnsServers", servers: config.nameservers });
  }
  const domains = searchDomains(binding, config);
  if (domains.length > 0) options.push({ kind: "domainList", domains });
  return options;
}

/** The reply frame: host link-local → the client's source address, UDP 547 → its source port. */
function dhcp6Frame(
  reply: Dhcp6Message,
  request: Request,
  binding: Binding,
  indev: InterfaceInfo,
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
  });
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

/** A short account of a reply for the log: its address or its status. */
function summary(reply: Dhcp6Message): string {
  const ia = findDhcp6Option(reply.options, "iaNa");
  const address = ia && findDhcp6Option(ia.options, "iaAddress");
  if (address) return `with ${formatIpv6(address.address)}`;
  const s = findDhcp6Option(reply.options, "statusCode");
  return s ? `with status ${s.status} (${s.message})` : "with DNS settings";
}
