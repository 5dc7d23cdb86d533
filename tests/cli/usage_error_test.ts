/** usageError(): the reason, a blank line and the usage on stderr, exit code 2. */
import assert from "node:assert/strict";
import { usageError } from "../../src/cli/usage_error.ts";
import { capturing } from "../console.ts";

Deno.test("usageError() prints `command: why`, a blank line and the usage, and gives 2", async () => {
  Deno.env.delete("JOURNAL_STREAM");
  const printed = await capturing(() => usageError("nfdhcpd rules", "bad flag", "Usage: x"));
  assert.equal(printed.result, 2);
  assert.deepEqual(printed.out, []);
  assert.deepEqual(printed.err, ["nfdhcpd rules: bad flag\n\nUsage: x"]);
});

Deno.test("usageError() under the journal starts with priority err (<3>)", async () => {
  Deno.env.set("JOURNAL_STREAM", "8:1234");
  try {
    const printed = await capturing(() => usageError("nfdhcpd", "too many arguments", "U"));
    assert.deepEqual(printed.err, ["<3>nfdhcpd: too many arguments\n\nU"]);
  } finally {
    Deno.env.delete("JOURNAL_STREAM");
  }
});
