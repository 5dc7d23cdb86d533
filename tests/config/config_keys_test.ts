/**
 * Every key of nfdhcpd.conf read from text, one row each: the forms it accepts with the value the
 * configuration then holds, and the forms it refuses with the line and reason of the error (or
 * warning). A key the schema has and the table does not fails the test: add its row.
 */
import assert from "node:assert/strict";
import { parseIpv4, parseIpv6 } from "../../src/address.ts";
import { parseConfig } from "../../src/config/config.ts";
import type { Config } from "../../src/config/types.ts";
import { schemaKeys } from "./schema.ts";

const FILE = "/etc/nfdhcpd/nfdhcpd.conf";
const v4 = (text: string) => parseIpv4(text)!;
const v6 = (text: string) => parseIpv6(text)!;

interface Row {
  /** The part of the configuration the key sets. */
  readonly read: (c: Config) => unknown;
  /** Value text → what `read` gives. */
  readonly accepted: ReadonlyArray<readonly [string, unknown]>;
  /** Value text → the reason of the error it gives. */
  readonly rejected: ReadonlyArray<readonly [string, string]>;
  /** Value text → the reason of the warning it gives (the value is still used). */
  readonly warned?: ReadonlyArray<readonly [string, string]>;
  /** Lines after the key in its section, when the key needs company to make sense. */
  readonly with?: string;
}

const LIST = `expected one value, not a list: ["a","b"]`;
const pathRow = (read: (c: Config) => unknown): Row => ({
  read,
  accepted: [["/srv/x", "/srv/x"], ['"/a dir/x # y"', "/a dir/x # y"], ["/srv/x # note", "/srv/x"]],
  rejected: [["", "empty path"], ["a, b", LIST]],
});
const UINT32 = "out of range (0 to 4294967295)";
const uint32Row = (read: (c: Config) => unknown): Row => ({
  read,
  accepted: [["0", 0], ["4294967295", 4294967295], ["+60", 60]],
  rejected: [
    ["4294967296", `${UINT32}: 4294967296`],
    ["-1", `not a non-negative integer: "-1"`],
    ["1.5", `not a non-negative integer: "1.5"`],
  ],
});
const BOOLEAN = `not a boolean (yes/no, true/false, on/off, 1/0)`;
const booleanRow = (read: (c: Config) => unknown): Row => ({
  read,
  accepted: [["yes", true], ["On", true], ["TRUE", true], ["1", true], ["no", false], ["0", false]],
  rejected: [["maybe", `${BOOLEAN}: "maybe"`], ["", `${BOOLEAN}: ""`]],
});

