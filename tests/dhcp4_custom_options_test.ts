/** Operators' DHCPv4 options: keys and `!`, the daemon's own codes with why, values, merging, boot files. */
import assert from "node:assert/strict";
import {
  bootFileProblem,
  type CustomOption4,
  mergeCustomOptions,
  parseOptionKey,
  parseOptionValue,
} from "../src/dhcp4_custom_options.ts";

Deno.test("parseOptionKey() reads <prefix><n> and <prefix><n>!, 1 to 254", () => {
  assert.deepEqual(parseOptionKey("OPTION_252", "OPTION_"), { ok: true, code: 252, always: false });
  assert.deepEqual(parseOptionKey("option_43!", "option_"), { ok: true, code: 43, always: true });
  assert.deepEqual(parseOptionKey("OPTION_2", "OPTION_"), { ok: true, code: 2, always: false });
  assert.deepEqual(parseOptionKey("OPTION_254", "OPTION_"), { ok: true, code: 254, always: false });
});

Deno.test("parseOptionKey() is null for a key without the prefix: not an option key", () => {
  assert.equal(parseOptionKey("IP", "OPTION_"), null);
  assert.equal(parseOptionKey("option_252", "OPTION_"), null, "the prefix is case-sensitive");
});

Deno.test("parseOptionKey() refuses what is no number, PAD, END and past 255, saying which", () => {
  const why = (key: string) => {
    const r = parseOptionKey(key, "OPTION_");
    return r !== null && !r.ok ? r.reason : "accepted";
  };
  assert.equal(why("OPTION_x"), "not an option number (OPTION_1 to OPTION_254)");
  assert.equal(why("OPTION_"), "not an option number (OPTION_1 to OPTION_254)");
  assert.equal(why("OPTION_1000"), "not an option number (OPTION_1 to OPTION_254)");
  assert.equal(why("OPTION_!"), "not an option number (OPTION_1 to OPTION_254)");
  assert.equal(why("OPTION_0"), "option 0 is PAD, not an option");
  assert.equal(why("OPTION_255"), "option 255 is END, not an option");
  assert.equal(why("OPTION_256"), "option 256 is out of range (1 to 254)");
});

Deno.test("parseOptionKey() refuses the codes the daemon keeps for itself, with the reason", () => {
  const owned = [1, 3, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 82];
  for (const code of owned) {
    const r = parseOptionKey(`OPTION_${code}!`, "OPTION_");
    assert.ok(r !== null && !r.ok, `${code} is refused`);
    assert.match(r.reason, new RegExp(`^option ${code} is the daemon's: .+`));
  }
  assert.deepEqual(parseOptionKey("OPTION_1", "OPTION_"), {
    ok: false,
    reason: "option 1 is the daemon's: the subnet mask comes from SUBNET",
  });
  for (const code of [2, 4, 49, 62, 81, 83]) {
    assert.deepEqual(parseOptionKey(`OPTION_${code}`, "OPTION_"), {
      ok: true,
      code,
      always: false,
    });
  }
});

Deno.test("parseOptionValue() sends text as UTF-8 and hex: as bytes, colons between groups", () => {
  assert.deepEqual(parseOptionValue("pxelinux.0"), new TextEncoder().encode("pxelinux.0"));
  assert.deepEqual(parseOptionValue("é"), Uint8Array.of(0xc3, 0xa9));
  assert.deepEqual(parseOptionValue("hex:01:02:0a"), Uint8Array.of(1, 2, 10));
  assert.deepEqual(parseOptionValue("HEX:01020A"), Uint8Array.of(1, 2, 10));
  assert.deepEqual(parseOptionValue("hex:0102:0a"), Uint8Array.of(1, 2, 10));
  assert.deepEqual(parseOptionValue("hex:"), new Uint8Array(0));
  assert.deepEqual(parseOptionValue(""), new Uint8Array(0));
  assert.deepEqual(parseOptionValue("hexagon"), new TextEncoder().encode("hexagon"));
});

Deno.test("parseOptionValue() refuses an odd digit count, non-hex digits and empty groups", () => {
  for (const bad of ["hex:1", "hex:012", "hex:0g", "hex:01::02", "hex:01:", "hex: 01"]) {
    assert.equal(
      parseOptionValue(bad),
      `not hex bytes (two hex digits a byte, colons between): ${JSON.stringify(bad)}`,
      bad,
    );
  }
});

Deno.test("mergeCustomOptions() lets later levels win by code and sorts by code", () => {
  const o = (code: number, byte: number, always = false): CustomOption4 => ({
    code,
    value: Uint8Array.of(byte),
    always,
  });
  assert.deepEqual(
    mergeCustomOptions([o(252, 1), o(43, 1)], undefined, [o(252, 2, true)], [o(66, 3)]),
    [o(43, 1), o(66, 3), o(252, 2, true)],
  );
  assert.deepEqual(mergeCustomOptions(), []);
});

Deno.test("bootFileProblem(): at most 255 bytes (UTF-8), no control character", () => {
  assert.equal(bootFileProblem("pxelinux.0"), null);
  assert.equal(bootFileProblem("a".repeat(255)), null);
  assert.equal(bootFileProblem("a".repeat(256)), "is 256 bytes long; at most 255");
  assert.equal(bootFileProblem("é".repeat(128)), "is 256 bytes long; at most 255");
  assert.equal(bootFileProblem("a\tb"), 'has a control character: "a\\tb"');
  assert.equal(bootFileProblem("a\x7f"), `has a control character: ${JSON.stringify("a\x7f")}`);
  assert.equal(bootFileProblem("\x00"), 'has a control character: "\\u0000"');
  assert.equal(bootFileProblem("~ok"), null);
});
