/**
 * reportUnknownNames(): unknown keys and sections, keys outside any section, with the name
 * probably meant or the section a key belongs in; warnings for the daemon, errors when strict;
 * the original's and its forks' names always warnings.
 */
import assert from "node:assert/strict";
import { Findings } from "../../src/config/findings.ts";
import { parseIni } from "../../src/config/ini.ts";
import { SectionReader } from "../../src/config/section_reader.ts";
import { reportUnknownNames } from "../../src/config/unknown_names.ts";

/**
 * Reads `text` with readers that know `known` (section: keys), then reports the rest; the
 * findings as `severity line [section] key: reason`.
 */
function report(text: string, known: Record<string, string[]>, strict: boolean): string[] {
  const ini = parseIni(text, "c");
  if (!ini.ok) throw new Error(ini.errors.join("; "));
  const findings = new Findings();
  const readers = Object.entries(known).map(([name, keys]) => {
    const r = new SectionReader(name, ini.document.sections.get(name), findings);
    for (const key of keys) r.entry(key);
    return r;
  });
  reportUnknownNames(ini.document, readers, findings, strict);
  return findings.problems.map((p) =>
    `${p.severity} ${p.line} [${p.section}] ${p.key ?? "-"}: ${p.reason}`
  );
}

const KNOWN = {
  general: ["datapath", "pidfile"],
  dhcp: ["server_ip", "dhcp_queue"],
  ipv6: ["rs_queue", "mode"],
};

Deno.test("an unknown key near a known one of its section: did you mean; a warning, ignored", () => {
  assert.deepEqual(report("[dhcp]\nserver_ipp = 1\n", KNOWN, false), [
    "warning 2 [dhcp] server_ipp: unknown key, ignored; did you mean server_ip?",
  ]);
});

Deno.test("strict makes unknown names errors, and no longer says they are ignored", () => {
  assert.deepEqual(report("[dhcp]\nserver_ipp = 1\n[dhpc]\n", KNOWN, true), [
    "error 2 [dhcp] server_ipp: unknown key; did you mean server_ip?",
    "error 3 [dhpc] -: unknown section; did you mean [dhcp]?",
  ]);
});

Deno.test("a key of another section says where it belongs; a stranger gets no hint", () => {
  assert.deepEqual(report("[dhcp]\nrs_queue = 43\nzzz = 1\n", KNOWN, true), [
    "error 2 [dhcp] rs_queue: unknown key; rs_queue belongs in [ipv6]",
    "error 3 [dhcp] zzz: unknown key",
  ]);
});

Deno.test("keys before any section are reported, with the section that knows them", () => {
  assert.deepEqual(report("datapath = /x\nfoo = 1\n[general]\n", KNOWN, false), [
    "warning 1 [] datapath: outside any section, ignored; datapath belongs in [general]",
    "warning 2 [] foo: outside any section, ignored",
  ]);
});

Deno.test("an unknown section far from every known one has no hint", () => {
  assert.deepEqual(report("[general]\n[wholly_other]\nx = 1\n", KNOWN, false), [
    "warning 2 [wholly_other] -: unknown section, ignored",
  ]);
});

Deno.test("the original's and the forks' keys and sections stay warnings, even when strict", () => {
  const text = "[dhcp]\ndhcp6_queue = 46\ndhcp6_hostname_optcode = 1\n" +
    "[ipv6]\nenable_dhcpv6 = yes\n[dns]\nport = 53\n[notify]\n";
  assert.deepEqual(report(text, KNOWN, true), [
    "warning 2 [dhcp] dhcp6_queue: a fork's key (davedoesdev), ignored; " +
    "DHCPv6 is [ipv6] dhcpv6_queue here",
    "warning 3 [dhcp] dhcp6_hostname_optcode: a fork's key (davedoesdev), ignored",
    "warning 5 [ipv6] enable_dhcpv6: no longer used, ignored; set mode (slaac, slaac+dhcpv6 or dhcpv6)",
    "warning 6 [dns] -: a fork's section (davedoesdev: DNS, notifications), not implemented, ignored",
    "warning 8 [notify] -: a fork's section (davedoesdev: DNS, notifications), not implemented, ignored",
  ]);
});

Deno.test("an obsolete key of one section is unknown in another", () => {
  assert.deepEqual(report("[general]\nenable_dhcpv6 = yes\n", KNOWN, true), [
    "error 2 [general] enable_dhcpv6: unknown key",
  ]);
});

Deno.test("every known key and section read: nothing to report", () => {
  assert.deepEqual(
    report("[general]\ndatapath = /x\n[dhcp]\nserver_ip = 1\n[ipv6]\nmode = slaac\n", KNOWN, true),
    [],
  );
});
