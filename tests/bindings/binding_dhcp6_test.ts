/** Tests for a binding's DHCPv6 keys: IP6, PREFIX6, BOOT_URL6, OPTION6_<n> and NTP's IPv6 servers; each bad value with its line and reason. */
import assert from "node:assert/strict";
import { type Binding, parseBinding } from "../../src/bindings/binding.ts";
import { parseIpv4, parseIpv6 } from "../../src/address.ts";

const v6 = (text: string) => parseIpv6(text)!;
const HEAD = "MAC=52:54:00:12:34:56\nHOSTNAME=vm\nSUBNET6=2001:db8:1::/64\n";

function ok(text: string, strict = false): { binding: Binding; warnings: string[] } {
  const result = parseBinding("tap3", HEAD + text, strict);
  if (!result.ok) assert.fail(`unexpected errors:\n${result.errors.join("\n")}`);
  return result;
}

function errors(text: string): string[] {
  const result = parseBinding("tap3", HEAD + text, true);
  if (result.ok) assert.fail(`expected errors, got ${JSON.stringify(result.warnings)}`);
  return result.errors;
}

Deno.test("parseBinding() reads IP6, PREFIX6, BOOT_URL6, OPTION6_<n> and NTP's IPv6 servers", () => {
  const { binding, warnings } = ok(
    [
      "IP6=2001:db8:1::10, 2001:db8:1::11 2001:db8:1::10",
      "PREFIX6=2001:db8:100::/56,2001:db8:200::/64",
      "BOOT_URL6=http://[2001:db8::1]/boot.efi",
      'OPTION6_17="vendor text"',
      "OPTION6_65000!=hex:01:02:ab",
      "OPTION6_64999=hex:",
      "NTP=192.0.2.123, 2001:db8::123",
      "",
    ].join("\n"),
    true,
  );
  assert.deepEqual(warnings, []);
  assert.deepEqual(binding.dhcp6, {
    // The repeated address is kept once.
    addresses: [v6("2001:db8:1::10"), v6("2001:db8:1::11")],
    prefixes: [
      { prefix: v6("2001:db8:100::"), prefixLength: 56 },
      { prefix: v6("2001:db8:200::"), prefixLength: 64 },
    ],
    bootUrl: "http://[2001:db8::1]/boot.efi",
    ntpServers: [v6("2001:db8::123")],
    options: [
      { code: 17, data: new TextEncoder().encode("vendor text"), always: false },
      { code: 65000, data: Uint8Array.of(1, 2, 0xab), always: true },
      { code: 64999, data: new Uint8Array(0), always: false },
    ],
  });
  // NTP's IPv4 servers still replace [dhcp] ntp_servers.
  assert.deepEqual(binding.overrides?.ntp, [parseIpv4("192.0.2.123")]);
});

Deno.test("parseBinding() without DHCPv6 keys has no dhcp6, and NTP of IPv6 servers only no IPv4 override", () => {
  assert.equal(ok("").binding.dhcp6, undefined);
  const { binding } = ok("NTP=2001:db8::123\n");
  assert.equal(binding.overrides, undefined);
  assert.deepEqual(binding.dhcp6, { ntpServers: [v6("2001:db8::123")] });
});

Deno.test("parseBinding() leaves out an IP6 address outside SUBNET6 and serves the others", () => {
  const { binding, warnings } = ok("IP6=2001:db8:1::10,2001:db8:2::10,zz\n");
  assert.deepEqual(binding.dhcp6?.addresses, [v6("2001:db8:1::10")]);
  assert.deepEqual(warnings, [
    "Binding tap3 line 4: IP6: 2001:db8:2::10 is outside SUBNET6 2001:db8:1::/64; " +
    "2001:db8:2::10 left out, the other addresses are served",
    'Binding tap3 line 4: IP6: not an IPv6 address: "zz"; zz left out, the other addresses are served',
  ]);
  // IPv6 goes on: the binding keeps SUBNET6.
  assert.deepEqual(binding.subnet6, { prefix: v6("2001:db8:1::"), prefixLength: 64 });
});

Deno.test("nfdhcpd check calls each bad PREFIX6 an error with its reason", () => {
  assert.deepEqual(
    errors(
      "PREFIX6=2001:db8::/16, 2001:db8:100::1/56, 2001:db8:200:fe::/56, 2001:db8:1::/48, " +
        "2001:db8:100::/56, " +
        "2001:db8:100:10::/60, x/64, 2001:db8:300::\n",
    ),
    [
      "Cannot parse binding tap3 line 4: PREFIX6: 2001:db8::/16: a delegated prefix is a /32 to a /128",
      "Cannot parse binding tap3 line 4: PREFIX6: 2001:db8:100::1/56 has host bits set (is it 2001:db8:100::/56?)",
      // Host bits only in the byte after a /56 (the 8th).
      "Cannot parse binding tap3 line 4: PREFIX6: 2001:db8:200:fe::/56 has host bits set (is it 2001:db8:200::/56?)",
      "Cannot parse binding tap3 line 4: PREFIX6: 2001:db8:1::/48 overlaps SUBNET6, the link's own prefix",
      "Cannot parse binding tap3 line 4: PREFIX6: 2001:db8:100:10::/60 overlaps 2001:db8:100::/56, listed before",
      'Cannot parse binding tap3 line 4: PREFIX6: not an IPv6 prefix (address/length): "x/64"',
      'Cannot parse binding tap3 line 4: PREFIX6: not an IPv6 prefix (address/length): "2001:db8:300::"',
    ],
  );
});

