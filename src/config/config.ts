/** Reads nfdhcpd.conf: schema, defaults, validation and messages that name file, section and key. */
import { parseIpv6 } from "../address.ts";
import { errorMessage } from "../error_message.ts";
import { INFORMATION_REFRESH_DEFAULT, readDhcpv6Keys } from "./dhcpv6_keys.ts";
import { readDhcp4Extras } from "./dhcp4_extras.ts";
import { type ConfigProblem, Findings } from "./findings.ts";
import { readHostSections } from "./host_sections.ts";
import { parseIni } from "./ini.ts";
import { SectionReader } from "./section_reader.ts";
import type { Config, DhcpConfig, GeneralConfig, Ipv6Config, Ipv6Mode } from "./types.ts";
import { readDatapath } from "./aliases.ts";
import { reportUnknownNames } from "./unknown_names.ts";

/** Where the daemon looks for its configuration unless told otherwise. */
export const DEFAULT_CONFIG_PATH = "/etc/nfdhcpd/nfdhcpd.conf";

/**
 * The configuration, with warnings (unknown or deprecated keys...), or every error found; as the
 * daemon logs them, and as {@link ConfigProblem}s (errors and warnings, in the order found)
 * for `nfdhcpd check`.
 */
export type ConfigResult =
  | {
    readonly ok: true;
    readonly config: Config;
    readonly warnings: string[];
    readonly problems: readonly ConfigProblem[];
  }
  | { readonly ok: false; readonly errors: string[]; readonly problems: readonly ConfigProblem[] };

/** How strictly to read: `strict` makes unknown keys and sections errors (`nfdhcpd check`). */
export interface ConfigOptions {
  readonly strict?: boolean;
}

/** The values used for keys (or whole sections) the file leaves out. */
export const CONFIG_DEFAULTS = {
  pidfile: "/var/run/nfdhcpd/nfdhcpd.pid",
  datapath: "/var/lib/nfdhcpd",
  logdir: "/var/log/nfdhcpd",
  controlSocket: "/run/nfdhcpd/control.sock",
  metricsInterval: 15,
  leaseLifetime: 604800,
  leaseRenewal: 600,
  dhcpQueue: 42,
  // The original's configuration spec says 600 (its sample file sets 300, and a constant of 300
  // in its code is never used: the spec's default always wins).
  raPeriod: 600,
  rsQueue: 43,
  nsQueue: 44,
  dhcpv6Queue: 45,
  informationRefreshTime: INFORMATION_REFRESH_DEFAULT,
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

/**
 * Parses and validates the text of nfdhcpd.conf. Missing keys and sections take the defaults
 * ({@link CONFIG_DEFAULTS}); unknown keys and sections are warnings (errors when `strict`), with
 * the known name that was probably meant; every error names the file, section, key, line and
 * reason.
 */
export function parseConfig(
  text: string,
  fileName: string,
  options: ConfigOptions = {},
): ConfigResult {
  const ini = parseIni(text, fileName);
  if (!ini.ok) {
    const problems = ini.problems.map((p) => ({ severity: "error" as const, ...p }));
    return { ok: false, errors: [...ini.errors], problems };
  }
  const { document } = ini;
  const findings = new Findings();
  const reader = (name: string) => new SectionReader(name, document.sections.get(name), findings);

  const generalReader = reader("general");
  const general = readGeneral(generalReader);
  const dhcpReader = reader("dhcp");
  const dhcp = readDhcp(dhcpReader);
  const ipv6Reader = reader("ipv6");
  const ipv6 = readIpv6(ipv6Reader);
  checkQueueClashes(dhcp, dhcpReader, ipv6, ipv6Reader);
  const hostSections = readHostSections(document, findings);
  reportUnknownNames(
    document,
    [generalReader, dhcpReader, ipv6Reader, ...hostSections.readers],
    findings,
    options.strict ?? false,
  );

  const { problems } = findings;
  if (findings.errorCount > 0) {
    return { ok: false, errors: findings.messages(fileName, "error"), problems };
  }
  const warnings = findings.messages(fileName, "warning");
  const { hosts, hosts6 } = hostSections;
  const dhcpWithHosts = hosts.size === 0 ? dhcp : { ...dhcp, hosts };
  const ipv6WithHosts = hosts6.size === 0 ? ipv6.config : { ...ipv6.config, hosts: hosts6 };
  return {
    ok: true,
    config: { general, dhcp: dhcpWithHosts, ipv6: ipv6WithHosts },
    warnings,
    problems,
  };
}

/** Reads and parses the file at `path`; a file that cannot be read is an error result. */
export async function loadConfig(path: string, options: ConfigOptions = {}): Promise<ConfigResult> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const reason = `cannot read: ${errorMessage(e)}`;
    return {
      ok: false,
      errors: [`${path}: ${reason}`],
      problems: [{ severity: "error", section: "", line: 0, reason }],
    };
  }
  return parseConfig(text, path, options);
}

function readGeneral(r: SectionReader): GeneralConfig {
  const general = {
    pidfile: r.path("pidfile", CONFIG_DEFAULTS.pidfile),
    datapath: readDatapath(r, CONFIG_DEFAULTS.datapath),
    logdir: r.path("logdir", CONFIG_DEFAULTS.logdir),
    user: r.optional("user"),
    controlSocket: readControlSocket(r),
    metricsFile: r.optional("metrics_file"),
    metricsInterval: r.integer("metrics_interval", 1, 86400, CONFIG_DEFAULTS.metricsInterval),
  };
  return general;
}

/** The longest path a unix socket address holds (sun_path, without its NUL). */
const SOCKET_PATH_MAX = 107;

