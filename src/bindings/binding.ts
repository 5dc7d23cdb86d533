/** A VM's binding: what one binding file (named after its TAP) says about the VM behind that TAP. */

import {
  formatIpv4,
  formatIpv6,
  formatMac,
  ipv4Mask,
  ipv6InPrefix,
  parseIpv4,
  parseIpv6,
  parseMac,
} from "../address.ts";
import { splitBindingLine } from "./binding_line.ts";
import { type Dhcp4Overrides, isDhcp4BindingKey, readDhcp4Keys } from "./binding_dhcp4.ts";
import { dnsHostName } from "./host_name.ts";
import {
  type BindingDhcp6,
  isDhcp6Key,
  readDhcp6Keys,
  splitAddressFamilies,
} from "./binding_dhcp6.ts";
import {
  isDomainName,
  parseDomainList,
  parseIpv4List,
  parseIpv6List,
  parseStaticRoutes4,
  type StaticRoute4,
} from "../dhcp_values.ts";
import { escapeForLog } from "../log_text.ts";

import type { Subnet4, Subnet6 } from "./subnets.ts";
export type { Subnet4, Subnet6 };

/** One binding, as parsed from `datapath/<tap>`. */
export interface Binding {
  /** The binding file's name: the TAP (physical in-device) the VM sits behind. */
  readonly tap: string;
  /** HOSTNAME, or the older INSTANCE. */
  readonly hostname: string | null;
  /** INDEV: the logical in-device (the bridge when bridged), else the TAP. */
  readonly indev: string;
  /** MAC as 6 bytes, and as lowercase text. */
  readonly mac: Uint8Array;
  readonly macText: string;
  /** IP (unsigned 32-bit) or null when the binding has none. */
  readonly ip: number | null;
  readonly subnet: Subnet4 | null;
  readonly gateway: number | null;
  readonly subnet6: Subnet6 | null;
  readonly gateway6: Uint8Array | null;
  readonly eui64: Uint8Array | null;
  readonly mtu: number | null;
  /** PRIVATE non-empty: no router option. */
  readonly private: boolean;
  /** MACSPOOF non-empty: skip the MAC check. */
  readonly macspoof: boolean;
  /** Per-VM settings that replace the configuration's; absent when the file sets none. */
  readonly overrides?: BindingOverrides;
  /** IP6, PREFIX6, BOOT_URL6, OPTION6_<n> and NTP's IPv6 servers; absent when the file sets none. */
  readonly dhcp6?: BindingDhcp6;
}

/**
 * What a binding may set for its VM alone, each replacing the global setting (the names are
 * those of the original's forks, and the DHCPv4 keys of {@link Dhcp4Overrides}): absent keys
 * leave the configuration's value in force.
 */
export interface BindingOverrides extends Dhcp4Overrides {
  /** ROUTES: classless static routes (DHCPv4 options 121 and 249), for [dhcp] routes. */
  readonly routes?: readonly StaticRoute4[];
  /** NAMESERVERS: DHCPv4 option 6, for [dhcp] nameservers. */
  readonly nameservers?: readonly number[];
  /** NAMESERVERS6: RDNSS and DHCPv6 option 23, for [ipv6] nameservers. */
  readonly nameservers6?: readonly Uint8Array[];
  /** DOMAIN: DHCPv4 option 15, for [dhcp] domain. */
  readonly domain?: string;
  /** DOMAIN_SEARCH: DHCPv4 option 119, DNSSL and DHCPv6 option 24, for [dhcp] domain_search and [ipv6] domains. */
  readonly domainSearch?: readonly string[];
  /** NTP: DHCPv4 option 42, for [dhcp] ntp_servers. */
  readonly ntp?: readonly number[];
}

/** The domain part of the binding's hostname (what follows its first dot), or null. */
export function hostnameDomain(binding: Binding): string | null {
  const name = binding.hostname ?? "";
  const dot = name.indexOf(".");
  return dot < 0 ? null : name.slice(dot + 1) || null;
}

