/** One summary per batch of binding changes (src/bindings/change_report.ts): counts, and errors held back past 20. */
import assert from "node:assert/strict";
import { ChangeReport } from "../../src/bindings/change_report.ts";

function recorded() {
  const lines: string[] = [];
  return {
    lines,
    log: {
      info: (m: string) => lines.push(`info ${m}`),
      error: (m: string) => lines.push(`error ${m}`),
    },
  };
}

Deno.test("ChangeReport logs 20 errors of a batch, then only says how many more there were", () => {
  for (
    const [errors, shown, more] of [[0, 0, null], [19, 19, null], [20, 20, null], [21, 20, 1], [
      45,
      20,
      25,
    ]] as const
  ) {
    const { lines, log } = recorded();
    const report = new ChangeReport(log);
    for (let i = 1; i <= errors; i++) report.error(`bad ${i}`);
    report.finish("done");
    const expected = [
      ...Array.from({ length: shown }, (_, i) => `error bad ${i + 1}`),
      ...(more === null ? [] : [`error ${more} more binding errors not shown`]),
      "info done",
    ];
    assert.deepEqual(lines, expected, `${errors} errors`);
  }
});

Deno.test("ChangeReport counts what a batch did, and is empty only when it did nothing", () => {
  const { log } = recorded();
  const report = new ChangeReport(log);
  assert.equal(report.empty, true);
  assert.equal(report.counts(), "0 added, 0 updated, 0 removed, 0 rejected, 0 unchanged");
  report.added = 9998;
  report.updated = 2;
  report.rejected = 1;
  report.unchanged = 7;
  assert.equal(report.counts(), "9998 added, 2 updated, 0 removed, 1 rejected, 7 unchanged");
  for (const field of ["added", "updated", "removed", "rejected"] as const) {
    const one = new ChangeReport(log);
    one[field] = 1;
    assert.equal(one.empty, false, field);
  }
  // Counts that would cancel out if any were subtracted.
  const fields = ["added", "updated", "removed", "rejected"] as const;
  for (const a of fields) {
    for (const b of fields) {
      if (a === b) continue;
      const two = new ChangeReport(log);
      two[a] = 1;
      two[b] = 1;
      assert.equal(two.empty, false, `${a} and ${b}`);
    }
  }
  const erred = new ChangeReport(log);
  erred.error("bad");
  assert.equal(erred.empty, false, "an error alone");
});
