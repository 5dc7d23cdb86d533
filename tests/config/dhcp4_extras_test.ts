/** nfdhcpd.conf's network boot keys, option_<n> in [dhcp] and in [host MAC] sections, lease_without_subnet. */
import assert from "node:assert/strict";
import { parseIpv4 } from "../../src/address.ts";
import { parseConfig } from "../../src/config/config.ts";

const BASE = "[dhcp]\nserver_ip = 192.0.2.1\n";
const text = (s: string) => new TextEncoder().encode(s);

Deno.test("parseConfig() reads next_server, boot_file, lease_without_subnet and option_<n> of [dhcp]", () => {
  const parsed = parseConfig(
    BASE + [
      "next_server = 192.0.2.5",
      'boot_file = "ipxe.efi"',
      "lease_without_subnet = yes",
      "option_252 = http://wpad.example/wpad.dat",
      "option_43! = hex:01:02",
      "option_150 =",
      "",
    ].join("\n"),
    "t.conf",
    { strict: true },
  );
  assert.ok(parsed.ok, JSON.stringify(parsed.problems));
  const { dhcp } = parsed.config;
  assert.equal(dhcp.nextServer, parseIpv4("192.0.2.5"));
  assert.equal(dhcp.bootFile, "ipxe.efi");
  assert.equal(dhcp.leaseWithoutSubnet, true);
  assert.deepEqual(dhcp.options, [
    { code: 43, value: Uint8Array.of(1, 2), always: true },
    { code: 252, value: text("http://wpad.example/wpad.dat"), always: false },
  ]);
  assert.equal(dhcp.hosts, undefined);
  const plain = parseConfig(BASE, "t.conf");
  assert.ok(plain.ok);
  assert.deepEqual(
    [plain.config.dhcp.nextServer, plain.config.dhcp.bootFile, plain.config.dhcp.options],
    [undefined, undefined, undefined],
  );
  assert.equal(plain.config.dhcp.leaseWithoutSubnet, undefined);
});

Deno.test("parseConfig() reads [host MAC] sections' options by lowercase MAC", () => {
  const parsed = parseConfig(
    `${BASE}[host 52:54:00:AB:CD:EF]\noption_252 = http://one/wpad.dat\n` +
      "[host 52:54:00:00:00:02]\noption_66 = tftp.example\n",
    "t.conf",
    { strict: true },
  );
  assert.ok(parsed.ok, JSON.stringify(parsed.problems));
  assert.deepEqual([...parsed.config.dhcp.hosts!], [
    ["52:54:00:ab:cd:ef", [{ code: 252, value: text("http://one/wpad.dat"), always: false }]],
    ["52:54:00:00:00:02", [{ code: 66, value: text("tftp.example"), always: false }]],
  ]);
});

Deno.test("parseConfig() names file, section, key, line and reason for each bad value", () => {
  const parsed = parseConfig(
    BASE + [
      "next_server = 192.0.2.300", // 3
      "boot_file = a\x01b", // 4
      "option_53 = hex:05", // 5
      "option_300 = x", // 6
      "option_44 = hex:0", // 7
      "option_44! = hex:00", // 8
      "[host 52:54:00:zz:00:01]", // 9
      "option_252 = x", // 10
      "[host 52:54:00:00:00:0a]", // 11
      "option_1 = x", // 12
      "optoin_252 = x", // 13
      "[host 52:54:00:00:00:0A]", // 14 (the same MAC)
      "",
    ].join("\n"),
    "t.conf",
    { strict: true },
  );
  assert.equal(parsed.ok, false);
  if (parsed.ok) return;
  assert.deepEqual(parsed.errors, [
    't.conf [dhcp] next_server (line 3): not an IPv4 address: "192.0.2.300"',
    't.conf [dhcp] boot_file (line 4): has a control character: "a\\u0001b"',
    "t.conf [dhcp] option_53 (line 5): option 53 is the daemon's: the message type says what the reply is",
    "t.conf [dhcp] option_300 (line 6): option 300 is out of range (1 to 254)",
    't.conf [dhcp] option_44 (line 7): not hex bytes (two hex digits a byte, colons between): "hex:0"',
    't.conf [host 52:54:00:zz:00:01] line 9: not a MAC address: "52:54:00:zz:00:01" ([host 52:54:00:12:34:56])',
    "t.conf [host 52:54:00:00:00:0a] option_1 (line 12): option 1 is the daemon's: the subnet mask comes from SUBNET",
    "t.conf [host 52:54:00:00:00:0A] line 14: MAC 52:54:00:00:00:0a already has a section: [host 52:54:00:00:00:0a]",
    "t.conf [host 52:54:00:00:00:0a] optoin_252 (line 13): unknown key",
  ]);
});
