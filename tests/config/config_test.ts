/** Tests for nfdhcpd.conf reading: defaults, every key, mode resolution, every error and warning. */
import assert from "node:assert/strict";
import {
  CONFIG_DEFAULTS,
  type ConfigResult,
  loadConfig,
  parseConfig,
} from "../../src/config/config.ts";
import type { Config } from "../../src/config/types.ts";
import { parseIpv4, parseIpv6 } from "../../src/address.ts";

const FILE = "/etc/nfdhcpd/nfdhcpd.conf";
/** The smallest valid file: DHCP needs a server address. */
const MINIMAL = "[dhcp]\nserver_ip = 192.0.2.1\n";

function ok(text: string): { config: Config; warnings: string[] } {
  const result = parseConfig(text, FILE);
  if (!result.ok) assert.fail(`unexpected errors:\n${result.errors.join("\n")}`);
  return result;
}

function errors(text: string): string[] {
  const result: ConfigResult = parseConfig(text, FILE);
  if (result.ok) assert.fail("expected errors");
  return result.errors;
}

const v4 = (text: string) => parseIpv4(text)!;
const v6 = (text: string) => parseIpv6(text)!;

Deno.test("parseConfig() gives the original's defaults for missing keys and sections", () => {
  const { config, warnings } = ok(MINIMAL);
  assert.deepEqual(warnings, []);
  assert.deepEqual(config, {
    general: {
      pidfile: "/var/run/nfdhcpd/nfdhcpd.pid",
      datapath: "/var/lib/nfdhcpd",
      logdir: "/var/log/nfdhcpd",
      user: null,
      controlSocket: "/run/nfdhcpd/control.sock",
      metricsFile: null,
      metricsInterval: 15,
    },
    dhcp: {
      enable: true,
      leaseLifetime: 604800,
      leaseRenewal: 600,
      serverIp: v4("192.0.2.1"),
      serverOnLink: false,
      queue: 42,
      nameservers: [],
      domain: null,
    },
    ipv6: {
      enable: true,
      mode: "slaac+dhcpv6",
      raPeriod: 600,
      rsQueue: 43,
      nsQueue: 44,
      dhcpv6Queue: 45,
      nameservers: [],
      domains: [],
    },
  });
  assert.equal(CONFIG_DEFAULTS.raPeriod, 600);
});

Deno.test("parseConfig() reads every key", () => {
  const { config, warnings } = ok(`
[general]
pidfile = /run/nfdhcpd.pid
datapath = /srv/bindings # comment
logdir = "/var/log/my dir"
user = nfdhcpd
[dhcp]
enable_dhcp = on
lease_lifetime = 3600
lease_renewal = 1800
server_ip = 10.0.0.1
server_on_link = TRUE
dhcp_queue = 100
nameservers = 10.0.0.2, 10.0.0.3
domain = vms.example.org
[ipv6]
enable_ipv6 = 1
mode = slaac
ra_period = 60
rs_queue = 101
ns_queue = 102
nameservers = 2001:db8::53,
domains = a.example, b.example
`);
  assert.deepEqual(warnings, []);
  assert.deepEqual(config, {
    general: {
      pidfile: "/run/nfdhcpd.pid",
      datapath: "/srv/bindings",
      logdir: "/var/log/my dir",
      user: "nfdhcpd",
      controlSocket: "/run/nfdhcpd/control.sock",
      metricsFile: null,
      metricsInterval: 15,
    },
    dhcp: {
      enable: true,
      leaseLifetime: 3600,
      leaseRenewal: 1800,
      serverIp: v4("10.0.0.1"),
      serverOnLink: true,
      queue: 100,
      nameservers: [v4("10.0.0.2"), v4("10.0.0.3")],
      domain: "vms.example.org",
    },
    ipv6: {
      enable: true,
      mode: "slaac",
      raPeriod: 60,
      rsQueue: 101,
      nsQueue: 102,
      dhcpv6Queue: null,
      nameservers: [v6("2001:db8::53")],
      domains: ["a.example", "b.example"],
    },
  });
});

