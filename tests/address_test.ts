/** Address text forms (src/address.ts): RFC 5952 IPv6 text, MAC and IPv4 text, EUI-64 addresses. */
import assert from "node:assert/strict";
import {
  eui64Address,
  eui64InterfaceId,
  formatIpv4,
  formatIpv6,
  formatMac,
  linkLocalOf,
  parseIpv6,
  parseMac,
} from "../src/address.ts";

const v6 = (text: string) => parseIpv6(text)!;
const mac = (text: string) => parseMac(text)!;

Deno.test("formatIpv6() writes RFC 5952 text: lowercase, no leading zeros, the longest zero run as ::", () => {
  assert.equal(formatIpv6(new Uint8Array(16)), "::");
  assert.equal(formatIpv6(v6("0:0:0:0:0:0:0:1")), "::1");
  assert.equal(formatIpv6(v6("1:0:0:0:0:0:0:0")), "1::");
  assert.equal(formatIpv6(v6("2001:0DB8:00AB:0:0:0:0:0001")), "2001:db8:ab::1");
  assert.equal(formatIpv6(v6("1:2:3:4:5:6:7:8")), "1:2:3:4:5:6:7:8", "no zero group");
});

Deno.test("formatIpv6() leaves a single zero group alone and picks the first of equal runs", () => {
  // RFC 5952 section 4.2.2: "::" must not stand for one 16-bit 0 field.
  assert.equal(formatIpv6(v6("2001:db8:0:1:1:1:1:1")), "2001:db8:0:1:1:1:1:1");
  // Section 4.2.3: the longest run is shortened, and of equal runs the first.
  assert.equal(formatIpv6(v6("2001:0:0:1:0:0:0:1")), "2001:0:0:1::1");
  assert.equal(formatIpv6(v6("2001:db8:0:0:1:0:0:1")), "2001:db8::1:0:0:1");
  assert.equal(formatIpv6(v6("0:0:1:2:3:4:0:0")), "::1:2:3:4:0:0");
});

Deno.test("formatMac() pads every byte to two lowercase digits; formatIpv4() reads 32 unsigned bits", () => {
  assert.equal(formatMac(Uint8Array.of(0, 0x0a, 0xab, 0xff, 1, 0x10)), "00:0a:ab:ff:01:10");
  assert.equal(formatIpv4(0), "0.0.0.0");
  assert.equal(formatIpv4(0xffffffff), "255.255.255.255");
  assert.equal(formatIpv4(0x80000001), "128.0.0.1");
  assert.equal(formatIpv4(0x0a4d00fe), "10.77.0.254");
});

Deno.test("eui64InterfaceId() flips the universal/local bit and puts ff:fe in the middle", () => {
  assert.deepEqual(
    [...eui64InterfaceId(mac("52:54:00:12:34:56"))],
    [0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56],
  );
  assert.deepEqual(
    [...eui64InterfaceId(mac("00:16:3e:aa:bb:cc"))],
    [0x02, 0x16, 0x3e, 0xff, 0xfe, 0xaa, 0xbb, 0xcc],
  );
});

Deno.test("eui64Address() keeps the first 64 bits of the prefix; linkLocalOf() uses fe80::/64", () => {
  const m = mac("52:54:00:12:34:56");
  assert.equal(formatIpv6(eui64Address(v6("2001:db8:1:2::"), m)), "2001:db8:1:2:5054:ff:fe12:3456");
  // Bits past /64 in the given prefix are replaced, not kept.
  assert.equal(formatIpv6(eui64Address(v6("2001:db8::ffff:1"), m)), "2001:db8::5054:ff:fe12:3456");
  assert.equal(formatIpv6(linkLocalOf(m)), "fe80::5054:ff:fe12:3456");
  const prefix = v6("2001:db8::");
  eui64Address(prefix, m);
  assert.equal(formatIpv6(prefix), "2001:db8::", "the prefix is not written to");
});
