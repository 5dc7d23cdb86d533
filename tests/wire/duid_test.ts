/** DUIDs (RFC 8415 section 11): every type read and written back, the shortest of each, equality. */
import assert from "node:assert/strict";
import { type Duid, duidLength, emitDuid, parseDuid, sameDuid } from "../../src/wire/duid.ts";
import { fromHex, hex } from "../hex.ts";

const GUEST_MAC = fromHex("525400770010");
const TAP_MAC = fromHex("fe5400770001");

/** The DUID of `bytes`; throws the parser's MalformedPacket when it is refused. */
const duid = (bytes: readonly number[]): Duid => parseDuid(Uint8Array.from(bytes));

Deno.test("every DUID type is read and written back", () => {
  const cases: [string, Duid][] = [
    ["000100013298822c525400770010", {
      type: "llt",
      hardwareType: 1,
      time: 0x3298822c,
      linkLayerAddress: GUEST_MAC,
    }],
    ["00020000ab11dede0fabf5e9fca3", {
      type: "en",
      enterpriseNumber: 43793,
      identifier: fromHex("dede0fabf5e9fca3"),
    }],
    ["00030001525400770010", { type: "ll", hardwareType: 1, linkLayerAddress: GUEST_MAC }],
    ["0004" + "00112233445566778899aabbccddeeff", {
      type: "uuid",
      uuid: fromHex("00112233445566778899aabbccddeeff"),
    }],
    ["ff00beef", { type: "unknown", code: 0xff00, data: fromHex("beef") }],
  ];
  for (const [wire, duid] of cases) {
    assert.deepEqual(parseDuid(fromHex(wire)), duid, wire);
    assert.equal(duidLength(duid), wire.length / 2);
    const into = new Uint8Array(duidLength(duid));
    assert.equal(emitDuid(duid, into), into.length);
    assert.equal(hex(into), wire);
  }
  const ll = cases[2]![1];
  assert.ok(sameDuid(ll, { type: "ll", hardwareType: 1, linkLayerAddress: GUEST_MAC.slice() }));
  assert.ok(!sameDuid(ll, { type: "ll", hardwareType: 1, linkLayerAddress: TAP_MAC }));
  assert.ok(!sameDuid(ll, cases[0]![1]));
  assert.throws(() => emitDuid(ll, new Uint8Array(4)), RangeError);
});

Deno.test("parseDuid(): each type at its shortest, one byte less refused; UUID is exactly 18", () => {
  assert.deepEqual(duid([0, 9]), { type: "unknown", code: 9, data: new Uint8Array(0) });
  assert.throws(() => duid([0]), /DUID of 1 bytes has no type/);
  const ll = duid([0, 3, 0, 1]);
  assert.equal(ll.type === "ll" && ll.linkLayerAddress.length, 0);
  assert.throws(() => duid([0, 3, 0]), /DUID-LL of 3 bytes is shorter than 4/);
  assert.equal(duid([0, 1, 0, 1, 0, 0, 0, 0]).type, "llt");
  assert.throws(() => duid([0, 1, 0, 1, 0, 0, 0]), /DUID-LLT of 7 bytes is shorter than 8/);
  assert.equal(duid([0, 2, 0, 0, 0, 9]).type, "en");
  assert.throws(() => duid([0, 2, 0, 0, 9]), /DUID-EN of 5 bytes is shorter than 6/);
  assert.equal(duid([0, 4, ...new Array(16).fill(7)]).type, "uuid");
  assert.throws(() => duid([0, 4, ...new Array(17).fill(7)]), /DUID-UUID has 19 bytes, not 18/);
  assert.throws(() => duid([0, 4, ...new Array(15).fill(7)]), /DUID-UUID has 17 bytes, not 18/);
});

Deno.test("sameDuid(): a DUID is not the same as a longer one it is a prefix of", () => {
  const short = duid([0, 3, 0, 1, 1, 2, 3, 4, 5, 6]);
  const long = duid([0, 3, 0, 1, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(sameDuid(short, long), false);
  assert.equal(sameDuid(long, short), false);
  assert.equal(sameDuid(short, duid([0, 3, 0, 1, 1, 2, 3, 4, 5, 6])), true);
});

Deno.test("emitDuid() writes at an offset, and refuses one byte too few room there", () => {
  const ll: Duid = { type: "ll", hardwareType: 1, linkLayerAddress: GUEST_MAC };
  const llt: Duid = { type: "llt", hardwareType: 1, time: 1, linkLayerAddress: GUEST_MAC };
  const into = new Uint8Array(2 + 10 + 14).fill(0xee);
  assert.equal(emitDuid(ll, into, 2), 10);
  assert.equal(emitDuid(llt, into, 12), 14);
  assert.equal(hex(into), "eeee" + "00030001525400770010" + "0001000100000001525400770010");
  assert.throws(() => emitDuid(ll, new Uint8Array(12), 3), RangeError);
  assert.equal(emitDuid(ll, new Uint8Array(12), 2), 10);
});

Deno.test("emitDuid() into a view of a larger buffer refuses to write past the view's end", () => {
  const ll: Duid = { type: "ll", hardwareType: 1, linkLayerAddress: GUEST_MAC };
  const buffer = new Uint8Array(32).fill(0xee);
  assert.throws(() => emitDuid(ll, buffer.subarray(0, 9)), RangeError);
  assert.ok(buffer.every((b) => b === 0xee), "nothing written");
});