/** A parsed binding with warnings (unknown keys, odd values), or every error found. */
export type BindingResult =
  | { readonly ok: true; readonly binding: Binding; readonly warnings: string[] }
  | { readonly ok: false; readonly errors: string[] };

const KNOWN_KEYS = new Set([
  "INSTANCE",
  "HOSTNAME",
  "INDEV",
  "MAC",
  "IP",
  "SUBNET",
  "GATEWAY",
  "SUBNET6",
  "GATEWAY6",
  "EUI64",
  "MTU",
  "PRIVATE",
  "MACSPOOF",
  "TAGS",
  "ROUTES",
  "NAMESERVERS",
  "NAMESERVERS6",
  "DOMAIN",
  "DOMAIN_SEARCH",
  "NTP",
]);

const UTF8 = new TextEncoder();

/** Values that read as "off" but count as set, since any non-empty value sets a flag. */
const FALSE_LOOKING = new Set(["0", "no", "false", "off"]);

/**
 * True for a name Linux accepts for a network interface: 1-15 bytes, not `.` or `..`, without
 * `/`, `:` or white space. A binding file's name must be one, since it names the TAP.
 */
export function isInterfaceName(name: string): boolean {
  if (name === "" || name === "." || name === ".." || /[/:\s]/.test(name)) return false;
  return /^[\x21-\x7e]{1,15}$/.test(name) || UTF8.encode(name).length <= 15;
}

/**
 * Keys whose bad value rejects the binding: without a readable MAC no request can be checked,
 * and INDEV gives every reply its source MAC and link-local address.
 */
const FATAL_KEYS = new Set(["MAC", "INDEV"]);
/**
 * What a bad value of a key turns off, so that one slip costs only what depends on it; a key not
 * listed (HOSTNAME is cleaned up, not refused) is just ignored.
 */
const DISABLES: Readonly<Record<string, string>> = {
  IP: "no DHCPv4 for this VM",
  SUBNET: "no DHCPv4 for this VM",
  GATEWAY: "no DHCPv4 for this VM",
  SUBNET6: "no IPv6 (RA, NA, DHCPv6) for this VM",
  EUI64: "no IPv6 (RA, NA, DHCPv6) for this VM",
  GATEWAY6: "GATEWAY6 ignored",
  MTU: "no MTU option",
};
const IPV4_KEYS = ["IP", "SUBNET", "GATEWAY"];
const IPV6_KEYS = ["SUBNET6", "EUI64"];

/**
 * Parses the binding file of `tap`: lines `KEY=VALUE` (white space around either is dropped),
 * `#` comment lines and blank lines; a `#` at the start of a value or after white space starts
 * a comment too (see {@link splitBindingLine}). A value may be empty (`PRIVATE=`) or wrapped in
 * `'` or `"` (`TAGS="a b"`); there are no escapes. Empty means "not set", also for the flags
 * PRIVATE and MACSPOOF; a value that is only a comment is empty, with a warning. A key given
 * twice keeps the last value.
 *
 * A missing or bad MAC, or a bad INDEV, rejects the binding (errors). A bad value of any other
 * key is a warning and turns off only what depends on it ({@link DISABLES}): a bad GATEWAY6
 * leaves DHCPv4 alone, a bad IP leaves IPv6 alone. `MTU=0` means no MTU option, as in the
 * original. A HOSTNAME DNS does not allow is served cleaned up ({@link dnsHostName}), with a
 * warning. Odd but usable content (unknown keys, IP outside SUBNET, no HOSTNAME...) gives
 * warnings. `strict` (`nfdhcpd check`) makes bad values, lines that are not KEY=VALUE, unknown
 * keys and repeated keys errors: slips of the writer. Bindings parsed with one `interner` share
 * their equal SUBNET6 and GATEWAY6 values.
 */
