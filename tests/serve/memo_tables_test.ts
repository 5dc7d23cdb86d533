/** The memo's tables: what FrameMemo and PerBindingMemo keep, for which settings, how many. */
import assert from "node:assert/strict";
import { FrameMemo, PerBindingMemo } from "../../src/serve/memo_tables.ts";
import { BINDING } from "./dhcp4_setup.ts";
import { byKey, frameOf, MAC } from "./memo_setup.ts";

Deno.test("FrameMemo keeps the last 8 frames of a binding, dropping the oldest first", () => {
  const memo = new FrameMemo<number>();
  const settings = {};
  for (let key = 1; key <= 9; key++) memo.keep(BINDING, key, settings, MAC, frameOf(key));
  // Key 1 was the oldest of nine: gone; 2 to 9 are kept.
  assert.equal(memo.find(BINDING, settings, MAC, 1, byKey), null);
  for (let key = 2; key <= 9; key++) {
    assert.equal(memo.find(BINDING, settings, MAC, key, byKey)?.why, `reply ${key}`, `key ${key}`);
  }
  assert.equal(memo.hits, 8);
  // One more pushes out the next oldest, 2, and keeps 3.
  memo.keep(BINDING, 10, settings, MAC, frameOf(10));
  assert.equal(memo.find(BINDING, settings, MAC, 2, byKey), null);
  assert.notEqual(memo.find(BINDING, settings, MAC, 3, byKey), null);
});

Deno.test("FrameMemo finds a frame only for the settings object and INDEV MAC it was built with", () => {
  const memo = new FrameMemo<number>();
  const settings = {};
  const kept = frameOf(7);
  memo.keep(BINDING, 7, settings, MAC, kept);
  // A copy: changing the frame given does not change the one kept.
  kept.frame[0] = 99;
  assert.deepEqual(memo.find(BINDING, settings, MAC.slice(), 7, byKey)?.frame, Uint8Array.of(7));
  assert.equal(memo.find(BINDING, {}, MAC, 7, byKey), null, "other settings");
  assert.equal(memo.find(BINDING, settings, Uint8Array.of(2, 0, 0, 0, 0, 1), 7, byKey), null);
  assert.equal(memo.find({ ...BINDING }, settings, MAC, 7, byKey), null, "another binding");
  // Keeping one under new settings forgets those built with the old.
  const reloaded = {};
  memo.keep(BINDING, 8, reloaded, MAC, frameOf(8));
  assert.equal(memo.find(BINDING, settings, MAC, 7, byKey), null);
  assert.equal(memo.find(BINDING, reloaded, MAC, 8, byKey)?.why, "reply 8");
  memo.clear();
  assert.equal(memo.find(BINDING, reloaded, MAC, 8, byKey), null);
  assert.equal(memo.hits, 2);
});

Deno.test("PerBindingMemo builds again for another MAC, settings object or binding; null matches only null", () => {
  let builds = 0;
  const build = () => ++builds;
  const settings = {};
  const one = new PerBindingMemo<number>();
  assert.equal(one.get(BINDING, settings, null, build), 1);
  assert.equal(one.get(BINDING, settings, null, build), 1);
  assert.equal(one.get(BINDING, settings, MAC, build), 2, "a MAC where null was kept");
  assert.equal(one.get(BINDING, settings, MAC.slice(), build), 2, "the same MAC, another array");
  assert.equal(one.get(BINDING, settings, null, build), 3, "null where a MAC was kept");
  assert.equal(one.get(BINDING, {}, null, build), 4, "other settings");
  assert.equal(one.get(BINDING, settings, null, build), 5);
  const changed = { ...BINDING };
  assert.equal(one.get(changed, settings, null, build), 6, "another binding of the TAP");
  assert.equal(one.get(changed, settings, null, build), 6);
  assert.equal(one.hits, 3);
});

Deno.test("PerBindingMemo keeps its own copy of the MAC it was built for", () => {
  let builds = 0;
  const mac = MAC.slice();
  const settings = {};
  const one = new PerBindingMemo<number>();
  assert.equal(one.get(BINDING, settings, mac, () => ++builds), 1);
  mac[5] = 0x99;
  assert.equal(one.get(BINDING, settings, MAC, () => ++builds), 1, "kept under the MAC given");
});

Deno.test("forget(tap) drops that TAP's entries alone, in both tables", () => {
  const other = { ...BINDING, tap: "tap9" };
  const settings = {};
  const frames = new FrameMemo<number>();
  frames.keep(BINDING, 1, settings, MAC, frameOf(1));
  frames.keep(other, 1, settings, MAC, frameOf(1));
  frames.forget(BINDING.tap);
  assert.equal(frames.find(BINDING, settings, MAC, 1, byKey), null);
  assert.notEqual(frames.find(other, settings, MAC, 1, byKey), null);
  let builds = 0;
  const values = new PerBindingMemo<number>();
  values.get(BINDING, settings, MAC, () => ++builds);
  values.get(other, settings, MAC, () => ++builds);
  values.forget(BINDING.tap);
  assert.equal(values.get(other, settings, MAC, () => ++builds), 2);
  assert.equal(values.get(BINDING, settings, MAC, () => ++builds), 3);
});

Deno.test("FrameMemo keeps a reply's debug text with its frame, and none where it had none", () => {
  const memo = new FrameMemo<number>();
  const settings = {};
  memo.keep(BINDING, 1, settings, MAC, { ...frameOf(1), debug: "options 1, 3, 6" });
  memo.keep(BINDING, 2, settings, MAC, frameOf(2));
  assert.equal(memo.find(BINDING, settings, MAC, 1, byKey)?.debug, "options 1, 3, 6");
  assert.ok(!("debug" in memo.find(BINDING, settings, MAC, 2, byKey)!));
});
