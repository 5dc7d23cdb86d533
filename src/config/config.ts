/** Reads nfdhcpd.conf: schema, defaults, validation and messages that name file, section and key. */
import { errorMessage } from "../error_message.ts";
import { parseIpv4, parseIpv6 } from "../wire/address.ts";
import { type IniEntry, iniLocation, type IniSection, parseIni } from "./ini.ts";
import type { Config, DhcpConfig, GeneralConfig, Ipv6Config, Ipv6Mode } from "./types.ts";

/** Where the daemon looks for its configuration unless told otherwise. */
export const DEFAULT_CONFIG_PATH = "/etc/nfdhcpd/nfdhcpd.conf";

/** The configuration, with warnings (unknown or deprecated keys...), or every error found. */
export type ConfigResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: string[] }
  | { readonly ok: false; readonly errors: string[] };

/** The values used for keys (or whole sections) the file leaves out. */
export const CONFIG_DEFAULTS = {
  pidfile: "/var/run/nfdhcpd/nfdhcpd.pid",
  datapath: "/var/lib/nfdhcpd",
  logdir: "/var/log/nfdhcpd",
  leaseLifetime: 604800,
  leaseRenewal: 600,
  dhcpQueue: 42,
  raPeriod: 300,
  rsQueue: 43,
  nsQueue: 44,
  dhcpv6Queue: 45,
} as const;

const UINT32_MAX = 4294967295;
const QUEUE_MAX = 65535;
/** RFC 4861 6.2.1: MaxRtrAdvInterval is at most 1800 seconds. */
const RA_PERIOD_ADVISED_MAX = 1800;

type QueueName = "rs" | "ns" | "dhcpv6";
const QUEUE_KEY: Record<QueueName, string> = {
  rs: "rs_queue",
  ns: "ns_queue",
  dhcpv6: "dhcpv6_queue",
};
/** The queues each IPv6 mode listens on; `auto` tries the modes in this order (richest first). */
const MODE_QUEUES: ReadonlyArray<readonly [Ipv6Mode, readonly QueueName[]]> = [
  ["slaac+dhcpv6", ["rs", "ns", "dhcpv6"]],
  ["slaac", ["rs", "ns"]],
  // Stateful DHCPv6 still needs our RAs (M flag, default route) and NAs for the gateway.
  ["dhcpv6", ["rs", "ns", "dhcpv6"]],
];
const MODES = ["auto", ...MODE_QUEUES.map(([mode]) => mode)];

/** Keys the original accepted or shipped that we ignore, with what to do instead. */
const OBSOLETE: Record<string, Record<string, string>> = {
  ipv6: { enable_dhcpv6: "no longer used, ignored; set mode (slaac, slaac+dhcpv6 or dhcpv6)" },
};

/** Reads one section: typed getters that record errors and remember which keys were read. */
class SectionReader {
  readonly #used = new Set<string>();

  constructor(
    readonly file: string,
    readonly name: string,
    readonly section: IniSection | undefined,
    readonly errors: string[],
    readonly warnings: string[],
  ) {}