Deno.test("parseConfig() reads every boolean spelling, in any case", () => {
  for (const [text, expected] of [["yes", true], ["No", false], ["true", true], ["FALSE", false]]) {
    assert.equal(ok(`${MINIMAL}server_on_link = ${text}`).config.dhcp.serverOnLink, expected);
  }
  for (const [text, expected] of [["on", true], ["off", false], ["1", true], ["0", false]]) {
    assert.equal(ok(`${MINIMAL}server_on_link = ${text}`).config.dhcp.serverOnLink, expected);
  }
});

Deno.test("parseConfig() takes a single nameserver as a list of one, and an empty value as none", () => {
  const { config } = ok(`${MINIMAL}nameservers = 192.0.2.53\n[ipv6]\nnameservers =\n`);
  assert.deepEqual(config.dhcp.nameservers, [v4("192.0.2.53")]);
  assert.deepEqual(config.ipv6.nameservers, []);
});

Deno.test("parseConfig() needs no server_ip with server_on_link, nor with DHCP off", () => {
  assert.equal(ok("[dhcp]\nserver_on_link = yes\n").config.dhcp.serverIp, null);
  assert.equal(ok("[dhcp]\nenable_dhcp = no\n").config.dhcp.enable, false);
  assert.deepEqual(errors(""), [
    `${FILE} [dhcp] server_ip: not set; DHCP replies need it unless server_on_link = yes`,
  ]);
});

Deno.test("parseConfig() names file, section, key, line and reason in every error", () => {
  const cases: Array<[string, string]> = [
    [
      "[dhcp]\nlease_lifetime = abc",
      `[dhcp] lease_lifetime (line 2): not a non-negative integer: "abc"`,
    ],
    [
      "[dhcp]\nlease_renewal = -5",
      `[dhcp] lease_renewal (line 2): not a non-negative integer: "-5"`,
    ],
    [
      "[dhcp]\nlease_lifetime = 4294967296",
      `[dhcp] lease_lifetime (line 2): out of range (0 to 4294967295): 4294967296`,
    ],
    ["[dhcp]\ndhcp_queue = 65536", `[dhcp] dhcp_queue (line 2): out of range (0 to 65535): 65536`],
    [
      "[dhcp]\nenable_dhcp = maybe",
      `[dhcp] enable_dhcp (line 2): not a boolean (yes/no, true/false, on/off, 1/0): "maybe"`,
    ],
    [
      "[dhcp]\nserver_ip = 2001:db8::1",
      `[dhcp] server_ip (line 2): not an IPv4 address: "2001:db8::1"`,
    ],
    [
      "[dhcp]\nserver_ip = 1.2.3.4, 5.6.7.8",
      `[dhcp] server_ip (line 2): expected one value, not a list: ["1.2.3.4","5.6.7.8"]`,
    ],
    [
      "[dhcp]\nnameservers = 192.0.2.1, 300.1.1.1",
      `[dhcp] nameservers (line 2): not an IPv4 address: "300.1.1.1"`,
    ],
    ["[dhcp]\ndomain = bad..name", `[dhcp] domain (line 2): not a domain name: "bad..name"`],
    ["[general]\npidfile =", `[general] pidfile (line 2): empty path`],
    [
      "[ipv6]\nmode = stateful",
      `[ipv6] mode (line 2): not one of auto, slaac+dhcpv6, slaac, dhcpv6: "stateful"`,
    ],
    ["[ipv6]\nra_period = 0", `[ipv6] ra_period (line 2): out of range (1 to 4294967295): 0`],
    ["[ipv6]\nrs_queue = x", `[ipv6] rs_queue (line 2): not a non-negative integer: "x"`],
    [
      "[ipv6]\nnameservers = 192.0.2.1",
      `[ipv6] nameservers (line 2): not an IPv6 address: "192.0.2.1"`,
    ],
    ["[ipv6]\ndomains = ok.example, -/-", `[ipv6] domains (line 2): not a domain name: "-/-"`],
  ];
  for (const [text, message] of cases) {
    // Satisfy server_ip's requirement without disturbing the line numbers of the case.
    const dhcp = text.startsWith("[dhcp]") ? "" : "[dhcp]\n";
    assert.deepEqual(
      errors(`${text}\n${dhcp}server_on_link = yes\n`),
      [`${FILE} ${message}`],
      text,
    );
  }
});

