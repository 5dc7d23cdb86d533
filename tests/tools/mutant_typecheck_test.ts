/** The generated mutants' type check: every copy in a batch is judged, whatever another does. */
import assert from "node:assert/strict";
import type { GeneratedMutant } from "../../tools/mutant_gen.ts";
import { TypeChecker } from "../../tools/mutant_typecheck.ts";

const SOURCE = `export interface Options {
  readonly size?: number;
}
export function sizeOf(options: Options): number {
  return options.size ?? 1;
}
`;

/** A mutant of a.ts: `find` (at its first occurrence) becomes `replace`. */
function mutant(find: string, replace: string): GeneratedMutant {
  const at = SOURCE.indexOf(find);
  assert.ok(at >= 0, find);
  return {
    key: `a.ts | ${find} -> ${replace}`,
    file: "a.ts",
    at,
    find,
    replace,
    line: 1,
    kind: "",
  };
}

Deno.test("TypeChecker judges each mutant of a batch, even beside one that does not parse", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-typecheck-" });
  try {
    Deno.writeTextFileSync(`${dir}/a.ts`, SOURCE);
    const fine = mutant("?? 1", "?? 2");
    const unparsable = mutant("number {", "number");
    const untyped = mutant("readonly size?: number;", "");
    const checker = new TypeChecker(dir, dir);
    await checker.checkBatch([fine, unparsable, untyped]);
    assert.deepEqual(
      await Promise.all([fine, unparsable, untyped].map((m) => checker.known(m))),
      [true, false, false],
    );
    // Remembered across runs, beside the tree (bin/ of the root given).
    const again = new TypeChecker(dir, dir);
    assert.equal(await again.known(untyped), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
