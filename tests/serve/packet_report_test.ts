/** The labels the counters, trace and replay use, and the request report's reset and read. */
import assert from "node:assert/strict";
import {
  dhcp4TypeLabel,
  dhcp6OptionCode,
  dhcp6TypeLabel,
  ndOptionType,
  OTHER,
  RequestReport,
} from "../../src/serve/packet_report.ts";

Deno.test("dhcp4TypeLabel() names option 53's values 1 to 8; BOOTP and others are `other`", () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 8].map(dhcp4TypeLabel),
    ["DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM"],
  );
  for (const code of [null, 0, 9, 255]) assert.equal(dhcp4TypeLabel(code), OTHER, `${code}`);
  assert.equal(OTHER, "other");
});

Deno.test("dhcp6TypeLabel() names RFC 8415's types 1 to 13; 0 and 14 on are `other`", () => {
  assert.equal(dhcp6TypeLabel(1), "SOLICIT");
  assert.equal(dhcp6TypeLabel(7), "REPLY");
  assert.equal(dhcp6TypeLabel(11), "INFORMATION-REQUEST");
  assert.equal(dhcp6TypeLabel(13), "RELAY-REPL");
  for (const code of [0, 14, 255]) assert.equal(dhcp6TypeLabel(code), OTHER, `${code}`);
});

Deno.test("dhcp6OptionCode() and ndOptionType() give the wire code, an unknown one's own", () => {
  assert.equal(dhcp6OptionCode({ kind: "rapidCommit" }), 14);
  assert.equal(dhcp6OptionCode({ kind: "preference", value: 255 }), 7);
  assert.equal(dhcp6OptionCode({ kind: "unknown", code: 999, data: new Uint8Array(0) }), 999);
  assert.equal(ndOptionType({ kind: "mtu", mtu: 1500 }), 5);
  assert.equal(ndOptionType({ kind: "sourceLinkLayer", address: new Uint8Array(6) }), 1);
  assert.equal(ndOptionType({ kind: "unknown", type: 14, data: new Uint8Array(6) }), 14);
});

Deno.test("RequestReport.reset() forgets the last packet's, keeping the type the headers tell", () => {
  const r = new RequestReport();
  assert.equal(r.type, OTHER);
  r.read("DISCOVER", Uint8Array.of(1, 2), [1, 3]);
  r.nd = { ip: {} as never, message: { kind: "routerSolicitation", options: [] } };
  r.dhcp4 = {} as never;
  r.dhcp6 = {} as never;
  assert.deepEqual([r.type, Array.from(r.clientId!), Array.from(r.requested!)], [
    "DISCOVER",
    [1, 2],
    [1, 3],
  ]);
  r.reset("RS");
  assert.deepEqual(
    [r.type, r.clientId, r.requested, r.dhcp4, r.dhcp6, r.nd],
    ["RS", null, null, null, null, null],
  );
});
