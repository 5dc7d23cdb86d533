/** Text <-> binary addresses at their edges: group sizes, 255, /0 and /32, `::`, EUI-64. */
import assert from "node:assert/strict";
import {
  formatIpv4,
  formatIpv6,
  formatMac,
  ipv4Mask,
  ipv6InPrefix,
  parseIpv4,
  parseIpv6,
  parseMac,
  sameMac,
} from "../../src/address.ts";
import { isMulticast, macOfEui64 } from "../../src/wire/ipv6.ts";

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

Deno.test("macOfEui64() needs both ff and fe in the middle of the identifier", () => {
  assert.deepEqual(
    formatMac(macOfEui64(parseIpv6("fe80::5054:ff:fe6a:1")!)!),
    "52:54:00:6a:00:01",
  );
  assert.equal(macOfEui64(parseIpv6("fe80::5054:ff:fd6a:1")!), null, "ff:fd");
  assert.equal(macOfEui64(parseIpv6("fe80::5054:fe:fe6a:1")!), null, "fe:fe");
});

Deno.test("isMulticast() is the ff00::/8 block only", () => {
  assert.ok(isMulticast(parseIpv6("ff02::1")!));
  assert.ok(!isMulticast(parseIpv6("fe80::1")!));
  assert.ok(!isMulticast(parseIpv6("::1")!));
});
