/**
 * Operator-given DHCPv4 options (`OPTION_<n>=VALUE` in binding files, `option_<n> = VALUE` in
 * nfdhcpd.conf): the key's code and `!`, the value as text or `hex:` bytes, the codes the
 * daemon keeps for itself, with why; and what a boot file name may be.
 */

/** One option an operator gives, by code: sent when the client asks for it, or `always`. */
export interface CustomOption4 {
  readonly code: number;
  readonly value: Uint8Array;
  /** `OPTION_<n>!=`: sent whether or not the client's parameter request list names it. */
  readonly always: boolean;
}

/**
 * The codes an operator cannot set, each with the reason: the daemon derives them from the
 * binding and the configuration, they belong to the client or a relay, or they frame the
 * message itself. 0 (PAD) and 255 (END) are not options at all.
 */
const OWNED_DHCP4_OPTIONS: ReadonlyMap<number, string> = new Map([
  [1, "the subnet mask comes from SUBNET"],
  [3, "the router comes from GATEWAY (and PRIVATE)"],
  [50, "the requested address is the client's"],
  [51, "the lease time comes from LEASE or [dhcp] lease_lifetime"],
  [52, "option overload is the daemon's layout of the reply"],
  [53, "the message type says what the reply is"],
  [54, "the server identifier comes from server_ip or server_on_link"],
  [55, "the parameter request list is the client's"],
  [56, "the message option carries the daemon's own error text"],
  [57, "the maximum message size is the client's"],
  [58, "the renewal time comes from [dhcp] lease_renewal and LEASE"],
  [59, "the rebinding time follows from the lease time"],
  [60, "the vendor class identifier is the client's"],
  [61, "the client identifier is echoed from the request (RFC 6842)"],
  [82, "the relay agent information is a relay's"],
]);

/** A key's option code and `!`, or why it names no option the operator may set. */
export type OptionKey =
  | { readonly ok: true; readonly code: number; readonly always: boolean }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads a key of the form `<prefix><n>` or `<prefix><n>!` (`OPTION_252`, `option_252!`); null
 * when `key` does not start with `prefix`, so that other keys go on to the usual checks.
 */
export function parseOptionKey(key: string, prefix: string): OptionKey | null {
  if (!key.startsWith(prefix)) return null;
  const always = key.endsWith("!");
  const number = key.slice(prefix.length, always ? -1 : undefined);
  if (!/^\d{1,3}$/.test(number)) {
    return { ok: false, reason: `not an option number (${prefix}1 to ${prefix}254)` };
  }
  const code = Number(number);
  if (code === 0 || code === 255) {
    return {
      ok: false,
      reason: `option ${code} is ${code === 0 ? "PAD" : "END"}, not an option`,
    };
  }
  if (code > 255) return { ok: false, reason: `option ${code} is out of range (1 to 254)` };
  const owned = OWNED_DHCP4_OPTIONS.get(code);
  if (owned !== undefined) {
    return { ok: false, reason: `option ${code} is the daemon's: ${owned}` };
  }
  return { ok: true, code, always };
}

const encoder = new TextEncoder();

/**
 * An option value as written: `hex:` then hex digits, two a byte, optionally in groups separated
 * by single colons (`hex:01:02:0a`, `hex:01020a`; `hex:` alone is an empty value); anything else
 * is text, sent as its UTF-8 bytes. The reason when the hex is bad.
 */
export function parseOptionValue(text: string): Uint8Array | string {
  if (!/^hex:/i.test(text)) return encoder.encode(text);
  const digits = text.slice(4);
  if (digits === "") return new Uint8Array(0);
  const groups = digits.split(":");
  const bad = groups.find((g) => !/^[0-9a-fA-F]+$/.test(g) || g.length % 2 !== 0);
  if (bad !== undefined) {
    return `not hex bytes (two hex digits a byte, colons between): ${JSON.stringify(text)}`;
  }
  const joined = groups.join("");
  const out = new Uint8Array(joined.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(joined.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * The options of several levels merged by code, the later levels winning (configuration, then
 * the host's section, then the binding): in code order, so two merges of the same lists agree.
 */
export function mergeCustomOptions(
  ...levels: readonly (readonly CustomOption4[] | undefined)[]
): CustomOption4[] {
  const byCode = new Map<number, CustomOption4>();
  for (const level of levels) for (const option of level ?? []) byCode.set(option.code, option);
  return [...byCode.values()].sort((a, b) => a.code - b.code);
}

/** The longest boot file name: what option 67 holds in one instance. */
const BOOT_FILE_MAX = 255;

/** Why `name` cannot be a boot file name (too long, or a control character), or null. */
export function bootFileProblem(name: string): string | null {
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > BOOT_FILE_MAX) return `is ${bytes} bytes long; at most ${BOOT_FILE_MAX}`;
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) return `has a control character: ${JSON.stringify(name)}`;
  return null;
}
