/** The reply memo's frame table (src/serve/memo_tables.ts): what it keeps, for which settings, how many. */
import assert from "node:assert/strict";
import { ReplyMemo } from "../../src/serve/memo.ts";
import { FrameMemo, type MemoFrame, PerBindingMemo } from "../../src/serve/memo_tables.ts";
import { BINDING } from "./dhcp4_setup.ts";

const MAC = Uint8Array.of(0xfe, 0x54, 0, 0x77, 0, 1);
const frameOf = (n: number): MemoFrame => ({
  frame: Uint8Array.of(n),
  why: `reply ${n}`,
  wrote: { type: "OFFER", address: n, options: [53] },
  xidAt: 1,
  checksumAt: 2,
});
const byKey = (key: number, wanted: number) => key === wanted;

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

Deno.test("ReplyMemo.clear() forgets every table: each value is built again after it", () => {
  const memo = new ReplyMemo();
  const settings = {};
  let builds = 0;
  const build = () => ++builds;
  const tables = [memo.dhcp4Options, memo.periodicAdverts, memo.searchDomains] as PerBindingMemo<
    unknown
  >[];
  for (const table of tables) {
    table.get(BINDING, settings, MAC, build);
    table.get(BINDING, settings, MAC, build);
  }
  assert.equal(builds, 3, "one build a table, then hits");
  memo.dhcp4Replies.keep(BINDING, [1], settings, MAC, frameOf(1));
  memo.clear();
  for (const table of tables) table.get(BINDING, settings, MAC, build);
  assert.equal(builds, 6, "every table built again after clear()");
  assert.equal(memo.dhcp4Replies.find(BINDING, settings, MAC, 1, () => true), null);
  // A MAC or settings object that differs builds again too; null matches only null.
  const one = new PerBindingMemo<number>();
  one.get(BINDING, settings, null, build);
  assert.equal(one.get(BINDING, settings, null, build), 7);
  assert.equal(one.get(BINDING, settings, MAC, build), 8);
  assert.equal(one.get(BINDING, {}, MAC, build), 9);
  assert.equal(one.hits, 1);
});