  /** `file [section] key (line n)`, or without the line when the key is not in the file. */
  where(key: string): string {
    return iniLocation(this.file, this.name, key, this.section?.entries.get(key)?.line);
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
    this.errors.push(`${this.where(key)}: ${reason}`);
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

  /** Warns about every key of the section that no getter asked for. */
  warnUnknown(): void {
    for (const entry of this.section?.entries.values() ?? []) {
      if (this.#used.has(entry.key)) continue;
      const hint = OBSOLETE[this.name]?.[entry.key] ?? "unknown key, ignored";
      this.warnings.push(`${this.where(entry.key)}: ${hint}`);
    }
  }
}

/** True for `example.com`-like names: labels of 1-63 letters, digits, `-` or `_`; 253 at most. */
function isDomainName(name: string): boolean {
  const bare = name.endsWith(".") ? name.slice(0, -1) : name;
  if (bare === "" || bare.length > 253) return false;
  return bare.split(".").every((label) => /^[A-Za-z0-9_-]{1,63}$/.test(label));
}

/**
 * Parses and validates the text of nfdhcpd.conf. Missing keys and sections take the defaults
 * ({@link CONFIG_DEFAULTS}); unknown keys and sections are warnings; every error names the file,
 * section, key, line and reason.
 */
export function parseConfig(text: string, fileName: string): ConfigResult {
  const ini = parseIni(text, fileName);
  if (!ini.ok) return { ok: false, errors: [...ini.errors] };
  const { document } = ini;
  const errors: string[] = [];
  const warnings: string[] = [];
  const reader = (name: string) =>
    new SectionReader(fileName, name, document.sections.get(name), errors, warnings);

  const general = readGeneral(reader("general"));
  const dhcpReader = reader("dhcp");
  const dhcp = readDhcp(dhcpReader);
  const ipv6Reader = reader("ipv6");
  const ipv6 = readIpv6(ipv6Reader);
  checkQueueClashes(dhcp, dhcpReader, ipv6, ipv6Reader);

  for (const entry of document.root.entries.values()) {
    warnings.push(
      `${iniLocation(fileName, "", entry.key, entry.line)}: outside any section, ignored`,
    );
  }
  for (const section of document.sections.values()) {
    if (!["general", "dhcp", "ipv6"].includes(section.name)) {
      const where = iniLocation(fileName, section.name, undefined, section.line);
      warnings.push(`${where}: unknown section, ignored`);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: { general, dhcp, ipv6: ipv6.config }, warnings };
}

/** Reads and parses the file at `path`; a file that cannot be read is an error result. */
export async function loadConfig(path: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    return { ok: false, errors: [`${path}: cannot read: ${errorMessage(e)}`] };
  }
  return parseConfig(text, path);
}

function readGeneral(r: SectionReader): GeneralConfig {
  const general = {
    pidfile: r.path("pidfile", CONFIG_DEFAULTS.pidfile),
    datapath: r.path("datapath", CONFIG_DEFAULTS.datapath),
    logdir: r.path("logdir", CONFIG_DEFAULTS.logdir),
    user: r.optional("user"),
  };
  r.warnUnknown();
  return general;
}

function readDhcp(r: SectionReader): DhcpConfig {
  const dhcp = {
    enable: r.boolean("enable_dhcp", true),
    leaseLifetime: r.integer("lease_lifetime", 0, UINT32_MAX, CONFIG_DEFAULTS.leaseLifetime),
    leaseRenewal: r.integer("lease_renewal", 0, UINT32_MAX, CONFIG_DEFAULTS.leaseRenewal),
    serverIp: r.ipv4("server_ip"),
    serverOnLink: r.boolean("server_on_link", false),
    queue: r.integer("dhcp_queue", 0, QUEUE_MAX, CONFIG_DEFAULTS.dhcpQueue),
    nameservers: r.ipv4List("nameservers"),
    domain: r.domain("domain"),
  };
  r.warnUnknown();
  if (!dhcp.enable) return dhcp;
  if (dhcp.serverIp === null && !dhcp.serverOnLink && !r.given("server_ip")) {
    r.error("server_ip", "not set; DHCP replies need it unless server_on_link = yes");
  }
  if (dhcp.leaseRenewal > dhcp.leaseLifetime) {
    r.warnings.push(
      `${r.where("lease_renewal")}: ${dhcp.leaseRenewal} exceeds lease_lifetime ` +
        `${dhcp.leaseLifetime}; clients will renew only when the lease has run out`,
    );
  }
  return dhcp;
}

interface Ipv6Reading {
  readonly config: Ipv6Config;
  /** The key each queue in use was read from (dhcpv6 may come from the deprecated dhcp_queue). */
  readonly queueKeys: Readonly<Record<QueueName, string>>;
}

function readIpv6(r: SectionReader): Ipv6Reading {
  const enable = r.boolean("enable_ipv6", true);
  const modeText = r.scalar("mode") ?? "auto";
  if (!MODES.includes(modeText)) {
    r.error("mode", `not one of ${MODES.join(", ")}: ${JSON.stringify(modeText)}`);
  }
  const raPeriod = r.integer("ra_period", 1, UINT32_MAX, CONFIG_DEFAULTS.raPeriod);
  if (raPeriod > RA_PERIOD_ADVISED_MAX) {
    r.warnings.push(
      `${r.where("ra_period")}: ${raPeriod} s is above the ${RA_PERIOD_ADVISED_MAX} s ` +
        "RFC 4861 allows between router advertisements",
    );
  }
  const errorsBefore = r.errors.length;
  const { queues, queueKeys } = readQueues(r);
  const queuesBad = r.errors.length > errorsBefore;
  const nameservers = r.ipv6List("nameservers");
  const domains = r.domainList("domains");
  r.warnUnknown();

  const chosen = modeText === "auto"
    ? MODE_QUEUES.find(([, qs]) => qs.every((q) => queues[q] !== null))
    : MODE_QUEUES.find(([m]) => m === modeText);
  const none = { rsQueue: null, nsQueue: null, dhcpv6Queue: null };
  const base = { enable, raPeriod, nameservers, domains };
  // A bad mode or queue is reported already; checking the mode against the queues would only
  // add a consequence of it. With IPv6 off, mode and queues do not matter.
  if (!enable || !MODES.includes(modeText) || queuesBad) {
    return { config: { ...base, ...none, mode: chosen?.[0] ?? "slaac" }, queueKeys };
  }
  if (chosen === undefined) {
    const needs = MODE_QUEUES.map(([m, qs]) =>
      `${m} needs ${qs.map((q) => QUEUE_KEY[q]).join(", ")}`
    );
    r.error("mode", `auto finds no mode whose queues are all set (${needs.join("; ")})`);
    return { config: { ...base, ...none, mode: "slaac" }, queueKeys };
  }
  const [mode, needed] = chosen;
  const missing = needed.filter((q) => queues[q] === null);
  if (missing.length > 0) {
    const keys = missing.map((q) => QUEUE_KEY[q]);
    const verb = keys.length > 1 ? "are" : "is";
    r.error("mode", `mode ${mode} needs ${keys.join(" and ")}, which ${verb} not set`);
  }
  for (const q of ["rs", "ns", "dhcpv6"] as const) {
    if (!needed.includes(q) && queues[q] !== null && r.entry(queueKeys[q]) !== undefined) {
      r.warnings.push(
        `${r.where(queueKeys[q])}: not used in mode ${mode}; packets sent to queue ` +
          `${queues[q]} find no listener`,
      );
    }
  }
  const use = (q: QueueName) => (needed.includes(q) ? queues[q] : null);
  return {
    config: { ...base, mode, rsQueue: use("rs"), nsQueue: use("ns"), dhcpv6Queue: use("dhcpv6") },
    queueKeys,
  };
}

/**
 * The three IPv6 queues. When the section names none of them, all take their defaults; once it
 * names any, the others are not set (as in the original, which had no defaults), so that `auto`
 * picks the mode its author configured. An empty value (`rs_queue =`) also means "not set".
 */
function readQueues(r: SectionReader): {
  queues: Record<QueueName, number | null>;
  queueKeys: Record<QueueName, string>;
} {
  const legacy = r.integer("dhcp_queue", 0, QUEUE_MAX, null, true);
  const queues = {
    rs: r.integer("rs_queue", 0, QUEUE_MAX, null, true),
    ns: r.integer("ns_queue", 0, QUEUE_MAX, null, true),
    dhcpv6: r.integer("dhcpv6_queue", 0, QUEUE_MAX, null, true),
  };
  const queueKeys = { ...QUEUE_KEY };
  const legacyEntry = r.entry("dhcp_queue");
  if (legacyEntry !== undefined) {
    if (r.entry("dhcpv6_queue") !== undefined) {
      r.warnings.push(`${r.where("dhcp_queue")}: deprecated and ignored, dhcpv6_queue is set`);
    } else {
      r.warnings.push(`${r.where("dhcp_queue")}: deprecated, use dhcpv6_queue instead`);
      queues.dhcpv6 = legacy;
      queueKeys.dhcpv6 = "dhcp_queue";
    }
  }
  const named = ["rs_queue", "ns_queue", "dhcpv6_queue", "dhcp_queue"].some((k) =>
    r.entry(k) !== undefined
  );
  if (!named) {
    queues.rs = CONFIG_DEFAULTS.rsQueue;
    queues.ns = CONFIG_DEFAULTS.nsQueue;
    queues.dhcpv6 = CONFIG_DEFAULTS.dhcpv6Queue;
  }
  return { queues, queueKeys };
}

/** No two services in use may listen on the same NFQUEUE number. */
function checkQueueClashes(
  dhcp: DhcpConfig,
  dhcpReader: SectionReader,
  ipv6: Ipv6Reading,
  ipv6Reader: SectionReader,
): void {
  const inUse: Array<{ queue: number; reader: SectionReader; key: string }> = [];
  if (dhcp.enable) inUse.push({ queue: dhcp.queue, reader: dhcpReader, key: "dhcp_queue" });
  const { config, queueKeys } = ipv6;
  const v6: Array<[number | null, string]> = [
    [config.rsQueue, queueKeys.rs],
    [config.nsQueue, queueKeys.ns],
    [config.dhcpv6Queue, queueKeys.dhcpv6],
  ];
  for (const [queue, key] of v6) if (queue !== null) inUse.push({ queue, reader: ipv6Reader, key });
  inUse.forEach((later, i) => {
    const earlier = inUse.slice(0, i).find((e) => e.queue === later.queue);
    if (earlier === undefined) return;
    later.reader.error(
      later.key,
      `queue ${later.queue} is already used by [${earlier.reader.name}] ${earlier.key}`,
    );
  });
}
