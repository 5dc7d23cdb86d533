/** guard() and need(): a malformed input becomes a `Cannot parse ...` result; a bug still throws. */
import assert from "node:assert/strict";
import { guard, MalformedPacket, need } from "../../src/wire/parsed.ts";

Deno.test("guard() wraps the parser's value", () => {
  assert.deepEqual(guard("thing", () => 42), { ok: true, value: 42 });
});

Deno.test("guard() turns need()'s refusal into `Cannot parse WHAT: reason`", () => {
  assert.deepEqual(
    guard("DHCPv4 message", () => {
      need(false, "hlen 20 exceeds the 16-byte chaddr field");
      return 0;
    }),
    { ok: false, error: "Cannot parse DHCPv4 message: hlen 20 exceeds the 16-byte chaddr field" },
  );
});

Deno.test("guard() turns a RangeError (a DataView read past the end) into an error result", () => {
  const r = guard("option", () => new DataView(new ArrayBuffer(1)).getUint16(0));
  assert.equal(r.ok, false);
  assert.match((r as { error: string }).error, /^Cannot parse option: /);
});

Deno.test("guard() lets any other exception through: a bug is not a malformed packet", () => {
  assert.throws(
    () =>
      guard("x", () => {
        throw new TypeError("undefined is not a function");
      }),
    TypeError,
  );
});

Deno.test("need() passes when the condition holds and throws MalformedPacket when not", () => {
  need(true, "never");
  const e = (() => {
    try {
      need(1 > 2, "too short");
    } catch (caught) {
      return caught;
    }
  })();
  assert.ok(e instanceof MalformedPacket);
  assert.equal(e.message, "too short");
  assert.equal(e.name, "MalformedPacket");
});
