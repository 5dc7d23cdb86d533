/**
 * Operator-given DHCPv6 options (`OPTION6_<n>=VALUE` in binding files, `option6_<n> = VALUE` in
 * nfdhcpd.conf's [ipv6] and [host MAC] sections): the key's code and `!`, the value as text or
 * `hex:` bytes, the codes the daemon keeps for itself, with why; and how the levels merge.
 */
import type { OptionKey } from "./dhcp4_custom_options.ts";

/** One operator option: its code, its data, and whether it goes out unasked. */
export interface CustomOption6 {
  readonly code: number;
  readonly data: Uint8Array;
  /** `OPTION6_<n>!=`: sent in every reply, not only when the client's option request names it. */
  readonly always: boolean;
}

/** The longest OPTION6_<n> or BOOT_URL6 value: a DHCPv6 reply is at most 1232 bytes here. */
export const MAX_OPTION6_BYTES = 1024;

/**
 * Options an operator may not set, and why: the protocol's own (RFC 8415 section 21), those a
 * client or relay sends, and those another key sets. Any other code may be set; one the daemon
 * also fills in (23, 24, 39, 56, 59) is replaced by the operator's value.
 */
export const OWNED_OPTIONS6: Readonly<Record<number, string>> = {
  0: "reserved (RFC 8415)",
  1: "the client identifier is the client's",
  2: "the server identifier is the daemon's DUID, which Request, Renew and Release must name",
  3: "IA_NA holds the addresses the daemon assigns (EUI64, IP6)",
  4: "IA_TA: the daemon assigns no temporary addresses",
  5: "IAADDR holds an address inside IA_NA (EUI64, IP6)",
  6: "the option request option is the client's",
  7: "the preference is the daemon's (255)",
  8: "the elapsed time is the client's",
  9: "the relay message option is a relay's",
  11: "authentication: the daemon does not authenticate",
  12: "server unicast: the daemon answers on the link only",
  13: "status codes are the daemon's answer to each exchange",
  14: "rapid commit is the client's choice",
  18: "the interface-id option is a relay's",
  19: "the reconfigure message option: the daemon sends no Reconfigure",
  20: "reconfigure accept: the daemon sends no Reconfigure",
  25: "IA_PD holds the prefixes the daemon delegates (PREFIX6)",
  26: "IAPREFIX holds a prefix inside IA_PD (PREFIX6)",
  32: "the information refresh time is [ipv6] information_refresh_time",
  37: "the remote-id option is a relay's",
  38: "the subscriber-id option is a relay's",
  79: "the client link-layer address option is a relay's",
};

/**
 * Reads a key of the form `<prefix><n>` or `<prefix><n>!` (`OPTION6_17`, `option6_17!`); null
 * when `key` does not start with `prefix`, so that other keys go on to the usual checks.
 */
export function parseOption6Key(key: string, prefix: string): OptionKey | null {
  if (!key.startsWith(prefix)) return null;
  const always = key.endsWith("!");
  const number = key.slice(prefix.length, always ? -1 : undefined);
  const code = /^\d{1,5}$/.test(number) ? Number(number) : NaN;
  if (!(code <= 65535)) return { ok: false, reason: "the option number must be 1 to 65535" };
  const owned = OWNED_OPTIONS6[code];
  if (owned !== undefined) return { ok: false, reason: `option ${code} is the daemon's: ${owned}` };
  return { ok: true, code, always };
}

/** `hex:` and pairs of hex digits, colons allowed between pairs (`hex:01:02`, `hex:0102`). */
const HEX_VALUE = /^hex:((?:[0-9A-Fa-f]{2}(?::?[0-9A-Fa-f]{2})*)?)$/;
const utf8 = new TextEncoder();

/**
 * An option value's bytes: `hex:` digits, else the text as UTF-8; or why not, with the value
 * (`not hex: (...): "hex:0"`).
 */
export function parseOption6Value(value: string): Uint8Array | string {
  const shown = JSON.stringify(value);
  let data: Uint8Array;
  if (value.toLowerCase().startsWith("hex:")) {
    const hex = HEX_VALUE.exec(`hex:${value.slice(4)}`)?.[1];
    if (hex === undefined) {
      return `not hex: (pairs of hex digits, colons allowed between pairs): ${shown}`;
    }
    const digits = hex.replaceAll(":", "");
    data = new Uint8Array(digits.length / 2);
    for (let i = 0; i < data.length; i++) data[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  } else data = utf8.encode(value);
  return data.length > MAX_OPTION6_BYTES
    ? `longer than ${MAX_OPTION6_BYTES} bytes: ${shown}`
    : data;
}

/**
 * The options of several levels merged by code, the later levels winning (the configuration's
 * [ipv6], then the host's section, then the binding), as DHCPv4's option_<n> merge. The winning
 * level's options come first in their own order, then the others': with one level alone, its
 * options as they were.
 */
export function mergeCustomOptions6(
  ...levels: readonly (readonly CustomOption6[] | undefined)[]
): CustomOption6[] {
  const byCode = new Map<number, CustomOption6>();
  for (const level of [...levels].reverse()) {
    for (const option of level ?? []) if (!byCode.has(option.code)) byCode.set(option.code, option);
  }
  return [...byCode.values()];
}
