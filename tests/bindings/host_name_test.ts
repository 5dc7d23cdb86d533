/** A HOSTNAME made into a DNS host name (src/bindings/host_name.ts): characters, labels, lengths. */
import assert from "node:assert/strict";
import { dnsHostName } from "../../src/bindings/host_name.ts";

Deno.test("dnsHostName() keeps letters, digits and inner hyphens, and turns the rest into hyphens", () => {
  assert.equal(dnsHostName("vm1.example.org"), "vm1.example.org");
  assert.equal(dnsHostName("vm_1 web"), "vm-1-web");
  assert.equal(dnsHostName("-vm-.a..b."), "vm.a.b");
  assert.equal(dnsHostName("___"), null);
  assert.equal(dnsHostName(""), null);
});

Deno.test("dnsHostName() cuts a label at 63 bytes and the name at 253, whole labels", () => {
  assert.equal(dnsHostName(`${"a".repeat(70)}.b`), `${"a".repeat(63)}.b`);
  // A label cut at 63 loses the hyphen it would end with.
  assert.equal(dnsHostName(`${"a".repeat(62)}-b`), "a".repeat(62));
  // Four labels of 63 are 255 bytes with their dots: the fourth does not fit, a shorter one does.
  const label = "x".repeat(63);
  assert.equal(
    dnsHostName([label, label, label, label].join(".")),
    [label, label, label].join("."),
  );
  const fits = [label, label, label, "y".repeat(61)].join(".");
  assert.equal(fits.length, 253);
  assert.equal(dnsHostName(fits), fits);
  assert.equal(dnsHostName(`${fits}z`), [label, label, label].join("."));
  // Labels after one that does not fit are not tried.
  assert.equal(
    dnsHostName([label, label, label, label, "c"].join(".")),
    [label, label, label].join("."),
  );
});

Deno.test("dnsHostName() keeps a cleaned-up name of exactly 253 bytes whole", () => {
  const label = "a".repeat(63);
  const name = `a_${"a".repeat(61)}.${label}.${label}.${"b".repeat(61)}`;
  const clean = dnsHostName(name)!;
  assert.equal(clean.length, 253);
  assert.equal(clean, name.replace("_", "-"));
  assert.equal(dnsHostName(`${name}c`)!.length, 191, "one byte more: the last label goes");
});
