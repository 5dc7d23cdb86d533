/**
 * nfdhcpd.conf's DHCPv4 keys of network boot, custom options and leases without SUBNET, and the
 * `[host MAC]` sections that give one VM its own options.
 */
import { formatMac, parseIpv4, parseMac } from "../address.ts";
import {
  bootFileProblem,
  type CustomOption4,
  parseOptionKey,
  parseOptionValue,
} from "../dhcp4_custom_options.ts";
import type { Findings } from "./findings.ts";
import type { IniDocument } from "./ini.ts";
import { SectionReader } from "./section_reader.ts";
import type { DhcpConfig } from "./types.ts";

/** The key prefix of the options an operator gives in nfdhcpd.conf. */
const OPTION_PREFIX = "option_";
/** How a host section's name starts: `[host 52:54:00:12:34:56]`. */
const HOST_SECTION = /^host\s+(\S+)$/;

type Extras = Pick<
  DhcpConfig,
  "nextServer" | "bootFile" | "leaseWithoutSubnet" | "options"
>;

/** [dhcp] next_server, boot_file, lease_without_subnet and option_<n>, each only when given. */
export function readDhcp4Extras(r: SectionReader): Extras {
  const out: { -readonly [K in keyof Extras]: Extras[K] } = {};
  const next = r.optional("next_server");
  if (next !== null) {
    const address = parseIpv4(next);
    if (address === null) r.error("next_server", `not an IPv4 address: ${JSON.stringify(next)}`);
    else out.nextServer = address;
  }
  const boot = r.optional("boot_file");
  if (boot !== null) {
    const problem = bootFileProblem(boot);
    if (problem !== null) r.error("boot_file", problem);
    else out.bootFile = boot;
  }
  if (r.boolean("lease_without_subnet", false)) out.leaseWithoutSubnet = true;
  const options = readOptionKeys(r);
  if (options.length > 0) out.options = options;
  return out;
}

/** Every `option_<n>` and `option_<n>!` key of the section, by code; bad ones are errors. */
function readOptionKeys(r: SectionReader): CustomOption4[] {
  const byCode = new Map<number, { option: CustomOption4; key: string }>();
  for (const { key } of r.section?.entries.values() ?? []) {
    const parsed = parseOptionKey(key, OPTION_PREFIX);
    if (parsed === null) continue;
    const text = r.scalar(key);
    if (text === undefined || text === "") continue;
    if (!parsed.ok) {
      r.error(key, parsed.reason);
      continue;
    }
    const value = parseOptionValue(text);
    if (typeof value === "string") {
      r.error(key, value);
      continue;
    }
    const earlier = byCode.get(parsed.code);
    if (earlier !== undefined) {
      r.error(key, `option ${parsed.code} is already set by ${earlier.key}`);
      continue;
    }
    byCode.set(parsed.code, { option: { code: parsed.code, value, always: parsed.always }, key });
  }
  return [...byCode.values()].map((e) => e.option).sort((a, b) => a.code - b.code);
}

/** The host sections read: their readers (so they are known sections) and options by MAC. */
export interface HostSections {
  readonly readers: readonly SectionReader[];
  /** Lowercase MAC text → that VM's options. */
  readonly hosts: ReadonlyMap<string, readonly CustomOption4[]>;
}

/**
 * Reads every `[host MAC]` section: `option_<n>` keys for the VM with that MAC, over [dhcp]'s
 * and under its binding's OPTION_<n>. A name that is no MAC, or a MAC given twice, is an error.
 */
export function readHostSections(document: IniDocument, findings: Findings): HostSections {
  const readers: SectionReader[] = [];
  const hosts = new Map<string, readonly CustomOption4[]>();
  const seen = new Map<string, string>();
  for (const section of document.sections.values()) {
    const match = HOST_SECTION.exec(section.name);
    if (match === null) continue;
    const r = new SectionReader(section.name, section, findings);
    readers.push(r);
    const options = readOptionKeys(r);
    const bytes = parseMac(match[1]!);
    const problem = (reason: string) =>
      findings.add("error", { section: section.name, line: section.line, reason });
    if (bytes === null) {
      problem(`not a MAC address: ${JSON.stringify(match[1])} ([host 52:54:00:12:34:56])`);
      continue;
    }
    const mac = formatMac(bytes);
    const earlier = seen.get(mac);
    if (earlier !== undefined) {
      problem(`MAC ${mac} already has a section: [${earlier}]`);
      continue;
    }
    seen.set(mac, section.name);
    if (options.length > 0) hosts.set(mac, options);
  }
  return { readers, hosts };
}
