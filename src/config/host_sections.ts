/** nfdhcpd.conf's `[host MAC]` sections: one VM's own option_<n> (DHCPv4) and option6_<n> (DHCPv6). */
import { formatMac, parseMac } from "../address.ts";
import type { CustomOption4 } from "../dhcp4_custom_options.ts";
import type { CustomOption6 } from "../dhcp6_custom_options.ts";
import { readOptionKeys } from "./dhcp4_extras.ts";
import { readOption6Keys } from "./dhcpv6_keys.ts";
import type { Findings } from "./findings.ts";
import type { IniDocument } from "./ini.ts";
import { SectionReader } from "./section_reader.ts";

/** How a host section's name starts: `[host 52:54:00:12:34:56]`. */
const HOST_SECTION = /^host\s+(\S+)$/;

/** The host sections read: their readers (so they are known sections) and options by MAC. */
export interface HostSections {
  readonly readers: readonly SectionReader[];
  /** Lowercase MAC text → that VM's DHCPv4 options. */
  readonly hosts: ReadonlyMap<string, readonly CustomOption4[]>;
  /** Lowercase MAC text → that VM's DHCPv6 options. */
  readonly hosts6: ReadonlyMap<string, readonly CustomOption6[]>;
}

/**
 * Reads every `[host MAC]` section: `option_<n>` and `option6_<n>` keys for the VM with that MAC,
 * over [dhcp]'s and [ipv6]'s and under its binding's OPTION_<n> and OPTION6_<n>. A name that is
 * no MAC, or a MAC given twice, is an error.
 */
export function readHostSections(document: IniDocument, findings: Findings): HostSections {
  const readers: SectionReader[] = [];
  const hosts = new Map<string, readonly CustomOption4[]>();
  const hosts6 = new Map<string, readonly CustomOption6[]>();
  const seen = new Map<string, string>();
  for (const section of document.sections.values()) {
    const match = HOST_SECTION.exec(section.name);
    if (match === null) continue;
    const r = new SectionReader(section.name, section, findings);
    readers.push(r);
    const options = readOptionKeys(r);
    const options6 = readOption6Keys(r);
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
    if (options6.length > 0) hosts6.set(mac, options6);
  }
  return { readers, hosts, hosts6 };
}
