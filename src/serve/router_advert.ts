/** The Router Advertisement responder: RS → RA for a VM's SUBNET6, and the periodic unsolicited RA. */
import type { Binding } from "../bindings/binding.ts";
import type { Ipv6Config } from "../config/types.ts";
import { formatIpv6 } from "../address.ts";
import { newIcmpv6Frame } from "../wire/icmpv6.ts";
import {
  ALL_NODES_ADDRESS,
  type AllocateFrame,
  isUnspecified,
  macOfEui64,
  multicastMac,
} from "../wire/ipv6.ts";
import {
  emitNdMessage,
  ndMessageLength,
  type NdOption,
  type RouterAdvertisement,
} from "../wire/ndp.ts";
import { type Decision, type InterfaceInfo, refuse } from "./decision.ts";
import { hostLinkLocal, readNdRequest, searchDomains } from "./ipv6_binding.ts";
import type { ReplyMemo } from "./memo.ts";
import { ndOptionType } from "./packet_report.ts";
import type { Responder, ResponderContext } from "./responder.ts";
import { spoofedBy } from "./source_check.ts";

/** The original's router lifetime, in seconds (RFC 8319 allows up to 65535). */
export const ROUTER_LIFETIME = 14400;
/** Prefix lifetimes: infinite, as the original sends them. */
const INFINITE = 0xffffffff;
/** The least MTU an MTU option may carry (RFC 8200 section 5); a smaller one is ignored by hosts. */
const MIN_IPV6_MTU = 1280;

/**
 * The RA for `binding`, or null without SUBNET6. As the original: current hop limit 0
 * (unspecified), High preference, router lifetime 14400, reachable time and retransmit timer
 * 0, one prefix option carrying SUBNET6's network (on-link, infinite lifetimes), RDNSS with a
 * lifetime of 3 × ra_period, MTU when the binding has one. Where the mode decides: slaac →
 * autonomous, no M or O; slaac+dhcpv6 → autonomous and O; dhcpv6 → M and O and not
 * autonomous, so the VM's global address comes from DHCPv6 alone. Added: a source link-layer
 * address option (saves the VM an NS for its router) and DNSSL (RFC 8106) for the search
 * domains, and PREF64 (RFC 8781) for [ipv6] nat64_prefix. The binding's NAMESERVERS6 and
 * DOMAIN_SEARCH replace the configured servers and domains. PRIVATE changes nothing: it withholds the DHCPv4 router option, while IPv6 routing
 * here always goes through the host, whose RA is the VM's only way to a default route.
 */
export function routerAdvertisement(
  binding: Binding,
  config: Ipv6Config,
  indev: InterfaceInfo,
  memo: ReplyMemo,
): RouterAdvertisement | null {
  const subnet = binding.subnet6;
  if (subnet === null) return null;
  const dnsLifetime = Math.min(INFINITE, 3 * config.raPeriod);
  const options: NdOption[] = [{ kind: "sourceLinkLayer", address: indev.mac }];
  if (binding.mtu !== null && binding.mtu >= MIN_IPV6_MTU) {
    options.push({ kind: "mtu", mtu: binding.mtu });
  }
  options.push({
    kind: "prefixInformation",
    prefixLength: subnet.prefixLength,
    onLink: true,
    autonomous: config.mode !== "dhcpv6",
    routerAddress: false,
    validLifetime: INFINITE,
    preferredLifetime: INFINITE,
    prefix: subnet.prefix,
  });
  const overrides = binding.overrides;
  const nameservers = overrides?.nameservers6 ?? config.nameservers;
  if (nameservers.length > 0) {
    options.push({ kind: "rdnss", lifetime: dnsLifetime, servers: nameservers });
  }
  const domains = overrides?.domainSearch ?? searchDomains(binding, config, memo);
  if (domains.length > 0) options.push({ kind: "dnssl", lifetime: dnsLifetime, domains });
  const nat64 = config.nat64Prefix;
  // RFC 8781 section 4.1: a lifetime of at least 3 × the RA interval; emitting caps it at 65528.
  if (nat64 !== undefined) options.push({ kind: "pref64", lifetime: dnsLifetime, ...nat64 });
  return {
    kind: "routerAdvertisement",
    curHopLimit: 0,
    managed: config.mode === "dhcpv6",
    otherConfig: config.mode !== "slaac",
    homeAgent: false,
    preference: "high",
    proxy: false,
    routerLifetime: ROUTER_LIFETIME,
    reachableTime: 0,
    retransTimer: 0,
    options,
  };
}

