/** A binding's DHCPv6 keys: IP6 (addresses in IA_NA), PREFIX6 (IA_PD), BOOT_URL6 (option 59) and OPTION6_<n> (any other option). */
import { formatIpv6, ipv6InPrefix, parseIpv4, parseIpv6 } from "../address.ts";
import {
  type CustomOption6,
  MAX_OPTION6_BYTES,
  parseOption6Key,
  parseOption6Value,
} from "../dhcp6_custom_options.ts";
import type { Subnet6 } from "./subnets.ts";

/** What a binding's DHCPv6 keys say; each field only when the file gives a usable value. */
export interface BindingDhcp6 {
  /** IP6: addresses leased in IA_NA, after EUI64 (each inside SUBNET6). */
  readonly addresses?: readonly Uint8Array[];
  /** PREFIX6: prefixes delegated in IA_PD (RFC 8415). */
  readonly prefixes?: readonly Subnet6[];
  /** BOOT_URL6: the boot file URL (option 59, RFC 5970), for [ipv6] boot_url. */
  readonly bootUrl?: string;
  /** The IPv6 addresses of NTP: option 56, for [ipv6] ntp_servers. */
  readonly ntpServers?: readonly Uint8Array[];
  /** OPTION6_<n>, in the file's order. */
  readonly options?: readonly CustomOption6[];
}

/** A binding file's lines by key. */
type Lines = ReadonlyMap<string, { readonly value: string; readonly line: number }>;

/** How parseBinding lets this module report. */
export interface Dhcp6KeyContext {
  readonly values: Lines;
  /** SUBNET6 as parsed (null when absent or bad): IP6 must lie in it, PREFIX6 outside it. */
  readonly subnet6: Subnet6 | null;
  /** A bad value: an error for `check`, a warning naming what is left out (`off`) for the daemon. */
  readonly bad: (key: string, line: number, reason: string, off: string) => void;
  /** A slip of the writer (a repeated option): an error for `check`, a warning for the daemon. */
  readonly slip: (line: number, reason: string) => void;
}

/** The longest a delegated prefix may be, and the shortest: what a VM may sanely route. */
export const PREFIX6_LENGTHS = { min: 32, max: 128 } as const;
/** The most prefixes (PREFIX6) and addresses (IP6) one binding hands out: replies fit 1280 bytes. */
export const MAX_PREFIXES6 = 8;
export const MAX_ADDRESSES6 = 16;

/** True for the keys this module reads (OPTION6_ followed by anything is reported here). */
export function isDhcp6Key(key: string): boolean {
  return key === "IP6" || key === "PREFIX6" || key === "BOOT_URL6" || key.startsWith("OPTION6_");
}

/** Reads the DHCPv6 keys; null when the binding gives none (most bindings). */
export function readDhcp6Keys(context: Dhcp6KeyContext): BindingDhcp6 | null {
  const { values } = context;
  const out: { -readonly [K in keyof BindingDhcp6]: BindingDhcp6[K] } = {};
  const addresses = readAddresses(context);
  if (addresses.length > 0) out.addresses = addresses;
  const prefixes = readPrefixes(context);
  if (prefixes.length > 0) out.prefixes = prefixes;
  const url = values.get("BOOT_URL6");
  if (url !== undefined && url.value !== "") {
    if (isUrl(url.value)) out.bootUrl = url.value;
    else {
      const reason =
        `BOOT_URL6 is not a URL (scheme:..., printable ASCII, at most ${MAX_OPTION6_BYTES} bytes)`;
      context.bad("BOOT_URL6", url.line, `${reason}: ${JSON.stringify(url.value)}`, "no option 59");
    }
  }
  const ntp = values.get("NTP");
  const ntp6 = ntp === undefined ? null : splitAddressFamilies(ntp.value)?.ipv6 ?? null;
  if (ntp6 !== null && ntp6.length > 0) out.ntpServers = ntp6;
  const options = readOptions(context);
  if (options.length > 0) out.options = options;
  return Object.keys(out).length === 0 ? null : out;
}

function readOptions({ values, bad, slip }: Dhcp6KeyContext): CustomOption6[] {
  const byCode = new Map<number, { key: string; line: number; option: CustomOption6 }>();
  for (const key of values.keys()) {
    const parsed = parseOption6Key(key, "OPTION6_");
    if (parsed === null) continue;
    const { value, line } = values.get(key)!;
    if (value === "") continue;
    const refuse = (reason: string) => bad(key, line, `${key}: ${reason}`, `${key} ignored`);
    if (!parsed.ok) {
      refuse(parsed.reason);
      continue;
    }
    const data = parseOption6Value(value);
    if (typeof data === "string") {
      refuse(data);
      continue;
    }
    const { code, always } = parsed;
    const earlier = byCode.get(code);
    if (earlier !== undefined) {
      slip(
        line,
        `${key} sets option ${code} again (${earlier.key}, line ${earlier.line}); the last value wins`,
      );
    }
    byCode.set(code, { key, line, option: { code, data, always } });
  }
  if (byCode.size === 0) return []; // Most bindings: nothing more to allocate.
  return [...byCode.values()].sort((a, b) => a.line - b.line).map((e) => e.option);
}

