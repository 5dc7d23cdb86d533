/**
 * DHCPv4 option values against bytes that are not ours: the examples of RFC 3442 (121), RFC 3397
 * (119, and a compression pointer past offset 255 laid out by hand), RFC 2132 and RFC 8925 (42,
 * 108), and a whole OFFER dnsmasq sent in a capture, rebuilt with our encoders.
 */
import assert from "node:assert/strict";
import { parseIpv4 } from "../../src/address.ts";
import { BOOTREPLY, emitDhcp4, replyFromRequest } from "../../src/wire/dhcp4.ts";
import {
  classlessRoutesOption,
  domainSearchOption,
  ipv4ListOption,
  ipv4Option,
  MESSAGE_TYPE,
  OPTION,
  overloadOf,
  parseClasslessRoutes,
  textOption,
  u16Option,
  u32Option,
  u8Option,
} from "../../src/wire/dhcp4_options.ts";
import { parseCompressedDomainNames } from "../../src/wire/dns_name.ts";
import { fromHex, hex } from "../hex.ts";
import { capturedFrame } from "../pcap.ts";

const v4 = (text: string) => parseIpv4(text)!;
const ascii = (text: string) => hex(new TextEncoder().encode(text));

/** RFC 3442 section 5's table: subnet and mask, and the destination descriptor it gives. */
const RFC3442: ReadonlyArray<readonly [string, number, string]> = [
  ["0.0.0.0", 0, "00"],
  ["10.0.0.0", 8, "080a"],
  ["10.0.0.0", 24, "180a0000"],
  ["10.17.0.0", 16, "100a11"],
  ["10.27.129.0", 24, "180a1b81"],
  ["10.229.0.128", 25, "190ae50080"],
  ["10.198.122.47", 32, "200ac67a2f"],
];

Deno.test("classlessRoutesOption() writes RFC 3442's destination descriptors, each then its router", () => {
  const router = v4("10.0.0.1");
  for (const [subnet, prefixLength, descriptor] of RFC3442) {
    const value = classlessRoutesOption([{ destination: v4(subnet), prefixLength, router }]);
    assert.equal(hex(value), `${descriptor}0a000001`, `${subnet}/${prefixLength}`);
  }
  const all = RFC3442.map(([s, l]) => ({ destination: v4(s), prefixLength: l, router }));
  const wire = RFC3442.map(([, , d]) => `${d}0a000001`).join("");
  assert.equal(hex(classlessRoutesOption(all)), wire);
  // And the same bytes read back to the table's routes.
  assert.deepEqual(parseClasslessRoutes(fromHex(wire)), { ok: true, value: all });
});

Deno.test("domainSearchOption() writes RFC 3397's example: marketing.apple.com points at apple.com", () => {
  // RFC 3397 section 2: "eng.apple.com." and "marketing.apple.com.", the second ending in a
  // pointer to offset 4, where "apple" starts.
  const expected = "03656e67056170706c6503636f6d00" + "096d61726b6574696e67c004";
  assert.equal(hex(domainSearchOption(["eng.apple.com", "marketing.apple.com"])), expected);
  assert.deepEqual(parseCompressedDomainNames(fromHex(expected)), {
    ok: true,
    value: ["eng.apple.com", "marketing.apple.com"],
  });
});

Deno.test("domainSearchOption() points past offset 255 with both bytes of the 14-bit offset", () => {
  // Four names of one 62-byte label fill offsets 0 to 255 (64 bytes each); vm.example starts at
  // 256 (0x100), its "example" at 259 (0x103). RFC 1035 4.1.4: a pointer is 11 then 14 bits.
  const fill = ["a", "b", "c", "d"].map((c) => c.repeat(62));
  const names = [...fill, "vm.example", "db.example", "vm.example"];
  const expected = fill.map((l) => `3e${ascii(l)}00`).join("") +
    `02${ascii("vm")}07${ascii("example")}00` + // at 256
    `02${ascii("db")}c103` + // db, then a pointer to 0x103
    "c100"; // vm.example again: a pointer to 0x100
  assert.equal(hex(domainSearchOption(names)), expected);
  assert.deepEqual(parseCompressedDomainNames(fromHex(expected)), { ok: true, value: names });
});