export function parseBinding(
  tap: string,
  text: string,
  strict = false,
  interner = new BindingInterner(),
): BindingResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  // The file name is the TAP's name as it is; only messages carry it escaped.
  const shown = escapeForLog(tap);
  const fail = (line: number, reason: string) =>
    errors.push(`Cannot parse binding ${shown} line ${line}: ${reason}`);
  const warn = (line: number, reason: string) =>
    warnings.push(`Binding ${shown} line ${line}: ${reason}`);
  const slip = strict ? fail : warn;
  /** Keys whose value is unusable: what depends on them is off. */
  const broken = new Set<string>();
  const bad = (key: string, line: number, reason: string, off?: string) => {
    broken.add(key);
    if (FATAL_KEYS.has(key)) return fail(line, reason);
    // The daemon says what it turns off; `check` (strict) calls the value an error, no more.
    if (strict) fail(line, reason);
    else warn(line, `${reason}; ${off ?? DISABLES[key] ?? `${key} ignored`}`);
  };

  const values = new Map<string, { readonly value: string; readonly line: number }>();
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const split = splitBindingLine(trimmed);
    if (split === null) return slip(line, `not KEY=VALUE, ignored: ${JSON.stringify(trimmed)}`);
    const { key, value } = split;
    if (!KNOWN_KEYS.has(key) && !isDhcp6Key(key) && !isDhcp4BindingKey(key)) {
      return slip(line, `unknown key ${key}, ignored`);
    }
    const earlier = values.get(key);
    if (earlier) slip(line, `${key} repeats line ${earlier.line}; the last value wins`);
    if (value === null) {
      values.delete(key);
      return bad(key, line, `${key} has no closing quote: ${JSON.stringify(split.written)}`);
    }
    if (split.onlyComment) warn(line, `${key} has only a comment for a value: read as empty`);
    values.set(key, { value, line });
  });

  /** The non-empty value of `key` decoded by `decode`, null when absent, empty or bad. */
  const field = <T>(key: string, what: string, decode: (v: string) => T | null): T | null => {
    const entry = values.get(key);
    if (entry === undefined || entry.value === "") return null;
    const decoded = decode(entry.value);
    if (decoded === null) {
      bad(key, entry.line, `${key} is not ${what}: ${JSON.stringify(entry.value)}`);
    }
    return decoded;
  };
  const flag = (key: string): boolean => {
    const entry = values.get(key);
    if (entry === undefined || entry.value === "") return false;
    if (FALSE_LOOKING.has(entry.value.toLowerCase())) {
      warn(entry.line, `${key}=${entry.value} sets ${key}: any non-empty value does`);
    }
    return true;
  };

  const macEntry = values.get("MAC");
  const mac = field("MAC", "a MAC address", (v) => interner.mac(parseMac(v)));
  if (macEntry === undefined) {
    if (!broken.has("MAC")) errors.push(`Cannot parse binding ${shown}: MAC is missing`);
  } else if (macEntry.value === "") fail(macEntry.line, "MAC is empty");
  const hostname = readHostname(values, warn);
  const indev = field("INDEV", "an interface name", (v) => (isInterfaceName(v) ? v : null));
  const ip = field("IP", "an IPv4 address", parseIpv4);
  const subnet = readSubnet4(
    values.get("SUBNET"),
    (line, reason) => bad("SUBNET", line, reason),
    interner,
  );
  const gateway = field("GATEWAY", "an IPv4 address", parseIpv4);
  const subnet6 = readSubnet6(
    values.get("SUBNET6"),
    (line, reason) => bad("SUBNET6", line, reason),
    interner,
  );
  const gateway6 = field("GATEWAY6", "an IPv6 address", (v) => interner.ipv6(v));
  const eui64 = field("EUI64", "an IPv6 address", parseIpv6);
  // 0 is the original's "no MTU option" (it sent the option only for a non-zero MTU).
  const mtu = field("MTU", "0 or an integer from 68 to 65535", (v) => {
    const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
    return n === 0 || (n >= 68 && n <= 65535) ? n : null;
  });
  const isPrivate = flag("PRIVATE");
  const macspoof = flag("MACSPOOF");
  const overrides = withDhcp4Keys(readOverrides(field), readDhcp4Keys(values, bad));
  const dhcp6 = readDhcp6Keys({ values, subnet6, bad, slip });
  if (errors.length > 0 || mac === null) return { ok: false, errors };
  const ipv4Off = IPV4_KEYS.some((key) => broken.has(key));
  const ipv6Off = IPV6_KEYS.some((key) => broken.has(key));
  const binding: { -readonly [K in keyof Binding]: Binding[K] } = {
    tap,
    hostname,
    // Routed, INDEV names the TAP itself: one string for both.
    indev: indev === null || indev === tap ? tap : indev,
    mac,
    macText: formatMac(mac),
    ip: ipv4Off ? null : ip,
    subnet,
    gateway,
    subnet6: ipv6Off ? null : subnet6,
    gateway6,
    eui64,
    mtu: mtu === 0 ? null : mtu,
    private: isPrivate,
    macspoof,
  };
  if (overrides !== null) binding.overrides = overrides;
  if (dhcp6 !== null) binding.dhcp6 = dhcp6;
  warnings.push(...consistencyWarnings(binding, values));
  return { ok: true, binding, warnings };
}

