/**
 * The DHCPv4 option values that depend on the binding and the [dhcp] section alone, encoded once
 * per pair (the memo keeps them), and the server address they name.
 */
import { type Binding, hostnameDomain } from "../bindings/binding.ts";
import type { DhcpConfig } from "../config/types.ts";
import type { StaticRoute4 } from "../dhcp_values.ts";
import { ipv4Mask } from "../address.ts";
import {
  classlessRoutesOption,
  domainSearchOption,
  ipv4ListOption,
  ipv4Option,
  OPTION,
  textOption,
  u16Option,
  u32Option,
} from "../wire/dhcp4_options.ts";
import { type Dhcp4Extras, encodeExtras, leaseTimes } from "./dhcp4_extra_options.ts";

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
  /** Network boot and the operator's options. */
  readonly extras: Dhcp4Extras;
}

export function encodeOptions(binding: Binding, config: DhcpConfig): Dhcp4BindingOptions {
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
  const times = leaseTimes(binding, config);
  lease.push([OPTION.renewalTime, u32Option(times.renewal)]);
  lease.push([OPTION.leaseTime, u32Option(times.lease)]);
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
    extras: encodeExtras(binding, config),
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
export function requestedOnly(
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