/**
 * The whole frame of `ra` from the host's link-local to `dst` (hop limit 255, as ND requires),
 * in memory from `allocate`.
 */
function advertFrame(
  ra: RouterAdvertisement,
  indev: InterfaceInfo,
  dst: Uint8Array,
  ethDst: Uint8Array,
  allocate?: AllocateFrame,
): Uint8Array {
  return newIcmpv6Frame(
    { ethDst, ethSrc: indev.mac, src: hostLinkLocal(indev), dst, hopLimit: 255 },
    ndMessageLength(ra),
    (into, offset) => emitNdMessage(ra, into, offset),
    allocate,
  );
}

/**
 * RS → RA. Invalid solicitations (hop limit, code, checksum, options) are dropped; the sender's
 * MACs (the frame's Ethernet source `hwSource` when the queue reports it, and the link-layer
 * address option, else the MAC inside an EUI-64 source address; a random identifier gives
 * none) must be the binding's unless MACSPOOF. The RA is unicast to the
 * soliciting address (RFC 4861 section 6.2.6 allows it) at the option's MAC or the binding's;
 * an RS from `::` gets it multicast to all nodes.
 */
export const routerSolicitationResponder: Responder = {
  answer(packet: Uint8Array, context: ResponderContext): Decision {
    const { binding, indev } = context;
    const request = readNdRequest(packet, "routerSolicitation");
    if ("kind" in request) return request;
    context.report.nd = request;
    const { ip, sourceMac } = request;
    const from = `RS from ${formatIpv6(ip.src)} on ${binding.tap}`;
    const spoofed = spoofedBy(binding, context.hwSource, sourceMac ?? macOfEui64(ip.src));
    if (spoofed !== null) return refuse("spoofed-mac", `${from}: ${spoofed}`);
    const ra = routerAdvertisement(binding, context.config.ipv6, indev, context.memo);
    if (ra === null) return refuse("no-address", `${from}: the binding has no SUBNET6`);
    const allocate = (length: number) => context.frames.allocate(length);
    const frame = isUnspecified(ip.src)
      ? advertFrame(ra, indev, ALL_NODES_ADDRESS, multicastMac(ALL_NODES_ADDRESS), allocate)
      : advertFrame(ra, indev, ip.src, sourceMac ?? binding.mac, allocate);
    const wrote = { type: "RA", address: 0, options: ra.options.map(ndOptionType) };
    return { kind: "reply", frame, why: `${from}: RA for ${formatSubnet(binding)}`, wrote };
  },
};

/**
 * The unsolicited RA the timer sends every ra_period into `binding`'s TAP, to all nodes
 * (`ff02::1`, Ethernet `33:33:00:00:00:01`); null when the binding has no SUBNET6.
 */
export function periodicAdvert(
  binding: Binding,
  config: Ipv6Config,
  indev: InterfaceInfo,
  memo: ReplyMemo,
): Uint8Array | null {
  // The frame depends only on these, so a round over thousands of TAPs reuses it.
  return memo.periodicAdverts.get(binding, config, indev.mac, () => {
    const ra = routerAdvertisement(binding, config, indev, memo);
    if (ra === null) return null;
    // A frame of its own (not from the daemon's allocator): the memo keeps it for many rounds.
    // To all nodes at the IP layer, but at the binding's MAC on the wire, so a VM whose MAC is
    // not the binding's (a spoofer) does not take the prefix and route; MACSPOOF VMs get multicast.
    const ethDst = binding.macspoof ? multicastMac(ALL_NODES_ADDRESS) : binding.mac;
    return advertFrame(ra, indev, ALL_NODES_ADDRESS, ethDst);
  });
}

function formatSubnet(binding: Binding): string {
  const s = binding.subnet6;
  return s === null ? "no SUBNET6" : `${formatIpv6(s.prefix)}/${s.prefixLength}`;
}