/** The override keys a binding gives, or null when it gives none (most bindings). */
function readOverrides(
  field: <T>(key: string, what: string, decode: (v: string) => T | null) => T | null,
): BindingOverrides | null {
  const routes = field("ROUTES", 'routes ("DEST/LEN ROUTER, ...")', (v) => {
    const parsed = parseStaticRoutes4(v);
    return typeof parsed === "string" ? null : parsed;
  });
  const nameservers = field("NAMESERVERS", "IPv4 addresses", parseIpv4List);
  const nameservers6 = field("NAMESERVERS6", "IPv6 addresses", parseIpv6List);
  const domain = field("DOMAIN", "a domain name", (v) => (isDomainName(v) ? v : null));
  const domainSearch = field("DOMAIN_SEARCH", "domain names", parseDomainList);
  // NTP may list IPv6 servers too (DHCPv6 option 56); a family it leaves out keeps the global list.
  const ntp46 = field("NTP", "IPv4 or IPv6 addresses", splitAddressFamilies);
  const ntp = ntp46 !== null && ntp46.ipv4.length > 0 ? ntp46.ipv4 : null;
  const overrides: { -readonly [K in keyof BindingOverrides]: BindingOverrides[K] } = {};
  if (routes !== null) overrides.routes = routes;
  if (nameservers !== null) overrides.nameservers = nameservers;
  if (nameservers6 !== null) overrides.nameservers6 = nameservers6;
  if (domain !== null) overrides.domain = domain;
  if (domainSearch !== null) overrides.domainSearch = domainSearch;
  if (ntp !== null) overrides.ntp = ntp;
  return Object.keys(overrides).length === 0 ? null : overrides;
}

/** The overrides with the DHCPv4 keys added; null when there are neither. */
function withDhcp4Keys(
  overrides: BindingOverrides | null,
  dhcp4: Dhcp4Overrides | null,
): BindingOverrides | null {
  return dhcp4 === null ? overrides : { ...overrides, ...dhcp4 };
}

type Lines = ReadonlyMap<string, { readonly value: string; readonly line: number }>;

/**
 * HOSTNAME, else the older INSTANCE, as a name DNS allows: one with other characters is cleaned
 * up ({@link dnsHostName}) with a warning, not refused (a trailing dot goes without one).
 */
function readHostname(
  values: Lines,
  warn: (line: number, reason: string) => void,
): string | null {
  const named = (key: string) => {
    const entry = values.get(key);
    return entry && entry.value !== "" ? { key, ...entry } : undefined;
  };
  const hostname = named("HOSTNAME");
  const instance = named("INSTANCE");
  if (hostname && instance && hostname.value !== instance.value) {
    warn(hostname.line, `HOSTNAME and INSTANCE (line ${instance.line}) differ; using HOSTNAME`);
  }
  const chosen = hostname ?? instance;
  if (chosen === undefined) return null;
  const clean = dnsHostName(chosen.value);
  if (clean !== chosen.value.replace(/\.$/, "")) {
    const shown = JSON.stringify(chosen.value);
    warn(
      chosen.line,
      clean === null
        ? `${chosen.key} ${shown} has nothing DNS allows in a host name; no host name sent`
        : `${chosen.key} ${shown} is not a DNS host name; sent as ${JSON.stringify(clean)}`,
    );
  }
  return clean;
}

