/** The configuration options of a DHCPv6 reply: DNS, search list, client FQDN, NTP, boot URL, information refresh time and the operator's OPTION6_<n> / option6_<n>. */
import type { Binding } from "../bindings/binding.ts";
import { INFORMATION_REFRESH_DEFAULT } from "../config/dhcpv6_keys.ts";
import type { Ipv6Config } from "../config/types.ts";
import { mergeCustomOptions6 } from "../dhcp6_custom_options.ts";
import type { Dhcp6Message } from "../wire/dhcp6.ts";
import {
  DHCP6_CONFIG_OPTION,
  encodeClientFqdn,
  encodeNtpServers,
  encodeUint32,
  FQDN_FLAG,
  parseClientFqdn,
} from "../wire/dhcp6_config_options.ts";
import { DHCP6_OPTION, type Dhcp6Option, findDhcp6Option } from "../wire/dhcp6_options.ts";
import { domainNameError } from "../wire/dns_name.ts";
import { searchDomains } from "./ipv6_binding.ts";
import type { ReplyMemo } from "./memo.ts";

const C = DHCP6_CONFIG_OPTION;
const utf8 = new TextEncoder();

/**
 * What a reply tells the client besides its IAs. Always, when there is something to say: DNS
 * servers (23) and the search list (24), the binding's NAMESERVERS6 and DOMAIN_SEARCH replacing
 * the configured ones. The client FQDN (39) from HOSTNAME when the client sent one (RFC 4704
 * section 6) or asks for it. NTP servers (56: NTP's IPv6 addresses, else [ipv6] ntp_servers) and
 * the boot file URL (59: BOOT_URL6, else [ipv6] boot_url) when the client's option request names
 * them (RFC 5908, RFC 5970). The information refresh time (32) in a reply to an
 * Information-request, the only reply RFC 8415 section 21.23 allows it in. Then the operator's
 * options ([ipv6] option6_<n>, under the VM's [host MAC] section's, under the binding's
 * OPTION6_<n>, code by code): those the option request names, in its order, then those marked
 * `!`; each replaces an option of its code the daemon built.
 */
export function configurationOptions(
  request: Dhcp6Message,
  binding: Binding,
  config: Ipv6Config,
  memo: ReplyMemo,
  informationRequest: boolean,
): Dhcp6Option[] {
  const asked = findDhcp6Option(request.options, "optionRequest")?.codes ?? [];
  const options: Dhcp6Option[] = [];
  const servers = binding.overrides?.nameservers6 ?? config.nameservers;
  if (servers.length > 0) options.push({ kind: "dnsServers", servers });
  const domains = binding.overrides?.domainSearch ?? searchDomains(binding, config, memo);
  if (domains.length > 0) options.push({ kind: "domainList", domains });
  const raw = (code: number, data: Uint8Array) => options.push({ kind: "unknown", code, data });
  const fqdn = clientFqdn(request, binding, asked);
  if (fqdn !== null) raw(C.clientFqdn, fqdn);
  const ntp = binding.dhcp6?.ntpServers ?? config.ntpServers ?? [];
  if (asked.includes(C.ntpServer) && ntp.length > 0) raw(C.ntpServer, encodeNtpServers(ntp));
  const url = binding.dhcp6?.bootUrl ?? config.bootUrl;
  if (asked.includes(C.bootFileUrl) && url !== undefined) raw(C.bootFileUrl, utf8.encode(url));
  if (informationRequest) {
    const refresh = config.informationRefreshTime ?? INFORMATION_REFRESH_DEFAULT;
    raw(C.informationRefreshTime, encodeUint32(refresh));
  }
  const extras = mergeCustomOptions6(
    config.options,
    config.hosts?.get(binding.macText),
    binding.dhcp6?.options,
  );
  if (extras.length === 0) return options;
  const sent = [
    ...asked.flatMap((code) => extras.filter((e) => e.code === code)),
    ...extras.filter((e) => e.always && !asked.includes(e.code)),
  ];
  const replaced = (o: Dhcp6Option) =>
    sent.some((e) => e.code === (o.kind === "unknown" ? o.code : DHCP6_OPTION[o.kind]));
  return [
    ...options.filter((o) => !replaced(o)),
    ...sent.map((e): Dhcp6Option => ({ kind: "unknown", code: e.code, data: e.data })),
  ];
}

/**
 * Option 39 for the VM: HOSTNAME, fully qualified when it has a dot, else as a partial name
 * (RFC 4704 section 4.2); N set (we update no DNS), and O when the client asked us to (S).
 * Null when the client neither sent option 39 nor asks for it, or without a usable HOSTNAME.
 */
function clientFqdn(
  request: Dhcp6Message,
  binding: Binding,
  asked: readonly number[],
): Uint8Array | null {
  const sent = request.options.find((o) => o.kind === "unknown" && o.code === C.clientFqdn);
  if (sent === undefined && !asked.includes(C.clientFqdn)) return null;
  const name = binding.hostname;
  if (name === null || domainNameError(name) !== null) return null;
  const theirs = sent?.kind === "unknown" ? parseClientFqdn(sent.data) : null;
  const wantedUs = theirs !== null && theirs.ok && (theirs.value.flags & FQDN_FLAG.s) !== 0;
  return encodeClientFqdn({
    flags: FQDN_FLAG.n | (wantedUs ? FQDN_FLAG.o : 0),
    name,
    partial: !name.includes("."),
  });
}
