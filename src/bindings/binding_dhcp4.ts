/**
 * A binding's DHCPv4 keys beyond the original's: NEXT_SERVER and BOOT_FILE (network boot), LEASE
 * (its own lease time) and OPTION_<n> (any option an operator gives), read from the file's lines.
 */
import { parseIpv4 } from "../address.ts";
import {
  bootFileProblem,
  type CustomOption4,
  parseOptionKey,
  parseOptionValue,
} from "../dhcp4_custom_options.ts";

/** What these keys set; each absent when the file does not give it (or gives a bad value). */
export interface Dhcp4Overrides {
  /** NEXT_SERVER: siaddr, the next server of a network boot (and option 66), for [dhcp] next_server. */
  readonly nextServer?: number;
  /** BOOT_FILE: the `file` field (and option 67), for [dhcp] boot_file. */
  readonly bootFile?: string;
  /** LEASE: option 51 in seconds, for [dhcp] lease_lifetime; T1 follows from it. */
  readonly leaseTime?: number;
  /** OPTION_<n>: the binding's own options, in code order; they replace the configuration's. */
  readonly options?: readonly CustomOption4[];
}

/** The key prefix of the options an operator gives in a binding file. */
const OPTION_KEY_PREFIX = "OPTION_";
const NAMED_KEYS: readonly string[] = ["NEXT_SERVER", "BOOT_FILE", "LEASE"];

/** Whether `key` is one of these keys (an OPTION_ key with a bad number included: it is reported). */
export function isDhcp4BindingKey(key: string): boolean {
  return NAMED_KEYS.includes(key) || key.startsWith(OPTION_KEY_PREFIX);
}

const UINT32_MAX = 4294967295;

type Lines = ReadonlyMap<string, { readonly value: string; readonly line: number }>;

/**
 * Reads the keys from `values` (key → last value and its line). A bad value goes to `bad` with
 * its line and reason, and only that key is dropped: the rest of the binding still works.
 * Returns null when the file gives none of them.
 */
export function readDhcp4Keys(
  values: Lines,
  bad: (key: string, line: number, reason: string) => void,
): Dhcp4Overrides | null {
  const out: { -readonly [K in keyof Dhcp4Overrides]: Dhcp4Overrides[K] } = {};
  const given = (key: string) => {
    const entry = values.get(key);
    return entry === undefined || entry.value === "" ? undefined : entry;
  };
  const next = given("NEXT_SERVER");
  if (next !== undefined) {
    const address = parseIpv4(next.value);
    if (address === null) {
      bad("NEXT_SERVER", next.line, `NEXT_SERVER is not an IPv4 address: ${show(next.value)}`);
    } else out.nextServer = address;
  }
  const boot = given("BOOT_FILE");
  if (boot !== undefined) {
    const reason = bootFileProblem(boot.value);
    if (reason !== null) bad("BOOT_FILE", boot.line, `BOOT_FILE ${reason}`);
    else out.bootFile = boot.value;
  }
  const lease = given("LEASE");
  if (lease !== undefined) {
    const seconds = /^\d{1,10}$/.test(lease.value) ? Number(lease.value) : 0;
    if (seconds < 1 || seconds > UINT32_MAX) {
      bad(
        "LEASE",
        lease.line,
        `LEASE is not seconds from 1 to ${UINT32_MAX}: ${show(lease.value)}`,
      );
    } else out.leaseTime = seconds;
  }
  const options = readOptions(values, bad);
  if (options.length > 0) out.options = options;
  return Object.keys(out).length === 0 ? null : out;
}

/** The OPTION_<n> keys, by code; `OPTION_<n>` and `OPTION_<n>!` both given: the later line wins. */
function readOptions(
  values: Lines,
  bad: (key: string, line: number, reason: string) => void,
): CustomOption4[] {
  const byCode = new Map<number, CustomOption4 & { readonly key: string; readonly line: number }>();
  for (const key of values.keys()) {
    const parsed = parseOptionKey(key, OPTION_KEY_PREFIX);
    if (parsed === null) continue;
    const { value, line } = values.get(key)!;
    if (value === "") continue;
    if (!parsed.ok) {
      bad(key, line, `${key}: ${parsed.reason}`);
      continue;
    }
    const bytes = parseOptionValue(value);
    if (typeof bytes === "string") {
      bad(key, line, `${key} is ${bytes}`);
      continue;
    }
    const earlier = byCode.get(parsed.code);
    if (earlier !== undefined) {
      const [first, second] = earlier.line < line
        ? [earlier, { key, line }]
        : [{ key, line }, earlier];
      bad(
        first.key,
        first.line,
        `${first.key} and ${second.key} (line ${second.line}) both set option ${parsed.code}; ` +
          "the later line wins",
      );
      if (earlier.line > line) continue;
    }
    byCode.set(parsed.code, { code: parsed.code, value: bytes, always: parsed.always, key, line });
  }
  if (byCode.size === 0) return []; // Most bindings: nothing more to allocate.
  return [...byCode.values()].sort((a, b) => a.code - b.code)
    .map(({ code, value, always }) => ({ code, value, always }));
}

function show(value: string): string {
  return JSON.stringify(value);
}
