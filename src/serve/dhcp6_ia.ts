/** The IA options of a DHCPv6 reply: the VM's addresses in its first IA_NA, its delegated prefixes in its first IA_PD (RFC 8415). */
import type { Subnet6 } from "../bindings/binding.ts";
import type { Config } from "../config/types.ts";
import type { Dhcp6Message } from "../wire/dhcp6.ts";
import { DHCP6_STATUS, type Dhcp6Option, filterDhcp6Options } from "../wire/dhcp6_options.ts";
import { sameIpv6 } from "../wire/ipv6.ts";

/**
 * How long what we lease lives and when the client renews it, in seconds: [ipv6]
 * dhcpv6_lease_lifetime and dhcpv6_lease_renewal (each defaulting to its [dhcp] lease_* key),
 * and the delegated prefixes' dhcpv6_prefix_*_lifetime (defaulting to the address lifetime).
 */
export interface Dhcp6Lifetimes {
  /** Preferred and valid lifetime of the addresses. */
  readonly lifetime: number;
  /** T1: when the client renews (capped at T2). */
  readonly renewal: number;
  readonly prefixPreferred: number;
  readonly prefixValid: number;
}

/** The lifetimes `config` gives. */
export function dhcp6Lifetimes(config: Config): Dhcp6Lifetimes {
  const { ipv6, dhcp } = config;
  // Both keys are read as 0 to 2^32 - 1, the field's range.
  const lifetime = ipv6.dhcpv6LeaseLifetime ?? dhcp.leaseLifetime;
  const prefixValid = ipv6.prefixValidLifetime ?? lifetime;
  return {
    lifetime,
    renewal: ipv6.dhcpv6LeaseRenewal ?? dhcp.leaseRenewal,
    prefixValid,
    prefixPreferred: Math.min(ipv6.prefixPreferredLifetime ?? prefixValid, prefixValid),
  };
}

/** What the VM gets: its addresses (IA_NA) and delegated prefixes (IA_PD). */
export interface Leasable {
  readonly addresses: readonly Uint8Array[];
  readonly prefixes: readonly Subnet6[];
}

/** The most of the client's own addresses or prefixes we return (lifetime 0) in one IA. */
const MAX_STALE = 8;

/**
 * The IA options of the reply, one per IA of the request, and whether one got something: the
 * first IA_NA gets the VM's addresses, the first IA_PD its prefixes (T1, T2, lifetimes); later
 * ones, any IA_TA, and those we have nothing for get NoAddrsAvail or NoPrefixAvail (NoBinding
 * when `extending`, in Renew and Rebind). When extending, other addresses and prefixes the
 * client lists come back with lifetimes 0 so it stops using them (RFC 8415 sections 18.3.4
 * and 18.3.5).
 */
export function leaseIas(
  dhcp: Dhcp6Message,
  leasable: Leasable,
  lifetimes: Dhcp6Lifetimes,
  extending: boolean,
): { ias: Dhcp6Option[]; assigned: boolean } {
  const { lifetime, prefixPreferred, prefixValid } = lifetimes;
  const times = (preferred: number) => {
    const t2 = Math.floor(preferred * 0.8);
    return { t1: Math.min(lifetimes.renewal, t2), t2 };
  };
  const noBinding = status(DHCP6_STATUS.noBinding, "no binding for this IA");
  let addressed = false;
  let delegated = false;
  const ias: Dhcp6Option[] = [];
  for (const o of dhcp.options) {
    if (o.kind === "iaNa" && !addressed && leasable.addresses.length > 0) {
      addressed = true;
      // Bounded: a client listing many addresses must not grow the reply past the link.
      const stale = extending
        ? filterDhcp6Options(o.options, "iaAddress").filter((a) =>
          !leasable.addresses.some((own) => sameIpv6(a.address, own))
        ).slice(0, MAX_STALE)
        : [];
      const addresses = [
        ...leasable.addresses.map((a) => iaAddress(a, lifetime)),
        ...stale.map((a) => iaAddress(a.address, 0)),
      ];
      ias.push({ kind: "iaNa", iaid: o.iaid, ...times(lifetime), options: addresses });
    } else if (o.kind === "iaPd" && !delegated && leasable.prefixes.length > 0) {
      delegated = true;
      const stale = extending
        ? filterDhcp6Options(o.options, "iaPrefix").filter((p) =>
          !leasable.prefixes.some((own) => samePrefix(p, own))
        ).slice(0, MAX_STALE)
        : [];
      const prefixes = [
        ...leasable.prefixes.map((p) => iaPrefix(p, prefixPreferred, prefixValid)),
        ...stale.map((p) => iaPrefix(p, 0, 0)),
      ];
      ias.push({ kind: "iaPd", iaid: o.iaid, ...times(prefixPreferred), options: prefixes });
    } else if (o.kind === "iaNa" || o.kind === "iaTa") {
      const why = extending ? noBinding : status(
        DHCP6_STATUS.noAddrsAvail,
        leasable.addresses.length > 0 ? "one IA_NA per VM" : "no addresses for this client",
      );
      ias.push(
        o.kind === "iaNa"
          ? { kind: "iaNa", iaid: o.iaid, t1: 0, t2: 0, options: [why] }
          : { kind: "iaTa", iaid: o.iaid, options: [why] },
      );
    } else if (o.kind === "iaPd") {
      const why = extending ? noBinding : status(
        DHCP6_STATUS.noPrefixAvail,
        leasable.prefixes.length > 0 ? "one IA_PD per VM" : "no prefixes",
      );
      ias.push({ kind: "iaPd", iaid: o.iaid, t1: 0, t2: 0, options: [why] });
    }
  }
  return { ias, assigned: addressed || delegated };
}

function samePrefix(
  a: { readonly prefix: Uint8Array; readonly prefixLength: number },
  b: Subnet6,
): boolean {
  return a.prefixLength === b.prefixLength && sameIpv6(a.prefix, b.prefix);
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

function iaPrefix(
  p: { readonly prefix: Uint8Array; readonly prefixLength: number },
  preferred: number,
  valid: number,
): Dhcp6Option {
  return {
    kind: "iaPrefix",
    preferredLifetime: preferred,
    validLifetime: valid,
    prefixLength: p.prefixLength,
    prefix: p.prefix,
    options: [],
  };
}

/** A status code option. */
export function status(code: number, message: string): Dhcp6Option {
  return { kind: "statusCode", status: code, message };
}
