/** Tests for the SIGUSR1 table of known clients. */
import assert from "node:assert/strict";
import type { Binding } from "../../src/bindings/binding.ts";
import { parseBinding } from "../../src/bindings/binding.ts";
import { formatClientsTable } from "../../src/daemon/clients_table.ts";
import { formatIpv6 } from "../../src/address.ts";
import { DHCP6_MESSAGE } from "../../src/wire/dhcp6.ts";
import { findDhcp6Option } from "../../src/wire/dhcp6_options.ts";
import { answer, packet, reply, request, STATEFUL } from "../serve/dhcp6_setup.ts";
import { binding as ipv6Binding, replyFrame, v6 } from "../serve/ipv6_setup.ts";

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

Deno.test("formatClientsTable() shows for a /48 SUBNET6 the address DHCPv6 leases to the VM", () => {
  const vm = ipv6Binding({ subnet6: { prefix: v6("2001:db8:77::"), prefixLength: 48 } });
  const solicit = request(STATEFUL, 1);
  const m = reply(
    replyFrame(answer(packet(STATEFUL, 1), vm)),
    DHCP6_MESSAGE.advertise,
    solicit.transactionId,
  );
  const iaNa = findDhcp6Option(m.options, "iaNa");
  const leased = iaNa && findDhcp6Option(iaNa.options, "iaAddress");
  assert.ok(leased, "the Advertise leases an address");
  const [, row] = formatClientsTable([vm], () => 1);
  assert.equal(row?.split(/\s+/)[4], formatIpv6(leased.address));
  assert.equal(formatIpv6(leased.address), "2001:db8:77:0:5054:ff:fe77:10");
});

Deno.test("formatClientsTable() lists a VM's IP6 addresses after EUI64, then its delegated prefixes", () => {
  const lines = formatClientsTable([
    binding(
      "tap5",
      "HOSTNAME=node5\nMAC=aa:00:00:00:00:05\nSUBNET6=2001:db8:1::/64\nEUI64=2001:db8:1::5\n" +
        "IP6=2001:db8:1::50\nPREFIX6=2001:db8:500::/56\n",
    ),
    binding("tap6", "HOSTNAME=web\nMAC=aa:00:00:00:00:06\nIP=10.0.0.6\nSUBNET=10.0.0.0/24\n"),
  ], () => null);
  assert.deepEqual(lines, [
    "TAP   IFINDEX  MAC                IPV4      IPV6                                            HOSTNAME",
    "tap5  -        aa:00:00:00:00:05  -         2001:db8:1::5,2001:db8:1::50,2001:db8:500::/56  node5",
    "tap6  -        aa:00:00:00:00:06  10.0.0.6  -                                               web",
  ]);
});