const ROWS: Record<string, Row> = {
  "general.pidfile": pathRow((c) => c.general.pidfile),
  "general.datapath": pathRow((c) => c.general.datapath),
  "general.logdir": pathRow((c) => c.general.logdir),
  "general.user": {
    read: (c) => c.general.user,
    accepted: [["nfdhcpd", "nfdhcpd"], ["", null]],
    rejected: [["a, b", LIST]],
  },
  "general.control_socket": {
    read: (c) => c.general.controlSocket,
    accepted: [["/run/x.sock", "/run/x.sock"], ["", null], [
      `/${"a".repeat(106)}`,
      `/${"a".repeat(106)}`,
    ]],
    rejected: [
      ["run/x.sock", "not an absolute path: run/x.sock"],
      [`/${"a".repeat(107)}`, "108 bytes long; a unix socket path holds at most 107"],
    ],
  },
  "general.metrics_file": {
    read: (c) => c.general.metricsFile,
    accepted: [["/var/lib/prometheus/nfdhcpd.prom", "/var/lib/prometheus/nfdhcpd.prom"], [
      "",
      null,
    ]],
    rejected: [["a, b", LIST]],
  },
  "general.metrics_interval": {
    read: (c) => c.general.metricsInterval,
    accepted: [["1", 1], ["86400", 86400]],
    rejected: [
      ["0", "out of range (1 to 86400): 0"],
      ["86401", "out of range (1 to 86400): 86401"],
      ["15s", `not a non-negative integer: "15s"`],
    ],
  },
  "dhcp.enable_dhcp": booleanRow((c) => c.dhcp.enable),
  // Kept at or above the default lease_renewal (600), which would warn otherwise.
  "dhcp.lease_lifetime": {
    ...uint32Row((c) => c.dhcp.leaseLifetime),
    accepted: [["600", 600], ["4294967295", 4294967295], ["+700", 700]],
  },
  // Kept at or under the default lease_lifetime (604800), which would warn otherwise.
  "dhcp.lease_renewal": {
    ...uint32Row((c) => c.dhcp.leaseRenewal),
    accepted: [["0", 0], ["604800", 604800], ["+60", 60]],
    warned: [[
      "604801",
      "604801 exceeds lease_lifetime 604800; clients will renew only when the lease has run out",
    ]],
  },
  "dhcp.server_ip": {
    read: (c) => c.dhcp.serverIp,
    accepted: [["192.0.2.1", v4("192.0.2.1")], ["0.0.0.0", 0]],
    rejected: [
      ["192.0.2", `not an IPv4 address: "192.0.2"`],
      ["2001:db8::1", `not an IPv4 address: "2001:db8::1"`],
      ["a, b", LIST],
    ],
  },
  "dhcp.server_on_link": booleanRow((c) => c.dhcp.serverOnLink),
  "dhcp.dhcp_queue": {
    read: (c) => c.dhcp.queue,
    accepted: [["0", 0], ["65535", 65535]],
    rejected: [
      ["65536", "out of range (0 to 65535): 65536"],
      ["", `not a non-negative integer: ""`],
    ],
  },
  "dhcp.nameservers": {
    read: (c) => c.dhcp.nameservers,
    accepted: [["192.0.2.53", [v4("192.0.2.53")]], ["192.0.2.53, 192.0.2.54,", [
      v4("192.0.2.53"),
      v4("192.0.2.54"),
    ]], ["", []]],
    rejected: [["192.0.2.53, 192.0.2.256", `not an IPv4 address: "192.0.2.256"`]],
  },
  "dhcp.domain": {
    read: (c) => c.dhcp.domain,
    accepted: [["vms.example.org", "vms.example.org"], ["", null]],
    rejected: [["bad..name", `not a domain name: "bad..name"`], ["a, b", LIST]],
  },
  "dhcp.routes": {
    read: (c) => c.dhcp.routes,
    accepted: [
      ["10.1.0.0/16 192.0.2.1, 0.0.0.0/0 192.0.2.1", [
        { destination: v4("10.1.0.0"), prefixLength: 16, router: v4("192.0.2.1") },
        { destination: 0, prefixLength: 0, router: v4("192.0.2.1") },
      ]],
      ["198.51.100.7 192.0.2.1", [
        { destination: v4("198.51.100.7"), prefixLength: 32, router: v4("192.0.2.1") },
      ]],
      ["", undefined],
    ],
    rejected: [
      ["10.1.0.0/16", `not "DEST/LEN ROUTER": "10.1.0.0/16"`],
      [
        "10.1.0.1/16 192.0.2.1",
        `destination has host bits set: "10.1.0.1/16" (is it 10.1.0.0/16?)`,
      ],
      ["10.1.0.0/33 192.0.2.1", `not an IPv4 destination (address/length): "10.1.0.0/33"`],
      ["10.1.0.0/16 gw", `router is not an IPv4 address: "gw"`],
    ],
  },
  "dhcp.domain_search": {
    read: (c) => c.dhcp.domainSearch,
    accepted: [["a.example, b.example", ["a.example", "b.example"]], ["", undefined]],
    rejected: [["a.example, a..b", `not a domain name: "a..b"`]],
  },
  "dhcp.ntp_servers": {
    read: (c) => c.dhcp.ntpServers,
    accepted: [["192.0.2.123", [v4("192.0.2.123")]], ["", undefined]],
    rejected: [["ntp.example", `not an IPv4 address: "ntp.example"`]],
  },
  "dhcp.ipv6_only_preferred": {
    read: (c) => c.dhcp.ipv6OnlyPreferred,
    accepted: [["300", 300], ["1800", 1800], ["4294967295", 4294967295], ["", undefined]],
    rejected: [
      ["299", "out of range (300 to 4294967295): 299"],
      ["soon", `not a non-negative integer: "soon"`],
    ],
  },
  "ipv6.enable_ipv6": booleanRow((c) => c.ipv6.enable),
  "ipv6.mode": {
    read: (c) => c.ipv6.mode,
    accepted: [["auto", "slaac+dhcpv6"], ["slaac", "slaac"], ["slaac+dhcpv6", "slaac+dhcpv6"], [
      "dhcpv6",
      "dhcpv6",
    ]],
    rejected: [
      ["stateful", `not one of auto, slaac+dhcpv6, slaac, dhcpv6: "stateful"`],
      ["", `not one of auto, slaac+dhcpv6, slaac, dhcpv6: ""`],
    ],
  },
  "ipv6.ra_period": {
    read: (c) => c.ipv6.raPeriod,
    accepted: [["1", 1], ["1800", 1800]],
    rejected: [["0", "out of range (1 to 4294967295): 0"], [
      "1m",
      `not a non-negative integer: "1m"`,
    ]],
    warned: [["1801", "1801 s is above the 1800 s RFC 4861 allows between router advertisements"]],
  },
  "ipv6.dhcp_queue": {
    read: (c) => c.ipv6.dhcpv6Queue,
    with: "rs_queue = 101\nns_queue = 102",
    accepted: [],
    rejected: [["65536", "out of range (0 to 65535): 65536"]],
    warned: [["103", "deprecated, use dhcpv6_queue instead"]],
  },
  "ipv6.rs_queue": {
    read: (c) => c.ipv6.rsQueue,
    with: "ns_queue = 102\ndhcpv6_queue = 103",
    accepted: [["0", 0], ["65535", 65535]],
    rejected: [
      ["65536", "out of range (0 to 65535): 65536"],
    ],
  },
  "ipv6.ns_queue": {
    read: (c) => c.ipv6.nsQueue,
    with: "rs_queue = 101\ndhcpv6_queue = 103",
    accepted: [["0", 0], ["65535", 65535]],
    rejected: [["x", `not a non-negative integer: "x"`]],
  },
  "ipv6.dhcpv6_queue": {
    read: (c) => c.ipv6.dhcpv6Queue,
    with: "rs_queue = 101\nns_queue = 102",
    accepted: [["0", 0], ["65535", 65535], ["", null]],
    rejected: [
      ["-3", `not a non-negative integer: "-3"`],
      ["102", "queue 102 is already used by [ipv6] ns_queue"],
    ],
  },
  "ipv6.nameservers": {
    read: (c) => c.ipv6.nameservers,
    accepted: [["2001:db8::53", [v6("2001:db8::53")]], ["2001:db8::53, ::1", [
      v6("2001:db8::53"),
      v6("::1"),
    ]], ["", []]],
    rejected: [["192.0.2.1", `not an IPv6 address: "192.0.2.1"`]],
  },
  "ipv6.domains": {
    read: (c) => c.ipv6.domains,
    accepted: [["a.example, b.example", ["a.example", "b.example"]], ["", []]],
    rejected: [["ok.example, -/-", `not a domain name: "-/-"`]],
  },
  "ipv6.nat64_prefix": {
    read: (c) => c.ipv6.nat64Prefix,
    accepted: [
      ["64:ff9b::/96", { prefix: v6("64:ff9b::"), prefixLength: 96 }],
      ["2001:db8::/32", { prefix: v6("2001:db8::"), prefixLength: 32 }],
      ["2001:db8:100::/40", { prefix: v6("2001:db8:100::"), prefixLength: 40 }],
      ["2001:db8:1::/48", { prefix: v6("2001:db8:1::"), prefixLength: 48 }],
      ["2001:db8:1:100::/56", { prefix: v6("2001:db8:1:100::"), prefixLength: 56 }],
      ["2001:db8:1:2::/64", { prefix: v6("2001:db8:1:2::"), prefixLength: 64 }],
      ["", undefined],
    ],
    rejected: [
      ["64:ff9b::/95", `not an IPv6 prefix of length 32, 40, 48, 56, 64, 96: "64:ff9b::/95"`],
      ["64:ff9b::", `not an IPv6 prefix of length 32, 40, 48, 56, 64, 96: "64:ff9b::"`],
      ["64:ff9b::/96/1", `not an IPv6 prefix of length 32, 40, 48, 56, 64, 96: "64:ff9b::/96/1"`],
      ["64:ff9g::/96", `not an IPv6 prefix of length 32, 40, 48, 56, 64, 96: "64:ff9g::/96"`],
      ["64:ff9b::1/96", `has bits set past /96: "64:ff9b::1/96"`],
      ["2001:db8:1::/40", `has bits set past /40: "2001:db8:1::/40"`],
    ],
  },
  "ipv6.dhcpv6_lease_lifetime": uint32Row((c) => c.ipv6.dhcpv6LeaseLifetime),
  "ipv6.dhcpv6_lease_renewal": uint32Row((c) => c.ipv6.dhcpv6LeaseRenewal),
  "general.datadir": {
    // unistra's name for datapath: read as datapath, with a warning.
    read: (c) => c.general.datapath,
    accepted: [],
    rejected: [],
    warned: [[
      "/srv/bindings",
      "the OpenNebula fork's name for datapath; read as datapath (rename it)",
    ]],
  },
  "dhcp.next_server": {
    read: (c) => c.dhcp.nextServer,
    accepted: [["192.0.2.69", v4("192.0.2.69")]],
    rejected: [["192.0.2", `not an IPv4 address: "192.0.2"`]],
  },
  "dhcp.boot_file": {
    read: (c) => c.dhcp.bootFile,
    accepted: [["pxelinux.0", "pxelinux.0"]],
    rejected: [[`${"x".repeat(256)}`, `is 256 bytes long; at most 255`]],
  },
  // Set only when on: the binding's lease is then given without SUBNET.
  "dhcp.lease_without_subnet": {
    read: (c) => c.dhcp.leaseWithoutSubnet ?? false,
    accepted: [["yes", true], ["no", false]],
    rejected: [["maybe", `not a boolean (yes/no, true/false, on/off, 1/0): "maybe"`]],
  },
  "ipv6.information_refresh_time": {
    read: (c) => c.ipv6.informationRefreshTime,
    accepted: [["600", 600], ["86400", 86400]],
    rejected: [["599", `out of range (600 to 4294967295): 599`], [
      "x",
      `not a non-negative integer: "x"`,
    ]],
  },
  "ipv6.boot_url": {
    read: (c) => c.ipv6.bootUrl,
    accepted: [["http://[2001:db8::10]/ipxe.efi", "http://[2001:db8::10]/ipxe.efi"]],
    rejected: [["not a url", `not a URL (scheme:..., printable ASCII): "not a url"`]],
  },
  "ipv6.ntp_servers": {
    read: (c) => c.ipv6.ntpServers?.map((a) => [...a].length),
    accepted: [["2001:db8::123", [16]]],
    rejected: [["192.0.2.1", `not an IPv6 address: "192.0.2.1"`]],
  },
  "ipv6.dhcpv6_prefix_preferred_lifetime": uint32Row((c) => c.ipv6.prefixPreferredLifetime),
  "ipv6.dhcpv6_prefix_valid_lifetime": uint32Row((c) => c.ipv6.prefixValidLifetime),
};