Deno.test("NTP servers (42) and IPv6-only preferred (108) as RFC 2132 8.3 and RFC 8925 3.1 lay them out", () => {
  // 42: addresses, four bytes each, in order of preference.
  assert.equal(hex(ipv4ListOption([v4("192.0.2.123"), v4("198.51.100.1")])), "c000027bc6336401");
  assert.equal(hex(ipv4ListOption([])), "");
  // 108: V6ONLY_WAIT, seconds, 32 bits in network order.
  assert.equal(hex(u32Option(1800)), "00000708");
  assert.equal(hex(u32Option(0xfffffffe)), "fffffffe");
  // 26, the interface MTU: 16 bits.
  assert.equal(hex(u16Option(1500)), "05dc");
  assert.equal(hex(u16Option(65535)), "ffff");
  assert.equal(hex(u8Option(MESSAGE_TYPE.ack)), "05");
});

Deno.test("emitDhcp4() with our option encoders rebuilds a captured dnsmasq OFFER byte for byte", () => {
  const frame = capturedFrame("dhclient4_dora_renew_release.pcap", 2);
  // IPv4 header of 20 bytes and UDP of 8: the rest is the OFFER.
  const captured = frame.ipPacket.subarray(28);
  const draft = replyFromRequest({
    htype: 1,
    hlen: 6,
    xid: 0xa83e8246,
    flags: 0,
    giaddr: 0,
    chaddr: fromHex("525400770010"),
  });
  draft.yiaddr = v4("10.77.0.95");
  draft.siaddr = v4("10.77.0.1");
  // dnsmasq's order; values from its command line (2-minute leases, example.test).
  draft.options.set(OPTION.messageType, u8Option(MESSAGE_TYPE.offer));
  draft.options.set(OPTION.serverId, ipv4Option(v4("10.77.0.1")));
  draft.options.set(OPTION.leaseTime, u32Option(120));
  draft.options.set(OPTION.renewalTime, u32Option(15));
  draft.options.set(OPTION.rebindingTime, u32Option(40));
  draft.options.set(OPTION.subnetMask, ipv4Option(v4("255.255.255.0")));
  draft.options.set(OPTION.broadcastAddress, ipv4Option(v4("10.77.0.255")));
  draft.options.set(OPTION.domainName, textOption("example.test"));
  draft.options.set(OPTION.dnsServers, ipv4ListOption([v4("10.77.0.1")]));
  draft.options.set(OPTION.router, ipv4ListOption([v4("10.77.0.1")]));
  assert.equal(draft.op, BOOTREPLY);
  const out = new Uint8Array(captured.length + 8);
  const length = emitDhcp4(draft, out);
  assert.equal(hex(out.subarray(0, length)), hex(captured));
});

Deno.test("parseClasslessRoutes() refuses a prefix over 32 and a route cut short", () => {
  const refused = (wire: string) => {
    const parsed = parseClasslessRoutes(fromHex(wire));
    assert.ok(!parsed.ok, wire);
    return parsed.error;
  };
  assert.match(refused("21" + "0a000000" + "0a000001"), /prefix length 33 is over 32/);
  // /24: three octets of destination and four of router: one byte short.
  assert.match(refused("18" + "0a0000" + "0a0000"), /route for \/24 is cut short/);
});

Deno.test("overloadOf() takes option 52 of 1, 2 or 3 only", () => {
  const of = (value: number) => overloadOf(new Map([[OPTION.overload, Uint8Array.of(value)]]));
  assert.equal(of(1), 1);
  assert.equal(of(3), 3);
  assert.throws(() => of(0), /option 52/);
  assert.throws(() => of(4), /option 52/);
});
