/** What NfQueue answers for a packet whose handler threw: DROP unless the interface is plainly not ours. */
import assert from "node:assert/strict";
import { verdictOnFailure } from "../../ffi/nfqueue.ts";

Deno.test("verdictOnFailure() drops a bound TAP's packet and passes an unbound interface's on", () => {
  const bound = new Set([7]);
  assert.equal(verdictOnFailure((i) => bound.has(i), 7), "drop");
  assert.equal(verdictOnFailure((i) => bound.has(i), 8), "accept");
});

Deno.test("verdictOnFailure() fails closed when it cannot tell: no served() given, or served() throws", () => {
  assert.equal(verdictOnFailure(undefined, 8), "drop");
  assert.equal(
    verdictOnFailure(() => {
      throw new Error("injected: lookup");
    }, 8),
    "drop",
  );
});