/** The line the key is on in every file `fileWith` writes. */
const KEY_LINE = 4;

/** A file with `key = value` at line 4 of its section, then the row's company and DHCP's needs. */
function fileWith(section: string, key: string, value: string, row: Row): string {
  const company = row.with === undefined ? "" : `${row.with}\n`;
  // DHCP needs a server address or server_on_link: given after the key, not to move its line.
  const dhcpNeeds = key === "server_ip"
    ? ""
    : key === "server_on_link"
    ? "server_ip = 192.0.2.1\n"
    : "server_on_link = yes\n";
  const after = section === "dhcp" ? dhcpNeeds : "[dhcp]\nserver_on_link = yes\n";
  return `# row ${section}.${key}\n[${section}]\n\n${key} = ${value}\n${company}${after}`;
}

Deno.test("every key of the configuration schema has a row, and every row is a key of the schema", () => {
  const schema = [...schemaKeys()].flatMap(([section, keys]) =>
    [...keys].map((k) => `${section}.${k}`)
  );
  assert.ok(schema.length > 20, `schema found: ${schema}`);
  const missing = schema.filter((k) => !(k in ROWS));
  assert.deepEqual(missing, [], "keys without a row in ROWS: add how each is read from text");
  const stale = Object.keys(ROWS).filter((k) => !schema.includes(k));
  assert.deepEqual(stale, [], "rows for keys the schema no longer has");
});

