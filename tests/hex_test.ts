/** The tests' hex helper: both directions, and what it refuses. */
import assert from "node:assert/strict";
import { fromHex, hex } from "./hex.ts";

Deno.test("hex() writes two lowercase digits a byte; fromHex() reads them back", () => {
  assert.equal(hex(Uint8Array.of(0, 0x0a, 0xab, 0xff)), "000aabff");
  assert.equal(hex(new Uint8Array(0)), "");
  assert.equal(hex(undefined), undefined);
  assert.equal(hex(null), undefined);
  assert.deepEqual(fromHex("000aABff"), Uint8Array.of(0, 0x0a, 0xab, 0xff));
  assert.deepEqual(fromHex(""), new Uint8Array(0));
});

Deno.test("fromHex() refuses an odd digit count and non-hex characters instead of guessing", () => {
  assert.throws(() => fromHex("abc"), /not hex bytes/);
  assert.throws(() => fromHex("0g"), /not hex bytes/);
  assert.throws(() => fromHex("00 11"), /not hex bytes/);
});
