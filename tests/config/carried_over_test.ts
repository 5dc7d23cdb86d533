/**
 * Configurations carried over from the original's forks: unistra's `datadir` is read as datapath,
 * davedoesdev's keys and sections are warnings, strict or not, so they never stop a start.
 */
import assert from "node:assert/strict";
import { type ConfigResult, parseConfig } from "../../src/config/config.ts";

const FILE = "/etc/nfdhcpd/nfdhcpd.conf";
const DHCP = "[dhcp]\nserver_ip = 192.0.2.1\n";

function accepted(text: string, strict: boolean): Extract<ConfigResult, { ok: true }> {
  const result = parseConfig(text, FILE, { strict });
  if (!result.ok) assert.fail(`unexpected errors:\n${result.errors.join("\n")}`);
  return result;
}

for (const strict of [false, true]) {
  const mode = strict ? "strict (nfdhcpd check)" : "as the daemon reads it";
  Deno.test(`datadir alone is read as datapath with a warning, ${mode}`, () => {
    const { config, warnings } = accepted(`[general]\ndatadir = /srv/one\n${DHCP}`, strict);
    assert.equal(config.general.datapath, "/srv/one");
    assert.deepEqual(warnings, [
      `${FILE} [general] datadir (line 2): the OpenNebula fork's name for datapath; read as datapath (rename it)`,
    ]);
  });

  Deno.test(`datadir beside datapath is ignored with a warning, ${mode}`, () => {
    const text = `[general]\ndatadir = /srv/one\ndatapath = /srv/two\n${DHCP}`;
    const { config, warnings } = accepted(text, strict);
    assert.equal(config.general.datapath, "/srv/two");
    assert.deepEqual(warnings, [
      `${FILE} [general] datadir (line 2): the OpenNebula fork's name for datapath; ignored, datapath is set`,
    ]);
  });

  Deno.test(`davedoesdev's keys and sections are warnings, ${mode}`, () => {
    const text = `${DHCP}dhcp6_queue = 43\ndhcp6_hostname_optcode = 12\n` +
      "[dns]\nenable_dns = yes\ndns_queue = 46\n[notify]\nnotify_period = 60\n[txts]\n";
    const result = accepted(text, strict);
    assert.deepEqual(result.problems.map((p) => [p.severity, p.section, p.key ?? "", p.line]), [
      ["warning", "dhcp", "dhcp6_queue", 3],
      ["warning", "dhcp", "dhcp6_hostname_optcode", 4],
      ["warning", "dns", "", 5],
      ["warning", "notify", "", 8],
      ["warning", "txts", "", 10],
    ]);
    assert.match(
      result.warnings[0]!,
      /dhcp6_queue \(line 3\): a fork's key .*\[ipv6\] dhcpv6_queue/,
    );
  });
}

Deno.test("an empty datadir is an error, as an empty datapath is", () => {
  const result = parseConfig(`[general]\ndatadir =\n${DHCP}`, FILE);
  assert.equal(result.ok, false);
  assert.deepEqual(result.ok ? [] : result.errors, [
    `${FILE} [general] datadir (line 2): empty path`,
  ]);
});

Deno.test("a key no version of nfdhcpd had stays an error under strict", () => {
  const result = parseConfig(`${DHCP}dns_queue = 46\n`, FILE, { strict: true });
  assert.equal(result.ok, false);
});