Deno.test("every configuration key reads each accepted form to its value, quietly", () => {
  for (const [name, row] of Object.entries(ROWS)) {
    const [section = "", key = ""] = name.split(".");
    for (const [value, expected] of row.accepted) {
      const result = parseConfig(fileWith(section, key, value, row), FILE);
      const where = `${name} = ${JSON.stringify(value)}`;
      if (!result.ok) assert.fail(`${where}: ${result.errors.join("; ")}`);
      assert.deepEqual(result.warnings, [], where);
      assert.deepEqual(row.read(result.config), expected, where);
    }
  }
});

Deno.test("every configuration key refuses each rejected form with its line and reason", () => {
  for (const [name, row] of Object.entries(ROWS)) {
    const [section = "", key = ""] = name.split(".");
    for (const [value, reason] of row.rejected) {
      const result = parseConfig(fileWith(section, key, value, row), FILE);
      const where = `${name} = ${JSON.stringify(value)}`;
      assert.ok(!result.ok, `${where} is accepted`);
      assert.deepEqual(
        result.errors,
        [`${FILE} [${section}] ${key} (line ${KEY_LINE}): ${reason}`],
        where,
      );
    }
  }
});

Deno.test("configuration keys with a value that works but is odd warn with its line and reason", () => {
  let warned = 0;
  for (const [name, row] of Object.entries(ROWS)) {
    const [section = "", key = ""] = name.split(".");
    for (const [value, reason] of row.warned ?? []) {
      const result = parseConfig(fileWith(section, key, value, row), FILE);
      const where = `${name} = ${JSON.stringify(value)}`;
      if (!result.ok) assert.fail(`${where}: ${result.errors.join("; ")}`);
      assert.deepEqual(result.warnings, [
        `${FILE} [${section}] ${key} (line ${KEY_LINE}): ${reason}`,
      ], where);
      warned++;
    }
  }
  assert.equal(warned, 4);
});
