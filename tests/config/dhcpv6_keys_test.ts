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