/** `a.b.c.d/len`, `a.b.c.d/w.x.y.z` (a contiguous netmask) or a bare address (a /32). */
function readSubnet4(
  entry: { readonly value: string; readonly line: number } | undefined,
  fail: (line: number, reason: string) => void,
  interner: BindingInterner,
): Subnet4 | null {
  if (entry === undefined || entry.value === "") return null;
  const known = interner.subnets4.get(entry.value);
  if (known !== undefined) return known;
  const slash = entry.value.indexOf("/");
  const addr = slash < 0 ? entry.value : entry.value.slice(0, slash);
  const len = slash < 0 ? undefined : entry.value.slice(slash + 1);
  const network = parseIpv4(addr);
  let prefixLength: number | null = len === undefined ? 32 : null;
  if (len !== undefined && /^\d{1,2}$/.test(len) && Number(len) <= 32) prefixLength = Number(len);
  else if (len !== undefined) prefixLength = netmaskLength(len);
  if (network === null || prefixLength === null) {
    fail(
      entry.line,
      `SUBNET is not an IPv4 subnet (address/prefix): ${JSON.stringify(entry.value)}`,
    );
    return null;
  }
  const mask = ipv4Mask(prefixLength);
  if ((network & ~mask) >>> 0 !== 0) {
    const fixed = `${formatIpv4((network & mask) >>> 0)}/${prefixLength}`;
    fail(entry.line, `SUBNET has host bits set: ${JSON.stringify(entry.value)} (is it ${fixed}?)`);
    return null;
  }
  const subnet = { network, prefixLength };
  interner.keep(interner.subnets4, entry.value, subnet);
  return subnet;
}

/** The prefix length of a dotted netmask such as `255.255.255.0`; null if not contiguous. */
function netmaskLength(text: string): number | null {
  const mask = parseIpv4(text);
  if (mask === null) return null;
  const length = Math.clz32(~mask >>> 0);
  return ipv4Mask(length) === mask ? length : null;
}

/** How many distinct values a `BindingInterner` keeps of each kind before it starts over. */
const SHARED_LIMIT = 1024;
/** The bytes of a block of MACs (64 of them). */
const MAC_BLOCK = 384;

/**
 * Thousands of bindings share a few SUBNET, SUBNET6 and GATEWAY6 values: parsed once and shared
 * (the values are never mutated), which saves start-up time and memory. A `BindingStore` owns one
 * for all its bindings; a `parseBinding` call without one gets a fresh one and shares nothing.
 */
export class BindingInterner {
  /** SUBNET text → the subnet it was parsed to (only subnets that parsed). */
  readonly subnets4 = new Map<string, Subnet4>();
  /** SUBNET6 text → the prefix it was parsed to (only prefixes that parsed). */
  readonly subnets6 = new Map<string, Subnet6>();
  /** GATEWAY6 text → its address, or null when it is not one. */
  readonly addresses6 = new Map<string, Uint8Array | null>();

  /** The address of `text`, shared with every earlier binding that gave the same text. */
  ipv6(text: string): Uint8Array | null {
    let known = this.addresses6.get(text);
    if (known === undefined) {
      known = parseIpv6(text);
      this.keep(this.addresses6, text, known);
    }
    return known;
  }

  /** Where the next MAC goes: a few bytes of one shared buffer each, not a buffer apiece. */
  #macs = new Uint8Array(0);
  #macsUsed = 0;