Deno.test("the daemon serves the good PREFIX6 items and warns about the bad one", () => {
  const { binding, warnings } = ok("PREFIX6=2001:db8:100::/56 2001:db8:1::/64\n");
  assert.deepEqual(binding.dhcp6?.prefixes, [{ prefix: v6("2001:db8:100::"), prefixLength: 56 }]);
  assert.deepEqual(warnings, [
    "Binding tap3 line 4: PREFIX6: 2001:db8:1::/64 overlaps SUBNET6, the link's own prefix; " +
    "2001:db8:1::/64 not delegated",
  ]);
});

Deno.test("nfdhcpd check says which OPTION6 numbers are the daemon's and why, and what else is wrong", () => {
  assert.deepEqual(
    errors(
      [
        "OPTION6_2=x",
        "OPTION6_25=hex:00",
        "OPTION6_0=x",
        "OPTION6_65536=x",
        "OPTION6_abc=x",
        "OPTION6_17=hex:1",
        "OPTION6_18!=x",
        `OPTION6_99=hex:${"00".repeat(1025)}`,
        "BOOT_URL6=not a url",
        "",
      ].join("\n"),
    ),
    [
      "Cannot parse binding tap3 line 12: BOOT_URL6 is not a URL (scheme:..., printable ASCII, " +
      'at most 1024 bytes): "not a url"',
      "Cannot parse binding tap3 line 4: OPTION6_2: option 2 is the daemon's: " +
      "the server identifier is the daemon's DUID, which Request, Renew and Release must name",
      "Cannot parse binding tap3 line 5: OPTION6_25: option 25 is the daemon's: " +
      "IA_PD holds the prefixes the daemon delegates (PREFIX6)",
      "Cannot parse binding tap3 line 6: OPTION6_0: option 0 is the daemon's: reserved (RFC 8415)",
      "Cannot parse binding tap3 line 7: OPTION6_65536: the option number must be 1 to 65535",
      "Cannot parse binding tap3 line 8: OPTION6_abc: the option number must be 1 to 65535",
      "Cannot parse binding tap3 line 9: OPTION6_17: not hex: (pairs of hex digits, colons " +
      'allowed between pairs): "hex:1"',
      "Cannot parse binding tap3 line 10: OPTION6_18!: option 18 is the daemon's: " +
      "the interface-id option is a relay's",
      `Cannot parse binding tap3 line 11: OPTION6_99: longer than 1024 bytes: "hex:${
        "00".repeat(1025)
      }"`,
    ],
  );
});

Deno.test("the daemon ignores a bad OPTION6 with a warning and keeps the rest of the binding", () => {
  const { binding, warnings } = ok("OPTION6_3=hex:00\nOPTION6_59=http://x/\nIP6=2001:db8:1::5\n");
  assert.deepEqual(warnings, [
    "Binding tap3 line 4: OPTION6_3: option 3 is the daemon's: IA_NA holds the addresses the " +
    "daemon assigns (EUI64, IP6); OPTION6_3 ignored",
  ]);
  assert.deepEqual(binding.dhcp6, {
    addresses: [v6("2001:db8:1::5")],
    options: [{ code: 59, data: new TextEncoder().encode("http://x/"), always: false }],
  });
});

Deno.test("parseBinding() calls OPTION6_<n> and OPTION6_<n>! of one code a slip; the last wins", () => {
  const { binding, warnings } = ok("OPTION6_100=a\nOPTION6_100!=b\n");
  assert.deepEqual(binding.dhcp6?.options, [
    { code: 100, data: new TextEncoder().encode("b"), always: true },
  ]);
  assert.deepEqual(warnings, [
    "Binding tap3 line 5: OPTION6_100! sets option 100 again (OPTION6_100, line 4); the last value wins",
  ]);
});

Deno.test("parseBinding() serves 16 IP6 addresses and leaves out the 17th", () => {
  const all = Array.from({ length: 17 }, (_, i) => `2001:db8:1::${(i + 1).toString(16)}`);
  const { binding, warnings } = ok(`IP6=${all.join(",")}\n`);
  assert.deepEqual(binding.dhcp6?.addresses, all.slice(0, 16).map(v6));
  assert.deepEqual(warnings, [
    "Binding tap3 line 4: IP6: more than 16 addresses; 2001:db8:1::11 left out",
  ]);
});
