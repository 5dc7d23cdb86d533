/** spoofedBy(): every MAC a request shows must be its binding's, unless MACSPOOF is set. */
import assert from "node:assert/strict";
import { parseMac } from "../../src/address.ts";
import { spoofedBy } from "../../src/serve/source_check.ts";
import { BINDING } from "./dhcp4_setup.ts";

const OWN = parseMac("52:54:00:77:00:10")!;
const OTHER = parseMac("52:54:00:00:00:99")!;

Deno.test("spoofedBy() is null when every MAC shown is the binding's, or none is shown", () => {
  assert.equal(spoofedBy(BINDING, OWN, OWN), null);
  assert.equal(spoofedBy(BINDING, OWN.slice(), null), null);
  assert.equal(spoofedBy(BINDING, null, null), null);
  assert.equal(spoofedBy(BINDING), null);
});

Deno.test("spoofedBy() names the first MAC that is not the binding's, wherever it is", () => {
  const why = "spoofed MAC 52:54:00:00:00:99, the binding's MAC is 52:54:00:77:00:10";
  assert.equal(spoofedBy(BINDING, OTHER, OWN), why, "the Ethernet source");
  assert.equal(spoofedBy(BINDING, OWN, OTHER), why, "what the packet carries");
  assert.equal(spoofedBy(BINDING, null, OTHER), why, "no Ethernet source");
  assert.equal(
    spoofedBy(BINDING, parseMac("02:00:00:00:00:01")!, OTHER),
    "spoofed MAC 02:00:00:00:00:01, the binding's MAC is 52:54:00:77:00:10",
  );
});

Deno.test("spoofedBy() with MACSPOOF set lets any MAC through", () => {
  assert.equal(spoofedBy({ ...BINDING, macspoof: true }, OTHER, OTHER), null);
});
