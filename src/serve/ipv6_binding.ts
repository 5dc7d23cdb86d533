/** What a binding means on the IPv6 side, shared by the RA, NA and DHCPv6 responders. */
import { type Binding, hostnameDomain } from "../bindings/binding.ts";
import type { Ipv6Config } from "../config/types.ts";
import { eui64Address, formatIpv6, linkLocalOf } from "../address.ts";
import { domainNameError } from "../wire/dns_name.ts";
import { ICMPV6_TYPE, parseIcmpv6 } from "../wire/icmpv6.ts";
import {
  type Ipv6Packet,
  isMulticast,
  isUnspecified,
  NEXT_HEADER_ICMPV6,
  parseIpv6Packet,
  sameIpv6,
} from "../wire/ipv6.ts";
import { findNdOption, type NdMessage, parseNdMessage } from "../wire/ndp.ts";
import { type Decision, type InterfaceInfo, refuse } from "./decision.ts";
import type { ReplyMemo } from "./memo.ts";

/** The host side's link-local address: fe80::/64 + the EUI-64 identifier of INDEV's MAC. */
export function hostLinkLocal(indev: InterfaceInfo): Uint8Array {
  return linkLocalOf(indev.mac);
}

/**
 * The VM's global address: EUI64 when the binding has one, else the first of IP6, else the
 * SLAAC address of its MAC in SUBNET6; null without SUBNET6 or when SUBNET6 is longer than /64
 * (no SLAAC there) and neither is set. The one rule for "the VM's IPv6 address": DHCPv6 leases
 * it first and the clients table shows it.
 */
export function vmAddress(binding: Binding): Uint8Array | null {
  return leasedAddresses(binding)[0] ?? null;
}

/**
 * What stateful DHCPv6 leases in the VM's IA_NA, in order: EUI64 and IP6's addresses, or the
 * SLAAC address when the binding names none.
 */
export function leasedAddresses(binding: Binding): Uint8Array[] {
  const named = unique([binding.eui64, ...(binding.dhcp6?.addresses ?? [])]);
  if (named.length > 0) return named;
  const slaac = slaacAddress(binding);
  return slaac === null ? [] : [slaac];
}

/**
 * The VM's IPv6 side as operators read it (`nfdhcpd clients`, the SIGUSR2 table): the addresses
 * DHCPv6 leases it ({@link leasedAddresses}: the first is {@link vmAddress}) and the prefixes
 * delegated to it (PREFIX6, as `PREFIX/LEN`), each as text.
 */
export function ipv6Summary(binding: Binding): { addresses: string[]; prefixes: string[] } {
  return {
    addresses: leasedAddresses(binding).map(formatIpv6),
    prefixes: (binding.dhcp6?.prefixes ?? []).map((p) =>
      `${formatIpv6(p.prefix)}/${p.prefixLength}`
    ),
  };
}

/**
 * Every global address the VM may hold by the binding: EUI64 and IP6 (leased by DHCPv6) and the
 * SLAAC address of its MAC, which the VM forms from an autonomous prefix even when they differ.
 */
export function vmAddresses(binding: Binding): Uint8Array[] {
  return unique([binding.eui64, ...(binding.dhcp6?.addresses ?? []), slaacAddress(binding)]);
}

/** The addresses of `list` that are set, each once, in order. */
function unique(list: ReadonlyArray<Uint8Array | null>): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const a of list) {
    if (a !== null && !out.some((o) => sameIpv6(o, a))) out.push(a);
  }
  return out;
}

/**
 * The SLAAC address of the binding's MAC in SUBNET6: its first 64 bits and the MAC's EUI-64
 * identifier, when SUBNET6 is a /64 or shorter; null without SUBNET6 or beyond /64 (RFC 4862
 * section 5.5.3: a prefix and an identifier that do not make 128 bits form no address).
 */
function slaacAddress(binding: Binding): Uint8Array | null {
  const subnet = binding.subnet6;
  if (subnet === null || subnet.prefixLength > 64) return null;
  return eui64Address(subnet.prefix, binding.mac);
}