/** RFC 3986's scheme, then printable ASCII: what a UEFI HTTP boot client can fetch. */
function isUrl(value: string): boolean {
  return value.length <= MAX_OPTION6_BYTES && /^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]+$/.test(value);
}

/** The items of a list value (commas or white space between). */
function items(value: string): string[] {
  return value.split(/[\s,]+/).filter((w) => w !== "");
}

/** IP6: each address in SUBNET6; a bad one is left out, the others are served. */
function readAddresses({ values, subnet6, bad }: Dhcp6KeyContext): Uint8Array[] {
  const entry = values.get("IP6");
  if (entry === undefined) return [];
  const kept: Uint8Array[] = [];
  for (const word of items(entry.value)) {
    const address = parseIpv6(word);
    const shown = JSON.stringify(word);
    const off = `${word} left out, the other addresses are served`;
    if (address === null) bad("IP6", entry.line, `IP6: not an IPv6 address: ${shown}`, off);
    else if (subnet6 !== null && !ipv6InPrefix(address, subnet6.prefix, subnet6.prefixLength)) {
      const subnet = `${formatIpv6(subnet6.prefix)}/${subnet6.prefixLength}`;
      bad("IP6", entry.line, `IP6: ${word} is outside SUBNET6 ${subnet}`, off);
    } else if (kept.length >= MAX_ADDRESSES6) {
      bad("IP6", entry.line, `IP6: more than ${MAX_ADDRESSES6} addresses`, `${word} left out`);
    } else if (!kept.some((k) => k.every((b, i) => b === address[i]))) kept.push(address);
  }
  return kept;
}

/**
 * PREFIX6: `prefix/length` items, the length from {@link PREFIX6_LENGTHS}, no host bits, outside
 * SUBNET6 (the link's own prefix) and apart from each other; a bad one is left out.
 */
function readPrefixes({ values, subnet6, bad }: Dhcp6KeyContext): Subnet6[] {
  const entry = values.get("PREFIX6");
  if (entry === undefined) return [];
  const kept: Subnet6[] = [];
  for (const word of items(entry.value)) {
    const reason = prefixError(word, kept, subnet6);
    if (typeof reason === "string") {
      bad("PREFIX6", entry.line, `PREFIX6: ${reason}`, `${word} not delegated`);
    } else kept.push(reason);
  }
  return kept;
}

function prefixError(
  word: string,
  kept: readonly Subnet6[],
  subnet6: Subnet6 | null,
): Subnet6 | string {
  const [text = "", length, ...rest] = word.split("/");
  const prefix = parseIpv6(text);
  const { min, max } = PREFIX6_LENGTHS;
  const prefixLength = length !== undefined && /^\d{1,3}$/.test(length) ? Number(length) : NaN;
  if (prefix === null || rest.length > 0 || Number.isNaN(prefixLength)) {
    return `not an IPv6 prefix (address/length): ${JSON.stringify(word)}`;
  }
  if (prefixLength < min || prefixLength > max) {
    return `${word}: a delegated prefix is a /${min} to a /${max}`;
  }
  const network = prefix.map((byte, i) =>
    byte & ((0xff00 >> Math.min(8, Math.max(0, prefixLength - 8 * i))) & 0xff)
  );
  if (network.some((byte, i) => byte !== prefix[i])) {
    return `${word} has host bits set (is it ${formatIpv6(network)}/${prefixLength}?)`;
  }
  const overlaps = (s: Subnet6) => {
    const shorter = Math.min(s.prefixLength, prefixLength);
    return ipv6InPrefix(prefix, s.prefix, shorter);
  };
  if (subnet6 !== null && overlaps(subnet6)) {
    return `${word} overlaps SUBNET6, the link's own prefix`;
  }
  const clash = kept.find(overlaps);
  if (clash !== undefined) {
    return `${word} overlaps ${formatIpv6(clash.prefix)}/${clash.prefixLength}, listed before`;
  }
  if (kept.length >= MAX_PREFIXES6) return `more than ${MAX_PREFIXES6} prefixes`;
  return { prefix, prefixLength };
}

/** A list of IPv4 and IPv6 addresses (NTP), split by family; null when an item is neither. */
export function splitAddressFamilies(text: string): { ipv4: number[]; ipv6: Uint8Array[] } | null {
  const ipv4: number[] = [];
  const ipv6: Uint8Array[] = [];
  for (const word of items(text)) {
    const v4 = parseIpv4(word);
    const v6 = v4 === null ? parseIpv6(word) : null;
    if (v4 !== null) ipv4.push(v4);
    else if (v6 !== null) ipv6.push(v6);
    else return null;
  }
  return { ipv4, ipv6 };
}
