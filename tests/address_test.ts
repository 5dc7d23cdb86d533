/**
 * Address text forms (src/address.ts): RFC 5952 IPv6 text, MAC and IPv4 text, EUI-64 addresses,
 * and their edges: group sizes, 255, /0 and /32, `::`, a prefix's last bit.
 */
import assert from "node:assert/strict";
import {
  eui64Address,
  eui64InterfaceId,
  formatIpv4,
  formatIpv6,
  formatMac,
  ipv4Mask,
  ipv6InPrefix,
  linkLocalOf,
  parseIpv4,
  parseIpv6,
  parseMac,
  sameMac,
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

Deno.test("parseMac() takes one or two hex digits a group, six groups, either case", () => {
  assert.deepEqual([...parseMac("52:54:0:AB:cd:ff")!], [0x52, 0x54, 0, 0xab, 0xcd, 0xff]);
  assert.equal(parseMac("52:54:000:ab:cd:ef"), null, "three digits");
  assert.equal(parseMac("52:54::ab:cd:ef"), null, "an empty group");
  assert.equal(parseMac("52:54:00:ab:cd"), null, "five groups");
  assert.equal(parseMac("52:54:00:ab:cd:ef:01"), null, "seven groups");
  assert.equal(parseMac("52:54:00:ab:cd:eg"), null, "not hex");
  // The characters just outside each hex range, each as the only bad one of its group.
  for (const bad of ["/", "@", "G", "`", "g"]) {
    assert.equal(parseMac(`52:54:00:ab:cd:0${bad}`), null, `"${bad}" is no hex digit`);
    assert.equal(parseMac(`52:54:00:ab:cd:${bad}`), null, `"${bad}" is no hex digit`);
  }
  assert.deepEqual([...parseMac("52:54:00:ab:cd:0F")!], [0x52, 0x54, 0, 0xab, 0xcd, 0x0f]);
  assert.deepEqual([...parseMac("52:54:00:ab:cd:A9")!], [0x52, 0x54, 0, 0xab, 0xcd, 0xa9]);
  assert.equal(formatMac(parseMac("0:1:2:a:b:c")!), "00:01:02:0a:0b:0c");
  assert.ok(sameMac(parseMac("00:00:00:00:00:01")!, parseMac("0:0:0:0:0:1")!));
  assert.ok(!sameMac(parseMac("00:00:00:00:00:01")!, parseMac("00:00:00:00:00:02")!));
});

Deno.test("parseIpv4() takes octets 0..255 only, four of them", () => {
  assert.equal(parseIpv4("255.255.255.255"), 0xffffffff);
  assert.equal(parseIpv4("0.0.0.0"), 0);
  assert.equal(parseIpv4("10.0.0.256"), null);
  assert.equal(parseIpv4("10.0.0"), null);
  assert.equal(parseIpv4("10.0.0.1.2"), null);
  assert.equal(formatIpv4(0xc0a80aff), "192.168.10.255");
});

Deno.test("ipv4Mask() of /0, /1, /24, /31 and /32", () => {
  assert.equal(ipv4Mask(0), 0);
  assert.equal(ipv4Mask(1), 0x80000000);
  assert.equal(ipv4Mask(24), 0xffffff00);
  assert.equal(ipv4Mask(31), 0xfffffffe);
  assert.equal(ipv4Mask(32), 0xffffffff);
});

Deno.test("parseIpv6(): :: stands for at least one group; eight groups, or fewer with ::", () => {
  assert.equal(formatIpv6(parseIpv6("2001:db8::1")!), "2001:db8::1");
  assert.equal(formatIpv6(parseIpv6("2001:db8:0:0:0:0:0:1")!), "2001:db8::1");
  assert.ok(parseIpv6("1:2:3:4:5:6:7::") !== null, ":: for the last group");
  assert.ok(parseIpv6("::2:3:4:5:6:7:8") !== null, ":: for the first group");
  assert.equal(parseIpv6("1:2:3:4::5:6:7:8"), null, ":: for no group at all");
  assert.equal(parseIpv6("1:2:3:4:5:6:7"), null, "seven groups without ::");
  assert.equal(parseIpv6("1::2::3"), null, "two ::");
  assert.deepEqual([...parseIpv6("::ffff:10.0.0.1")!.subarray(10)], [0xff, 0xff, 10, 0, 0, 1]);
});

Deno.test("ipv6InPrefix() at the prefix's last bit", () => {
  const prefix = parseIpv6("2001:db8:1::")!;
  assert.ok(ipv6InPrefix(parseIpv6("2001:db8:1::5")!, prefix, 64));
  assert.ok(!ipv6InPrefix(parseIpv6("2001:db8:1:1::5")!, prefix, 64));
  assert.ok(ipv6InPrefix(parseIpv6("2001:db8:1:1::5")!, prefix, 63));
  assert.ok(ipv6InPrefix(parseIpv6("ffff::")!, prefix, 0));
});
