/**
 * Keys and sections of nfdhcpd.conf that nothing reads: warnings for the daemon (the original
 * ignored them), errors for `nfdhcpd check`; both say which known name was probably meant. Names
 * the original or its forks gave a meaning stay warnings everywhere: a configuration carried over
 * must not keep the daemon (and the unit's check before it) from starting.
 */
import type { Findings } from "./findings.ts";
import type { IniDocument } from "./ini.ts";
import { nearMiss } from "./near_miss.ts";
import type { SectionReader } from "./section_reader.ts";

/** Keys the original or its forks accepted that we ignore, with what to do instead. */
const OBSOLETE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  dhcp: {
    // davedoesdev/nfdhcpd's DHCPv6 server.
    dhcp6_queue: "a fork's key (davedoesdev), ignored; DHCPv6 is [ipv6] dhcpv6_queue here",
    dhcp6_hostname_optcode: "a fork's key (davedoesdev), ignored",
    dhcp6_domainname_optcode: "a fork's key (davedoesdev), ignored",
  },
  ipv6: { enable_dhcpv6: "no longer used, ignored; set mode (slaac, slaac+dhcpv6 or dhcpv6)" },
};

/** Sections of davedoesdev/nfdhcpd (its DNS responder and notifications), which we do not have. */
const FORK_SECTIONS: ReadonlySet<string> = new Set([
  "dns",
  "notify",
  "addresses",
  "addresses6",
  "txts",
]);

/**
 * Reports every key no reader asked for, every key outside a section and every unknown section.
 * `strict` makes them errors (obsolete keys and the forks' names stay warnings: their meaning is
 * known).
 */
export function reportUnknownNames(
  document: IniDocument,
  readers: readonly SectionReader[],
  findings: Findings,
  strict: boolean,
): void {
  const severity = strict ? "error" : "warning";
  const ignored = strict ? "" : ", ignored";
  /** The section that knows `key`, if another one does. */
  const home = (key: string, except?: string) =>
    readers.find((r) => r.name !== except && r.known.has(key))?.name;

  for (const reader of readers) {
    for (const { key, line } of reader.unused()) {
      const obsolete = OBSOLETE[reader.name]?.[key];
      if (obsolete !== undefined) {
        findings.add("warning", { section: reader.name, key, line, reason: obsolete });
        continue;
      }
      const meant = nearMiss(key, reader.known);
      const elsewhere = home(key, reader.name);
      const hint = meant !== undefined
        ? `; did you mean ${meant}?`
        : elsewhere !== undefined
        ? `; ${key} belongs in [${elsewhere}]`
        : "";
      findings.add(severity, {
        section: reader.name,
        key,
        line,
        reason: `unknown key${ignored}${hint}`,
      });
    }
  }
  for (const { key, line } of document.root.entries.values()) {
    const elsewhere = home(key);
    const hint = elsewhere === undefined ? "" : `; ${key} belongs in [${elsewhere}]`;
    findings.add(severity, {
      section: "",
      key,
      line,
      reason: `outside any section${ignored}${hint}`,
    });
  }
  const names = readers.map((r) => r.name);
  for (const section of document.sections.values()) {
    if (names.includes(section.name)) continue;
    if (FORK_SECTIONS.has(section.name)) {
      findings.add("warning", {
        section: section.name,
        line: section.line,
        reason: "a fork's section (davedoesdev: DNS, notifications), not implemented, ignored",
      });
      continue;
    }
    const meant = nearMiss(section.name, names);
    const hint = meant === undefined ? "" : `; did you mean [${meant}]?`;
    findings.add(severity, {
      section: section.name,
      line: section.line,
      reason: `unknown section${ignored}${hint}`,
    });
  }
}
