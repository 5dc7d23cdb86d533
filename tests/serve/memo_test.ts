/** ReplyMemo: clear() and forget(tap) reach every table of the memo. */
import assert from "node:assert/strict";
import { ReplyMemo } from "../../src/serve/memo.ts";
import type { PerBindingMemo } from "../../src/serve/memo_tables.ts";
import { BINDING } from "./dhcp4_setup.ts";
import { frameOf, MAC } from "./memo_setup.ts";

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
});

Deno.test("ReplyMemo.forget(tap) forgets that TAP in every table, and another TAP keeps its own", () => {
  const memo = new ReplyMemo();
  const other = { ...BINDING, tap: "tap9" };
  const settings = {};
  let builds = 0;
  const build = () => ++builds;
  const tables = [memo.dhcp4Options, memo.periodicAdverts, memo.searchDomains] as PerBindingMemo<
    unknown
  >[];
  for (const table of tables) {
    table.get(BINDING, settings, MAC, build);
    table.get(other, settings, MAC, build);
  }
  memo.dhcp4Replies.keep(BINDING, [1], settings, MAC, frameOf(1));
  memo.dhcp4Replies.keep(other, [1], settings, MAC, frameOf(1));
  assert.equal(builds, 6);
  memo.forget(BINDING.tap);
  for (const table of tables) table.get(other, settings, MAC, build);
  assert.equal(builds, 6, "the other TAP's values are kept");
  for (const table of tables) table.get(BINDING, settings, MAC, build);
  assert.equal(builds, 9, "the forgotten TAP's are built again");
  assert.equal(memo.dhcp4Replies.find(BINDING, settings, MAC, 1, () => true), null);
  assert.notEqual(memo.dhcp4Replies.find(other, settings, MAC, 1, () => true), null);
});
