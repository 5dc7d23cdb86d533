/** refuse() and replyMtu(): a drop decision, and the largest reply the link and the binding allow. */
import assert from "node:assert/strict";
import { DEFAULT_MTU, refuse, replyMtu } from "../../src/serve/decision.ts";

const INDEV = { name: "tap0", mac: Uint8Array.of(0xfe, 0x54, 0, 0x77, 0, 1) };

Deno.test("refuse() is a drop with its reason and why", () => {
  assert.deepEqual(refuse("spoofed-mac", "spoofed MAC x"), {
    kind: "drop",
    reason: "spoofed-mac",
    why: "spoofed MAC x",
  });
});

Deno.test("replyMtu() is INDEV's MTU, 1500 when unknown, never above the binding's MTU", () => {
  assert.equal(DEFAULT_MTU, 1500);
  assert.equal(replyMtu(null, INDEV), 1500);
  assert.equal(replyMtu(null, { ...INDEV, mtu: 9000 }), 9000);
  assert.equal(replyMtu(1400, { ...INDEV, mtu: 9000 }), 1400);
  assert.equal(replyMtu(9000, INDEV), 1500, "the binding cannot raise the link's");
  assert.equal(replyMtu(1280, INDEV), 1280);
});
