/** The binding keys of network boot, lease time and custom DHCPv4 options: values, and each bad one with its reason. */
import assert from "node:assert/strict";
import { type Binding, parseBinding } from "../../src/bindings/binding.ts";
import { parseIpv4 } from "../../src/address.ts";
import { parseOptionKey, parseOptionValue } from "../../src/dhcp4_custom_options.ts";

const BASE = "MAC=52:54:00:12:34:56\nHOSTNAME=vm1\nIP=10.0.0.5\nSUBNET=10.0.0.0/24\n";

function ok(text: string): { binding: Binding; warnings: string[] } {
  const result = parseBinding("tap3", BASE + text);
  if (!result.ok) assert.fail(`unexpected errors:\n${result.errors.join("\n")}`);
  return result;
}

Deno.test("parseBinding() reads NEXT_SERVER, BOOT_FILE, LEASE and OPTION_<n> (text, hex, !)", () => {
  const { binding, warnings } = ok(
    [
      "NEXT_SERVER=10.0.0.2",
      "BOOT_FILE=pxelinux.0",
      "LEASE=3600",
      "OPTION_252=http://wpad.example/wpad.dat",
      "OPTION_43=hex:01:04:c0:a8:00:01",
      "OPTION_150!=hex:0a000002",
      "OPTION_224=hex:",
      "",
    ].join("\n"),
  );
  assert.deepEqual(warnings, []);
  const o = binding.overrides!;
  assert.equal(o.nextServer, parseIpv4("10.0.0.2"));
  assert.equal(o.bootFile, "pxelinux.0");
  assert.equal(o.leaseTime, 3600);
  assert.deepEqual(o.options, [
    { code: 43, value: Uint8Array.of(1, 4, 192, 168, 0, 1), always: false },
    { code: 150, value: Uint8Array.of(10, 0, 0, 2), always: true },
    { code: 224, value: new Uint8Array(0), always: false },
    { code: 252, value: new TextEncoder().encode("http://wpad.example/wpad.dat"), always: false },
  ]);
});

Deno.test("parseBinding() reports each bad DHCPv4 key with its line and reason, and keeps the rest", () => {
  const lines = [
    "NEXT_SERVER=10.0.0.300", // 5
    "BOOT_FILE=" + "x".repeat(256), // 6
    "LEASE=0", // 7
    "OPTION_53=hex:05", // 8
    "OPTION_300=x", // 9
    "OPTION_abc=x", // 10
    "OPTION_43=hex:0g", // 11
    "OPTION_44=hex:1:2", // 12
    "OPTION_0=x", // 13
    "OPTION_252=http://wpad/wpad.dat", // 14
  ];
  const { binding, warnings } = ok(lines.join("\n") + "\n");
  assert.deepEqual(warnings, [
    'Binding tap3 line 5: NEXT_SERVER is not an IPv4 address: "10.0.0.300"; NEXT_SERVER ignored',
    "Binding tap3 line 6: BOOT_FILE is 256 bytes long; at most 255; BOOT_FILE ignored",
    'Binding tap3 line 7: LEASE is not seconds from 1 to 4294967295: "0"; LEASE ignored',
    "Binding tap3 line 8: OPTION_53: option 53 is the daemon's: the message type says what the " +
    "reply is; OPTION_53 ignored",
    "Binding tap3 line 9: OPTION_300: option 300 is out of range (1 to 254); OPTION_300 ignored",
    "Binding tap3 line 10: OPTION_abc: not an option number (OPTION_1 to OPTION_254); " +
    "OPTION_abc ignored",
    "Binding tap3 line 11: OPTION_43 is not hex bytes (two hex digits a byte, colons between): " +
    '"hex:0g"; OPTION_43 ignored',
    "Binding tap3 line 12: OPTION_44 is not hex bytes (two hex digits a byte, colons between): " +
    '"hex:1:2"; OPTION_44 ignored',
    "Binding tap3 line 13: OPTION_0: option 0 is PAD, not an option; OPTION_0 ignored",
  ]);
  // Everything else still works: the address, and the one good option.
  assert.equal(binding.ip, parseIpv4("10.0.0.5"));
  assert.deepEqual(binding.overrides, {
    options: [
      { code: 252, value: new TextEncoder().encode("http://wpad/wpad.dat"), always: false },
    ],
  });
  // `check` (strict) calls each of them an error, with the same line and reason.
  const strict = parseBinding("tap3", BASE + lines.join("\n") + "\n", true);
  assert.equal(strict.ok, false);
  if (!strict.ok) {
    assert.equal(strict.errors.length, 9);
    assert.equal(
      strict.errors[3],
      "Cannot parse binding tap3 line 8: OPTION_53: option 53 is the daemon's: the message type " +
        "says what the reply is",
    );
  }
});

Deno.test("parseBinding() takes the later of OPTION_<n> and OPTION_<n>!, saying so", () => {
  const { binding, warnings } = ok("OPTION_252=a\nOPTION_252!=b\n");
  assert.deepEqual(binding.overrides?.options, [
    { code: 252, value: Uint8Array.of(0x62), always: true },
  ]);
  assert.deepEqual(warnings, [
    "Binding tap3 line 5: OPTION_252 and OPTION_252! (line 6) both set option 252; the later " +
    "line wins; OPTION_252 ignored",
  ]);
});

Deno.test("parseOptionKey() names every code the daemon owns, with why; 1..254 otherwise", () => {
  const owned = [1, 3, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 82];
  for (let code = 0; code <= 256; code++) {
    const key = parseOptionKey(`OPTION_${code}`, "OPTION_");
    assert.ok(key !== null);
    const allowed = code >= 1 && code <= 254 && !owned.includes(code);
    assert.equal(key.ok, allowed, `OPTION_${code}`);
    if (!key.ok && owned.includes(code)) assert.match(key.reason, /is the daemon's: \S/);
  }
  assert.deepEqual(parseOptionKey("option_6!", "option_"), { ok: true, code: 6, always: true });
  assert.equal(parseOptionKey("OPTIONS", "OPTION_"), null);
});

Deno.test("parseOptionValue(): text as UTF-8, hex with or without colons, bad hex refused", () => {
  assert.deepEqual(parseOptionValue("é"), Uint8Array.of(0xc3, 0xa9));
  assert.deepEqual(parseOptionValue("hex:0102ff"), Uint8Array.of(1, 2, 255));
  assert.deepEqual(parseOptionValue("HEX:01:02:FF"), Uint8Array.of(1, 2, 255));
  assert.deepEqual(parseOptionValue("hex:0102:ff"), Uint8Array.of(1, 2, 255));
  for (const bad of ["hex:1", "hex:01::02", "hex:01:", "hex:zz", "hex: 01"]) {
    assert.equal(typeof parseOptionValue(bad), "string", bad);
  }
});

Deno.test("LEASE=1 is the shortest lease taken; an empty OPTION_<n> sets nothing", () => {
  assert.equal(ok("LEASE=1\n").binding.overrides?.leaseTime, 1);
  const { binding } = ok("OPTION_252=\nOPTION_66=tftp\n");
  assert.deepEqual(binding.overrides?.options?.map((o) => o.code), [66]);
});