Deno.test("parseConfig() passes on the INI parser's errors", () => {
  assert.deepEqual(errors("[dhcp]\nserver_ip = 1.2.3.4\nserver_ip = 1.2.3.5\n"), [
    `${FILE} [dhcp] server_ip (line 3): duplicate key, first set on line 2`,
  ]);
});

Deno.test("parseConfig() reports every error at once", () => {
  const found = errors("[dhcp]\nlease_lifetime = x\ndhcp_queue = y\n[ipv6]\nra_period = z\n");
  assert.equal(found.length, 4); // three bad values and the missing server_ip
});

Deno.test("parseConfig() warns about unknown keys and sections and keys outside sections", () => {
  const { warnings } = ok(`top = 1\n${MINIMAL}colour = blue\n[extra]\nx = 1\n`);
  assert.deepEqual(warnings, [
    `${FILE} [dhcp] colour (line 4): unknown key, ignored`,
    `${FILE} top (line 1): outside any section, ignored`,
    `${FILE} [extra] line 5: unknown section, ignored`,
  ]);
});

Deno.test("parseConfig() says what replaces the original's enable_dhcpv6", () => {
  const { warnings } = ok(`${MINIMAL}[ipv6]\nenable_dhcpv6 = yes\n`);
  assert.deepEqual(warnings, [
    `${FILE} [ipv6] enable_dhcpv6 (line 4): no longer used, ignored; set mode (slaac, slaac+dhcpv6 or dhcpv6)`,
  ]);
});

Deno.test("parseConfig() accepts [ipv6] dhcp_queue with a deprecation warning", () => {
  const { config, warnings } = ok(
    `${MINIMAL}[ipv6]\nrs_queue = 43\nns_queue = 44\ndhcp_queue = 50\n`,
  );
  assert.equal(config.ipv6.dhcpv6Queue, 50);
  assert.equal(config.ipv6.mode, "slaac+dhcpv6");
  assert.deepEqual(warnings, [
    `${FILE} [ipv6] dhcp_queue (line 6): deprecated, use dhcpv6_queue instead`,
  ]);
});

Deno.test("parseConfig() prefers dhcpv6_queue over the deprecated dhcp_queue", () => {
  const { config, warnings } = ok(
    `${MINIMAL}[ipv6]\nrs_queue = 43\nns_queue = 44\ndhcp_queue = 50\ndhcpv6_queue = 51\n`,
  );
  assert.equal(config.ipv6.dhcpv6Queue, 51);
  assert.deepEqual(warnings, [
    `${FILE} [ipv6] dhcp_queue (line 6): deprecated and ignored, dhcpv6_queue is set`,
  ]);
});

Deno.test("parseConfig() resolves mode auto to the richest mode whose queues are set", () => {
  const mode = (queues: string) => ok(`${MINIMAL}[ipv6]\n${queues}`).config.ipv6;
  assert.deepEqual(pick(mode("")), ["slaac+dhcpv6", 43, 44, 45]);
  assert.deepEqual(pick(mode("rs_queue = 1\nns_queue = 2\ndhcpv6_queue = 3\n")), [
    "slaac+dhcpv6",
    1,
    2,
    3,
  ]);
  assert.deepEqual(pick(mode("rs_queue = 1\nns_queue = 2\n")), ["slaac", 1, 2, null]);
  assert.deepEqual(errors(`${MINIMAL}[ipv6]\ndhcpv6_queue = 3\n`).length, 1);
  assert.deepEqual(pick(mode("rs_queue = 1\nns_queue = 2\ndhcpv6_queue =\n")), [
    "slaac",
    1,
    2,
    null,
  ]);
  assert.deepEqual(pick(mode("mode = auto\nrs_queue = 0\nns_queue = 2\n")), ["slaac", 0, 2, null]);
});

