/** Typed getters over one section of nfdhcpd.conf that record every problem with its place. */
import { parseIpv4, parseIpv6 } from "../address.ts";
import type { OptionKey } from "../dhcp4_custom_options.ts";
import { isDomainName, parseStaticRoute4, type StaticRoute4 } from "../dhcp_values.ts";
import type { Findings } from "./findings.ts";
import type { IniEntry, IniSection } from "./ini.ts";

/** One operator option as {@link SectionReader.options} reads it. */
export interface OperatorOption {
  readonly code: number;
  readonly bytes: Uint8Array;
  readonly always: boolean;
}

/** Reads one section; remembers which keys were asked for, so that the others can be reported. */
export class SectionReader {
  readonly #used = new Set<string>();

  constructor(
    readonly name: string,
    readonly section: IniSection | undefined,
    readonly findings: Findings,
  ) {}

  /** The keys asked for so far: after reading, every key this section knows. */
  get known(): ReadonlySet<string> {
    return this.#used;
  }

  /** The section's entries that no getter asked for. */
  unused(): IniEntry[] {
    return [...this.section?.entries.values() ?? []].filter((e) => !this.#used.has(e.key));
  }

  entry(key: string): IniEntry | undefined {
    this.#used.add(key);
    return this.section?.entries.get(key);
  }

  /** True when the key is in the file with a non-empty value (valid or not). */
  given(key: string): boolean {
    const value = this.entry(key)?.value;
    return value !== undefined && value !== "";
  }

  error(key: string, reason: string): void {
    this.#add("error", key, reason);
  }

  warn(key: string, reason: string): void {
    this.#add("warning", key, reason);
  }

  #add(severity: "error" | "warning", key: string, reason: string): void {
    const line = this.section?.entries.get(key)?.line ?? 0;
    this.findings.add(severity, { section: this.name, key, line, reason });
  }

  /** One value, or undefined when absent; a list is an error (and also gives undefined). */
  scalar(key: string): string | undefined {
    const entry = this.entry(key);
    if (entry === undefined) return undefined;
    if (typeof entry.value === "string") return entry.value.trim();
    this.error(key, `expected one value, not a list: ${JSON.stringify(entry.value)}`);
    return undefined;
  }

  /** A list; a single value is a list of one, an empty value the empty list. */
  list(key: string): readonly string[] {
    const value = this.entry(key)?.value;
    if (value === undefined) return [];
    if (typeof value !== "string") return value.map((v) => v.trim());
    return value.trim() === "" ? [] : [value.trim()];
  }

  path(key: string, fallback: string): string {
    const value = this.scalar(key);
    if (value === undefined) return fallback;
    if (value === "") this.error(key, "empty path");
    return value;
  }

  /** An optional string: absent or empty gives null. */
  optional(key: string): string | null {
    const value = this.scalar(key);
    return value === undefined || value === "" ? null : value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.scalar(key);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (["yes", "true", "on", "1"].includes(lower)) return true;
    if (["no", "false", "off", "0"].includes(lower)) return false;
    this.error(key, `not a boolean (yes/no, true/false, on/off, 1/0): ${JSON.stringify(value)}`);
    return fallback;
  }

  /** An integer in [min, max]; `emptyIsNull` lets `key =` mean "not set". */
  integer(key: string, min: number, max: number, fallback: number): number;
  integer(key: string, min: number, max: number, fallback: null, emptyIsNull: true): number | null;
  integer(key: string, min: number, max: number, fallback: number | null, emptyIsNull = false) {
    const value = this.scalar(key);
    if (value === undefined) return fallback;
    if (value === "" && emptyIsNull) return null;
    if (!/^\+?\d+$/.test(value)) {
      this.error(key, `not a non-negative integer: ${JSON.stringify(value)}`);
      return fallback;
    }
    const n = Number(value);
    if (n < min || n > max) {
      this.error(key, `out of range (${min} to ${max}): ${n}`);
      return fallback;
    }
    return n;
  }

  ipv4(key: string): number | null {
    const value = this.optional(key);
    if (value === null) return null;
    const ip = parseIpv4(value);
    if (ip === null) this.error(key, `not an IPv4 address: ${JSON.stringify(value)}`);
    return ip;
  }

  ipv4List(key: string): number[] {
    return this.list(key).flatMap((v) => {
      const ip = parseIpv4(v);
      if (ip === null) this.error(key, `not an IPv4 address: ${JSON.stringify(v)}`);
      return ip === null ? [] : [ip];
    });
  }

  ipv6List(key: string): Uint8Array[] {
    return this.list(key).flatMap((v) => {
      const ip = parseIpv6(v);
      if (ip === null) this.error(key, `not an IPv6 address: ${JSON.stringify(v)}`);
      return ip === null ? [] : [ip];
    });
  }

  domain(key: string): string | null {
    const value = this.optional(key);
    if (value !== null && !isDomainName(value)) {
      this.error(key, `not a domain name: ${JSON.stringify(value)}`);
    }
    return value;
  }

  domainList(key: string): string[] {
    const values = this.list(key);
    for (const v of values) {
      if (!isDomainName(v)) this.error(key, `not a domain name: ${JSON.stringify(v)}`);
    }
    return [...values];
  }

  /** Classless static routes, one `DEST/LEN ROUTER` per list item. */
  routes(key: string): StaticRoute4[] {
    return this.list(key).flatMap((v) => {
      const route = parseStaticRoute4(v);
      if (typeof route === "string") this.error(key, route);
      return typeof route === "string" ? [] : [route];
    });
  }

  /**
   * The operator's options: every `<prefix><n>` and `<prefix><n>!` key of the section
   * (`option_252`, `option6_17!`), in the file's order, its code and `!` read by `parseKey` and
   * its value by `parseValue`. Empty values are not set; a bad key or value, or a second key for
   * one code, is an error.
   */
  options(
    prefix: string,
    parseKey: (key: string, prefix: string) => OptionKey | null,
    parseValue: (text: string) => Uint8Array | string,
  ): OperatorOption[] {
    const byCode = new Map<number, { option: OperatorOption; key: string }>();
    for (const { key } of this.section?.entries.values() ?? []) {
      const parsed = parseKey(key, prefix);
      if (parsed === null) continue;
      const text = this.scalar(key);
      if (text === undefined || text === "") continue;
      if (!parsed.ok) {
        this.error(key, parsed.reason);
        continue;
      }
      const bytes = parseValue(text);
      if (typeof bytes === "string") {
        this.error(key, bytes);
        continue;
      }
      const earlier = byCode.get(parsed.code);
      if (earlier !== undefined) {
        this.error(key, `option ${parsed.code} is already set by ${earlier.key}`);
        continue;
      }
      byCode.set(parsed.code, { option: { code: parsed.code, bytes, always: parsed.always }, key });
    }
    return [...byCode.values()].map((e) => e.option);
  }
}
