/** ReplyMemo: clear() and forget(tap) reach every table of the memo. */
import assert from "node:assert/strict";
import type { Binding } from "../../src/bindings/binding.ts";
import { ReplyMemo } from "../../src/serve/memo.ts";
import type { PerBindingMemo } from "../../src/serve/memo_tables.ts";
import { BINDING } from "./dhcp4_setup.ts";
import { frameOf, MAC } from "./memo_setup.ts";

const SETTINGS = {};

/** A memo, and `fill(binding)`: a value in each per-binding table and a frame; it counts builds. */
function filled() {
  const memo = new ReplyMemo();
  let builds = 0;
  const tables = [memo.dhcp4Options, memo.periodicAdverts, memo.searchDomains] as PerBindingMemo<
    unknown
  >[];
  const fill = (binding: Binding) => {
    for (const table of tables) table.get(binding, SETTINGS, MAC, () => ++builds);
    memo.dhcp4Replies.keep(binding, [1], SETTINGS, MAC, frameOf(1));
  };
  const kept = (binding: Binding) =>
    memo.dhcp4Replies.find(binding, SETTINGS, MAC, 1, () => true) !== null;
  return { memo, fill, kept, builds: () => builds };
}

Deno.test("ReplyMemo.clear() forgets every table: each value is built again after it", () => {
  const { memo, fill, kept, builds } = filled();
  fill(BINDING);
  fill(BINDING);
  assert.equal(builds(), 3, "one build a table, then hits");
  memo.clear();
  assert.equal(kept(BINDING), false);
  fill(BINDING);
  assert.equal(builds(), 6, "every table built again after clear()");
});

Deno.test("ReplyMemo.forget(tap) forgets that TAP in every table, and another TAP keeps its own", () => {
  const { memo, fill, kept, builds } = filled();
  const other = { ...BINDING, tap: "tap9" };
  fill(BINDING);
  fill(other);
  assert.equal(builds(), 6);
  memo.forget(BINDING.tap);
  assert.equal(kept(BINDING), false);
  assert.equal(kept(other), true);
  fill(other);
  assert.equal(builds(), 6, "the other TAP's values are kept");
  fill(BINDING);
  assert.equal(builds(), 9, "the forgotten TAP's are built again");
});