function pick(c: Config["ipv6"]) {
  return [c.mode, c.rsQueue, c.nsQueue, c.dhcpv6Queue];
}

Deno.test("parseConfig() rejects mode auto when no mode has all its queues", () => {
  assert.deepEqual(errors(`${MINIMAL}[ipv6]\nrs_queue = 43\n`), [
    `${FILE} [ipv6] mode: auto finds no mode whose queues are all set (slaac+dhcpv6 needs ` +
    "rs_queue, ns_queue, dhcpv6_queue; slaac needs rs_queue, ns_queue; dhcpv6 needs rs_queue, ns_queue, dhcpv6_queue)",
  ]);
});

Deno.test("parseConfig() rejects a mode whose queues are not set", () => {
  assert.deepEqual(errors(`${MINIMAL}[ipv6]\nmode = dhcpv6\nrs_queue = 43\nns_queue = 44\n`), [
    `${FILE} [ipv6] mode (line 4): mode dhcpv6 needs dhcpv6_queue, which is not set`,
  ]);
  assert.deepEqual(errors(`${MINIMAL}[ipv6]\nmode = slaac\ndhcpv6_queue = 45\n`), [
    `${FILE} [ipv6] mode (line 4): mode slaac needs rs_queue and ns_queue, which are not set`,
  ]);
  assert.deepEqual(
    errors(`${MINIMAL}[ipv6]\nmode = slaac+dhcpv6\nrs_queue = 43\nns_queue = 44\n`),
    [
      `${FILE} [ipv6] mode (line 4): mode slaac+dhcpv6 needs dhcpv6_queue, which is not set`,
    ],
  );
});

Deno.test("parseConfig() uses the default queues with an explicit mode, and drops unused ones", () => {
  assert.deepEqual(pick(ok(`${MINIMAL}[ipv6]\nmode = slaac\n`).config.ipv6), [
    "slaac",
    43,
    44,
    null,
  ]);
  assert.deepEqual(pick(ok(`${MINIMAL}[ipv6]\nmode = dhcpv6\n`).config.ipv6), [
    "dhcpv6",
    43,
    44,
    45,
  ]);
});

Deno.test("parseConfig() warns about a configured queue the mode does not use", () => {
  const { config, warnings } = ok(
    `${MINIMAL}[ipv6]\nmode = slaac\nrs_queue = 43\nns_queue = 44\ndhcpv6_queue = 45\n`,
  );
  assert.equal(config.ipv6.dhcpv6Queue, null);
  assert.deepEqual(warnings, [
    `${FILE} [ipv6] dhcpv6_queue (line 7): not used in mode slaac; packets sent to queue 45 find no listener`,
  ]);
});

Deno.test("parseConfig() checks no mode or queues when IPv6 is off", () => {
  const { config } = ok(`${MINIMAL}[ipv6]\nenable_ipv6 = no\nmode = dhcpv6\nrs_queue = 42\n`);
  assert.equal(config.ipv6.enable, false);
  assert.deepEqual(pick(config.ipv6), ["dhcpv6", null, null, null]);
});