/** `control_socket`: absent gives the default, empty gives none; an absolute path that fits. */
function readControlSocket(r: SectionReader): string | null {
  const value = r.scalar("control_socket");
  if (value === undefined) return CONFIG_DEFAULTS.controlSocket;
  if (value === "") return null;
  if (!value.startsWith("/")) r.error("control_socket", `not an absolute path: ${value}`);
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > SOCKET_PATH_MAX) {
    r.error(
      "control_socket",
      `${bytes} bytes long; a unix socket path holds at most ${SOCKET_PATH_MAX}`,
    );
  }
  return value;
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
    ...readDhcpOptions(r),
    ...readDhcp4Extras(r),
  };
  if (!dhcp.enable) return dhcp;
  if (dhcp.serverIp === null && !dhcp.serverOnLink && !r.given("server_ip")) {
    r.error("server_ip", "not set; DHCP replies need it unless server_on_link = yes");
  }
  if (dhcp.leaseRenewal > dhcp.leaseLifetime) {
    r.warn(
      "lease_renewal",
      `${dhcp.leaseRenewal} exceeds lease_lifetime ${dhcp.leaseLifetime}; ` +
        "clients will renew only when the lease has run out",
    );
  }
  return dhcp;
}

/** RFC 8925 section 3.4: a V6ONLY_WAIT below MIN_V6ONLY_WAIT is raised to it by clients. */
const MIN_V6ONLY_WAIT = 300;

/** The optional option keys of [dhcp], each in the result only when the file gives it. */
function readDhcpOptions(r: SectionReader): Partial<DhcpConfig> {
  const options: {
    -readonly [K in "routes" | "domainSearch" | "ntpServers" | "ipv6OnlyPreferred"]?: DhcpConfig[K];
  } = {};
  if (r.given("routes")) options.routes = r.routes("routes");
  if (r.given("domain_search")) options.domainSearch = r.domainList("domain_search");
  if (r.given("ntp_servers")) options.ntpServers = r.ipv4List("ntp_servers");
  if (r.given("ipv6_only_preferred")) {
    const wait = r.integer("ipv6_only_preferred", MIN_V6ONLY_WAIT, UINT32_MAX, MIN_V6ONLY_WAIT);
    options.ipv6OnlyPreferred = wait;
  }
  return options;
}

/** The prefix lengths PREF64 can carry (RFC 8781 section 4, the Prefix Length Codes). */
const NAT64_PREFIX_LENGTHS = [32, 40, 48, 56, 64, 96];

/** The optional keys of [ipv6], each in the result only when the file gives it. */
function readIpv6Options(r: SectionReader): Partial<Ipv6Config> {
  const options: {
    -readonly [K in "nat64Prefix" | "dhcpv6LeaseLifetime" | "dhcpv6LeaseRenewal"]?: Ipv6Config[K];
  } = {};
  const nat64 = r.optional("nat64_prefix");
  if (nat64 !== null) {
    const [address = "", length, ...rest] = nat64.split("/");
    const prefix = parseIpv6(address);
    const prefixLength = Number(length);
    if (prefix === null || rest.length > 0 || !NAT64_PREFIX_LENGTHS.includes(prefixLength)) {
      r.error(
        "nat64_prefix",
        `not an IPv6 prefix of length ${NAT64_PREFIX_LENGTHS.join(", ")}: ${JSON.stringify(nat64)}`,
      );
    } else if (hasHostBits(prefix, prefixLength)) {
      r.error("nat64_prefix", `has bits set past /${prefixLength}: ${JSON.stringify(nat64)}`);
    } else options.nat64Prefix = { prefix, prefixLength };
  }
  if (r.given("dhcpv6_lease_lifetime")) {
    options.dhcpv6LeaseLifetime = r.integer("dhcpv6_lease_lifetime", 0, UINT32_MAX, 0);
  }
  if (r.given("dhcpv6_lease_renewal")) {
    options.dhcpv6LeaseRenewal = r.integer("dhcpv6_lease_renewal", 0, UINT32_MAX, 0);
  }
  return options;
}

function hasHostBits(prefix: Uint8Array, prefixLength: number): boolean {
  for (let bit = prefixLength; bit < 128; bit++) {
    if (prefix[bit >> 3]! & (0x80 >> (bit & 7))) return true;
  }
  return false;
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
    r.warn(
      "ra_period",
      `${raPeriod} s is above the ${RA_PERIOD_ADVISED_MAX} s ` +
        "RFC 4861 allows between router advertisements",
    );
  }
  const errorsBefore = r.findings.errorCount;
  const { queues, queueKeys } = readQueues(r);
  const queuesBad = r.findings.errorCount > errorsBefore;
  const nameservers = r.ipv6List("nameservers");
  const domains = r.domainList("domains");

  const chosen = modeText === "auto"
    ? MODE_QUEUES.find(([, qs]) => qs.every((q) => queues[q] !== null))
    : MODE_QUEUES.find(([m]) => m === modeText);
  const none = { rsQueue: null, nsQueue: null, dhcpv6Queue: null };
  const base = {
    enable,
    raPeriod,
    nameservers,
    domains,
    ...readIpv6Options(r),
    ...readDhcpv6Keys(r),
  };
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
      r.warn(
        queueKeys[q],
        `not used in mode ${mode}; packets sent to queue ${queues[q]} find no listener`,
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
      r.warn("dhcp_queue", "deprecated and ignored, dhcpv6_queue is set");
    } else {
      r.warn("dhcp_queue", "deprecated, use dhcpv6_queue instead");
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