  /**
   * `mac` copied into a block shared with other bindings' MACs (a Uint8Array with a buffer of its
   * own costs about 20 times its 6 bytes); a block lives as long as one of its MACs is used.
   */
  mac(mac: Uint8Array | null): Uint8Array | null {
    if (mac === null) return null;
    if (this.#macsUsed + mac.length > this.#macs.length) {
      this.#macs = new Uint8Array(MAC_BLOCK);
      this.#macsUsed = 0;
    }
    const kept = this.#macs.subarray(this.#macsUsed, this.#macsUsed + mac.length);
    kept.set(mac);
    this.#macsUsed += mac.length;
    return kept;
  }

  /** Remembers in `table` that `text` parses to `value`, starting over when the table is full. */
  keep<T>(table: Map<string, T>, text: string, value: T): void {
    if (table.size >= SHARED_LIMIT) table.clear();
    table.set(text, value);
  }
}

/** `prefix/len` or a bare address (a /128). */
function readSubnet6(
  entry: { readonly value: string; readonly line: number } | undefined,
  fail: (line: number, reason: string) => void,
  interner: BindingInterner,
): Subnet6 | null {
  if (entry === undefined || entry.value === "") return null;
  const known = interner.subnets6.get(entry.value);
  if (known !== undefined) return known;
  const [addr = "", len, ...rest] = entry.value.split("/");
  const prefix = parseIpv6(addr);
  const prefixLength = len === undefined
    ? 128
    : /^\d{1,3}$/.test(len) && Number(len) <= 128
    ? Number(len)
    : null;
  if (prefix === null || prefixLength === null || rest.length > 0) {
    fail(
      entry.line,
      `SUBNET6 is not an IPv6 prefix (address/length): ${JSON.stringify(entry.value)}`,
    );
    return null;
  }
  const network = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.min(8, Math.max(0, prefixLength - 8 * i));
    network[i] = prefix[i]! & ((0xff00 >> bits) & 0xff);
  }
  if (network.some((byte, i) => byte !== prefix[i])) {
    const fixed = `${formatIpv6(network)}/${prefixLength}`;
    fail(entry.line, `SUBNET6 has host bits set: ${JSON.stringify(entry.value)} (is it ${fixed}?)`);
    return null;
  }
  const subnet = { prefix, prefixLength };
  interner.keep(interner.subnets6, entry.value, subnet);
  return subnet;
}

/** Content that parses but is probably not what was meant. */
function consistencyWarnings(b: Binding, values: Lines): string[] {
  const out: string[] = [];
  const at = (key: string) => `Binding ${escapeForLog(b.tap)} line ${values.get(key)?.line ?? 0}`;
  if (b.hostname === null) {
    out.push(
      `Binding ${escapeForLog(b.tap)}: no HOSTNAME (or INSTANCE); replies carry no host name`,
    );
  }
  if (b.ip !== null && b.subnet === null) {
    const why = "no lease (as the original), see lease_without_subnet";
    out.push(`${at("IP")}: IP is set but SUBNET is not; ${why}`);
  }
  if (b.ip !== null && b.subnet !== null) {
    const mask = ipv4Mask(b.subnet.prefixLength);
    if (((b.ip & mask) >>> 0) !== b.subnet.network) {
      const subnet = `${formatIpv4(b.subnet.network)}/${b.subnet.prefixLength}`;
      out.push(`${at("IP")}: IP ${formatIpv4(b.ip)} is outside SUBNET ${subnet}`);
    }
  }
  if (b.subnet6 !== null && b.subnet6.prefixLength !== 64) {
    out.push(`${at("SUBNET6")}: SUBNET6 is a /${b.subnet6.prefixLength}; SLAAC needs a /64`);
  }
  if (b.eui64 !== null && b.subnet6 !== null) {
    if (!ipv6InPrefix(b.eui64, b.subnet6.prefix, b.subnet6.prefixLength)) {
      out.push(`${at("EUI64")}: EUI64 ${formatIpv6(b.eui64)} is outside SUBNET6`);
    }
  }
  return out;
}
