/** The [ipv6] keys of DHCPv6's configuration options and prefix delegation: boot URL, NTP servers, information refresh time, prefix lifetimes, option6_<n>. */
import { type CustomOption6, parseOption6Key, parseOption6Value } from "../dhcp6_custom_options.ts";
import type { Ipv6Config } from "./types.ts";
import type { SectionReader } from "./section_reader.ts";

/** RFC 8415 section 21.23: the information refresh time clients use when no server says (a day). */
export const INFORMATION_REFRESH_DEFAULT = 86400;
/** RFC 8415 section 7.6 (IRT_MINIMUM): clients raise a shorter refresh time to this. */
const INFORMATION_REFRESH_MIN = 600;
const UINT32_MAX = 4294967295;

type Dhcpv6Keys =
  | "bootUrl"
  | "ntpServers"
  | "informationRefreshTime"
  | "prefixPreferredLifetime"
  | "prefixValidLifetime"
  | "options";

/**
 * `boot_url` (option 59), `ntp_servers` (option 56), `information_refresh_time` (option 32) and
 * the delegated prefixes' `dhcpv6_prefix_preferred_lifetime` and `dhcpv6_prefix_valid_lifetime`,
 * and `option6_<n>`, each in the result only when the file gives it.
 */
export function readDhcpv6Keys(r: SectionReader): Pick<Ipv6Config, Dhcpv6Keys> {
  const keys: { -readonly [K in Dhcpv6Keys]?: Ipv6Config[K] } = {};
  if (r.given("information_refresh_time")) {
    keys.informationRefreshTime = r.integer(
      "information_refresh_time",
      INFORMATION_REFRESH_MIN,
      UINT32_MAX,
      INFORMATION_REFRESH_DEFAULT,
    );
  }
  const url = r.optional("boot_url");
  if (url !== null) {
    if (/^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]+$/.test(url)) keys.bootUrl = url;
    else r.error("boot_url", `not a URL (scheme:..., printable ASCII): ${JSON.stringify(url)}`);
  }
  if (r.given("ntp_servers")) keys.ntpServers = r.ipv6List("ntp_servers");
  const preferred = "dhcpv6_prefix_preferred_lifetime";
  const valid = "dhcpv6_prefix_valid_lifetime";
  if (r.given(preferred)) keys.prefixPreferredLifetime = r.integer(preferred, 0, UINT32_MAX, 0);
  if (r.given(valid)) keys.prefixValidLifetime = r.integer(valid, 0, UINT32_MAX, 0);
  const { prefixPreferredLifetime: p, prefixValidLifetime: v } = keys;
  if (p !== undefined && v !== undefined && p > v) {
    r.error(preferred, `${p} exceeds ${valid} ${v} (RFC 8415 section 21.22)`);
  }
  const options = readOption6Keys(r);
  if (options.length > 0) keys.options = options;
  return keys;
}

/**
 * Every `option6_<n>` and `option6_<n>!` key of the section ([ipv6] or [host MAC]), in the file's
 * order; a bad one, or a second key for one code, is an error, with the binding key's reasons.
 */
export function readOption6Keys(r: SectionReader): CustomOption6[] {
  return r.options("option6_", parseOption6Key, parseOption6Value)
    .map(({ code, bytes, always }) => ({ code, data: bytes, always }));
}
