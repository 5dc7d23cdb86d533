/** The generated mutants' sample: a prefix of the seeded order, whatever answers are kept. */
import assert from "node:assert/strict";
import type { GeneratedMutant } from "../../tools/mutant_gen.ts";
import { sampleOf } from "../../tools/mutants_generated.ts";

Deno.test("sampleOf() takes the first mutants of the order that type-check, whatever answers are kept", async () => {
  const order: GeneratedMutant[] = Array.from({ length: 100 }, (_, i) => ({
    key: `m${i}`,
    file: "a.ts",
    at: 0,
    find: "1",
    replace: `${i + 2}`,
    line: 1,
    kind: "",
  }));
  // Answers kept from another sample: only the last 30 are known (all type-check), more than the
  // sample takes.
  const known = new Map(order.slice(70).map((m) => [m.key, true]));
  const checker = {
    known: (m: GeneratedMutant) => Promise.resolve(known.get(m.key)),
    checkBatch: (batch: GeneratedMutant[]) => {
      for (const m of batch) known.set(m.key, !m.key.endsWith("3"));
      return Promise.resolve();
    },
  };
  const { sample, notTyped } = await sampleOf(order, 20, checker);
  const expected = order.filter((m) => !m.key.endsWith("3")).slice(0, 20);
  assert.deepEqual(sample.map((m) => m.key), expected.map((m) => m.key));
  assert.equal(notTyped, 2);
});
