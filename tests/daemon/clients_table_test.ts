/** Tests for the SIGUSR1 table of known clients. */
import assert from "node:assert/strict";
import type { Binding } from "../../src/bindings/binding.ts";
import { parseBinding } from "../../src/bindings/binding.ts";
import { formatClientsTable } from "../../src/daemon/clients_table.ts";

function binding(tap: string, text: string): Binding {
  const r = parseBinding(tap, text);
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.binding;
}

Deno.test("formatClientsTable() lists every binding in TAP order with aligned columns", () => {
  const bindings = [
    binding(
      "tap10",
      "HOSTNAME=db.example.com\nMAC=aa:00:00:00:00:10\nIP=10.0.0.10\nSUBNET=10.0.0.0/24\n" +
        "SUBNET6=2001:db8::/64\n",
    ),
    binding(
      "tap2",
      "INSTANCE=web\nMAC=AA:00:00:00:00:02\nIP=10.0.0.2\nSUBNET=10.0.0.0/24\n" +
        "SUBNET6=2001:db8:1::/64\nEUI64=2001:db8:1::2\n",
    ),
    binding("tap3", "MAC=aa:00:00:00:00:03\n"),
  ];
  const indexes = new Map([["tap2", 7], ["tap10", 12]]);
  const lines = formatClientsTable(bindings, (tap) => indexes.get(tap) ?? null);
  assert.deepEqual(lines, [
    "TAP    IFINDEX  MAC                IPV4       IPV6                       HOSTNAME",
    "tap2   7        aa:00:00:00:00:02  10.0.0.2   2001:db8:1::2              web",
    "tap3   -        aa:00:00:00:00:03  -          -                          -",
    "tap10  12       aa:00:00:00:00:10  10.0.0.10  2001:db8::a800:ff:fe00:10  db.example.com",
  ]);
});

Deno.test("formatClientsTable() gives the header alone when there is no binding", () => {
  assert.deepEqual(formatClientsTable([], () => null), [
    "TAP  IFINDEX  MAC  IPV4  IPV6  HOSTNAME",
  ]);
});