Deno.test("parseConfig() rejects two services on the same queue", () => {
  assert.deepEqual(errors(`${MINIMAL}[ipv6]\nrs_queue = 42\nns_queue = 44\n`), [
    `${FILE} [ipv6] rs_queue (line 4): queue 42 is already used by [dhcp] dhcp_queue`,
  ]);
  assert.deepEqual(errors(`${MINIMAL}[ipv6]\nrs_queue = 43\nns_queue = 43\ndhcp_queue = 45\n`), [
    `${FILE} [ipv6] ns_queue (line 5): queue 43 is already used by [ipv6] rs_queue`,
  ]);
  assert.deepEqual(
    errors(`${MINIMAL}dhcp_queue = 45\n[ipv6]\nrs_queue = 43\nns_queue = 44\ndhcp_queue = 45\n`),
    [
      `${FILE} [ipv6] dhcp_queue (line 7): queue 45 is already used by [dhcp] dhcp_queue`,
    ],
  );
  assert.deepEqual(errors("[dhcp]\nserver_ip = 192.0.2.1\ndhcp_queue = 43\n"), [
    `${FILE} [ipv6] rs_queue: queue 43 is already used by [dhcp] dhcp_queue`,
  ]);
});

Deno.test("parseConfig() lets a disabled service share a queue number", () => {
  const { config } = ok("[dhcp]\nenable_dhcp = no\ndhcp_queue = 43\n");
  assert.equal(config.ipv6.rsQueue, 43);
});

Deno.test("parseConfig() warns about a renewal time beyond the lease and a long RA period", () => {
  const { warnings } = ok(`${MINIMAL}lease_lifetime = 300\n[ipv6]\nra_period = 3600\n`);
  assert.deepEqual(warnings, [
    `${FILE} [dhcp] lease_renewal: 600 exceeds lease_lifetime 300; clients will renew only when the lease has run out`,
    `${FILE} [ipv6] ra_period (line 5): 3600 s is above the 1800 s RFC 4861 allows between router advertisements`,
  ]);
});

Deno.test("parseConfig() accepts the shipped conf/nfdhcpd.conf without warnings", async () => {
  const path = new URL("../../conf/nfdhcpd.conf", import.meta.url).pathname;
  const result = await loadConfig(path);
  if (!result.ok) assert.fail(result.errors.join("\n"));
  assert.deepEqual(result.warnings, []);
  assert.equal(result.config.general.user, "nobody");
  assert.equal(result.config.ipv6.mode, "slaac+dhcpv6");
  assert.equal(result.config.dhcp.nameservers.length, 2);
});

Deno.test("parseConfig() accepts a configuration written for the original", () => {
  const { config, warnings } = ok(`## old style
[general]
pidfile = /var/run/nfdhcpd/nfdhcpd.pid
datapath = /var/lib/nfdhcpd # bindings
logdir = /var/log/nfdhcpd\t# logs
user = nobody
[dhcp]
enable_dhcp = yes
lease_lifetime = 604800 # a week
lease_renewal = 3600 \t# an hour
server_ip = 192.0.2.1
dhcp_queue = 42
nameservers = 192.0.2.2, 192.0.2.3
[ipv6]
enable_ipv6 = yes
enable_dhcpv6 = no
ra_period = 300
rs_queue = 43
ns_queue = 44
nameservers = 2001:db8::1
`);
  assert.equal(config.dhcp.leaseRenewal, 3600);
  assert.deepEqual(pick(config.ipv6), ["slaac", 43, 44, null]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /enable_dhcpv6 \(line 16\)/);
});

Deno.test("loadConfig() reads a file and reports one it cannot read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/nfdhcpd.conf`;
    await Deno.writeTextFile(path, "[dhcp]\nlease_lifetime = x\n");
    const bad = await loadConfig(path);
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.match(bad.errors[0]!, new RegExp(`^${path} \\[dhcp\\] lease_lifetime \\(line 2\\)`));
    }
    const missing = await loadConfig(`${dir}/absent.conf`);
    assert.equal(missing.ok, false);
    if (!missing.ok) {
      assert.match(missing.errors[0]!, new RegExp(`^${dir}/absent.conf: cannot read: `));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