/**
 * The search domains: `domains` from the config, else what follows the hostname's first dot.
 * The original sends a dotless hostname itself as the domain; a name without a dot has no
 * domain part, so we send none. Names that cannot be encoded are left out.
 */
export function searchDomains(
  binding: Binding,
  config: Ipv6Config,
  memo: ReplyMemo,
): readonly string[] {
  return memo.searchDomains.get(binding, config, null, () => {
    const own = hostnameDomain(binding);
    const domains = config.domains.length > 0 ? config.domains : own === null ? [] : [own];
    return domains.filter((d) => domainNameError(d) === null);
  });
}

/** An ND request that passed RFC 4861's common validity checks. */
export interface NdRequest<M extends NdMessage> {
  readonly ip: Ipv6Packet;
  readonly message: M;
  /** The source link-layer address option's MAC, if the message has one. */
  readonly sourceMac: Uint8Array | null;
}

/**
 * Parses a queued packet as the ND message `kind`. Not ICMPv6 of that type → dropped as
 * `unsupported` (a bound TAP's packet is never passed on); otherwise the checks of RFC 4861 sections 6.1.1 and
 * 7.1.1 that every solicitation must pass → `drop`: hop limit 255 (it came from the link),
 * ICMP code 0, a valid checksum, well-formed options, a 6-byte link-layer address option,
 * and none at all from the unspecified address (all `malformed`; the
 * dispatcher has refused fragments before).
 */
export function readNdRequest<K extends "routerSolicitation" | "neighbourSolicitation">(
  packet: Uint8Array,
  kind: K,
): NdRequest<Extract<NdMessage, { kind: K }>> | Decision {
  const name = kind === "routerSolicitation" ? "RS" : "NS";
  const type = kind === "routerSolicitation"
    ? ICMPV6_TYPE.routerSolicitation
    : ICMPV6_TYPE.neighbourSolicitation;
  const ip = parseIpv6Packet(packet);
  if (!ip.ok) return refuse("malformed", `${name}: ${ip.error}`);
  if (ip.value.protocol !== NEXT_HEADER_ICMPV6) {
    return refuse("unsupported", `${name} queue: protocol ${ip.value.protocol} is not ICMPv6`);
  }
  const icmp = parseIcmpv6(ip.value);
  if (!icmp.ok) return refuse("malformed", `${name}: ${icmp.error}`);
  if (icmp.value.type !== type) {
    return refuse("unsupported", `${name} queue: ICMPv6 type ${icmp.value.type} is not ${type}`);
  }
  const from = `${name} from ${formatIpv6(ip.value.src)}`;
  if (ip.value.hopLimit !== 255) {
    return refuse("malformed", `${from}: hop limit ${ip.value.hopLimit}, not 255`);
  }
  // RFC 4291 section 2.7: a multicast address is never a source; there is no one to answer.
  if (isMulticast(ip.value.src)) return refuse("malformed", `${from}: multicast source address`);
  if (icmp.value.code !== 0) return refuse("malformed", `${from}: ICMP code ${icmp.value.code}`);
  if (!icmp.value.checksumValid) return refuse("malformed", `${from}: bad ICMPv6 checksum`);
  const nd = parseNdMessage(icmp.value);
  if (!nd.ok) return refuse("malformed", `${from}: ${nd.error}`);
  const sllao = findNdOption(nd.value.options, "sourceLinkLayer");
  if (sllao && sllao.address.length !== 6) {
    return refuse("malformed", `${from}: link-layer address of ${sllao.address.length} bytes`);
  }
  // A group MAC (I/G bit set) is nobody's own address: a reply sent there would reach others.
  if (sllao && (sllao.address[0]! & 1) !== 0) {
    return refuse("malformed", `${from}: link-layer address option is a group address`);
  }
  if (sllao && isUnspecified(ip.value.src)) {
    return refuse("malformed", `${from}: link-layer address option from ::`);
  }
  return {
    ip: ip.value,
    message: nd.value as Extract<NdMessage, { kind: K }>,
    sourceMac: sllao?.address ?? null,
  };
}
