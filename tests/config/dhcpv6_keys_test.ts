/** Tests for the [ipv6] keys of DHCPv6 options and prefix delegation: each read, each bad value with file, section, key and line. */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/config.ts";
import { parseIpv6 } from "../../src/address.ts";

const FILE = "/etc/nfdhcpd/nfdhcpd.conf";
const HEAD = "[dhcp]\nserver_ip = 192.0.2.1\n[ipv6]\n";

Deno.test("parseConfig() reads boot_url, ntp_servers, information_refresh_time and the prefix lifetimes", () => {
  const result = parseConfig(
    HEAD +
      "boot_url = http://boot.example/efi\nntp_servers = 2001:db8::123, 2001:db8::124\n" +
      "information_refresh_time = 3600\ndhcpv6_prefix_preferred_lifetime = 1800\n" +
      "dhcpv6_prefix_valid_lifetime = 3600\n",
    FILE,
  );
  assert.ok(result.ok, result.ok ? "" : result.errors.join("\n"));
  const { ipv6 } = result.config;
  assert.equal(ipv6.bootUrl, "http://boot.example/efi");
  assert.deepEqual(ipv6.ntpServers, [parseIpv6("2001:db8::123"), parseIpv6("2001:db8::124")]);
  assert.equal(ipv6.informationRefreshTime, 3600);
  assert.equal(ipv6.prefixPreferredLifetime, 1800);
  assert.equal(ipv6.prefixValidLifetime, 3600);
});

Deno.test("parseConfig() leaves the DHCPv6 keys out when the file does not give them", () => {
  const result = parseConfig(HEAD, FILE);
  assert.ok(result.ok);
  for (const key of ["bootUrl", "ntpServers", "informationRefreshTime", "prefixValidLifetime"]) {
    assert.equal(key in result.config.ipv6, false, key);
  }
});

Deno.test("parseConfig() reports each bad DHCPv6 key with section, key, line and reason", () => {
  const result = parseConfig(
    HEAD +
      "boot_url = no url\nntp_servers = 192.0.2.1\ninformation_refresh_time = 60\n" +
      "dhcpv6_prefix_preferred_lifetime = 7200\ndhcpv6_prefix_valid_lifetime = 3600\n",
    FILE,
  );
  assert.ok(!result.ok);
  assert.deepEqual(result.errors, [
    `${FILE} [ipv6] information_refresh_time (line 6): out of range (600 to 4294967295): 60`,
    `${FILE} [ipv6] boot_url (line 4): not a URL (scheme:..., printable ASCII): "no url"`,
    `${FILE} [ipv6] ntp_servers (line 5): not an IPv6 address: "192.0.2.1"`,
    `${FILE} [ipv6] dhcpv6_prefix_preferred_lifetime (line 7): 7200 exceeds ` +
    "dhcpv6_prefix_valid_lifetime 3600 (RFC 8415 section 21.22)",
  ]);
});

const utf8 = (s: string) => new TextEncoder().encode(s);

Deno.test("parseConfig() reads option6_<n> of [ipv6] in the file's order, and [host MAC] ones by lowercase MAC", () => {
  const result = parseConfig(
    HEAD +
      "option6_65001 = some text\noption6_17! = hex:00:00:00:09\noption6_65002 =\n" +
      "[host 52:54:00:AB:CD:EF]\noption6_65001 = hex:0102\noption_252 = http://wpad/\n" +
      "[host 52:54:00:00:00:02]\noption_66 = tftp.example\n",
    FILE,
    { strict: true },
  );
  assert.ok(result.ok, JSON.stringify(result.problems));
  const { ipv6, dhcp } = result.config;
  assert.deepEqual(ipv6.options, [
    { code: 65001, data: utf8("some text"), always: false },
    { code: 17, data: Uint8Array.of(0, 0, 0, 9), always: true },
  ]);
  assert.deepEqual([...ipv6.hosts!], [
    ["52:54:00:ab:cd:ef", [{ code: 65001, data: Uint8Array.of(1, 2), always: false }]],
  ]);
  // The DHCPv4 options of the same sections stay DHCPv4's.
  assert.deepEqual([...dhcp.hosts!.keys()], ["52:54:00:ab:cd:ef", "52:54:00:00:00:02"]);
  const plain = parseConfig(HEAD, FILE);
  assert.ok(plain.ok);
  assert.deepEqual([plain.config.ipv6.options, plain.config.ipv6.hosts], [undefined, undefined]);
});

Deno.test("parseConfig() refuses option6_<n> values as the binding's OPTION6_<n>, with section, key, line and reason", () => {
  const result = parseConfig(
    HEAD + [
      "option6_1 = x", // 4
      "option6_25! = hex:00", // 5
      "option6_65536 = x", // 6
      "option6_abc = x", // 7
      "option6_17 = hex:1", // 8
      `option6_99 = hex:${"00".repeat(1025)}`, // 9
      "option6_100 = a", // 10
      "option6_100! = b", // 11
      "[host 52:54:00:00:00:0a]", // 12
      "option6_32 = hex:00000e10", // 13
      "option6_65000 = hex:zz", // 14
      "",
    ].join("\n"),
    FILE,
  );
  assert.ok(!result.ok);
  assert.deepEqual(result.errors, [
    `${FILE} [ipv6] option6_1 (line 4): option 1 is the daemon's: the client identifier is the client's`,
    `${FILE} [ipv6] option6_25! (line 5): option 25 is the daemon's: IA_PD holds the prefixes ` +
    "the daemon delegates (PREFIX6)",
    `${FILE} [ipv6] option6_65536 (line 6): the option number must be 1 to 65535`,
    `${FILE} [ipv6] option6_abc (line 7): the option number must be 1 to 65535`,
    `${FILE} [ipv6] option6_17 (line 8): not hex: (pairs of hex digits, colons allowed between ` +
    'pairs): "hex:1"',
    `${FILE} [ipv6] option6_99 (line 9): longer than 1024 bytes: "hex:${"00".repeat(1025)}"`,
    `${FILE} [ipv6] option6_100! (line 11): option 100 is already set by option6_100`,
    `${FILE} [host 52:54:00:00:00:0a] option6_32 (line 13): option 32 is the daemon's: the ` +
    "information refresh time is [ipv6] information_refresh_time",
    `${FILE} [host 52:54:00:00:00:0a] option6_65000 (line 14): not hex: (pairs of hex digits, ` +
    'colons allowed between pairs): "hex:zz"',
  ]);
});

Deno.test("option6_<n> belongs in [ipv6] or [host MAC]: in [dhcp] it is an unknown key", () => {
  const result = parseConfig(
    "[dhcp]\nserver_ip = 192.0.2.1\noption6_17 = x\n[ipv6]\n",
    FILE,
    { strict: true },
  );
  assert.ok(!result.ok);
  assert.deepEqual(result.errors, [`${FILE} [dhcp] option6_17 (line 3): unknown key`]);
});
