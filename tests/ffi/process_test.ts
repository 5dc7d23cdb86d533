/** Unit tests (no root) for ffi/process.ts. */
import assert from "node:assert/strict";
import { selfCommandLine } from "../../ffi/process.ts";

Deno.test("selfCommandLine() gives this program again: deno's absolute path and its arguments", () => {
  const self = selfCommandLine();
  assert.equal(self.program, Deno.execPath());
  assert.equal(self.args[0], "test");
  for (const arg of Deno.args) assert.ok(self.args.includes(arg));
});
