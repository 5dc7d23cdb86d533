/** Operators' DHCP values: static routes, address and domain lists, domain names; each refusal's reason. */
import assert from "node:assert/strict";
import {
  isDomainName,
  parseDomainList,
  parseIpv4List,
  parseIpv6List,
  parseStaticRoute4,
  parseStaticRoutes4,
} from "../src/dhcp_values.ts";

Deno.test("parseStaticRoute4() reads DEST/LEN ROUTER; a bare DEST is a /32, 0.0.0.0 on-link", () => {
  assert.deepEqual(parseStaticRoute4("10.1.0.0/16 10.0.0.1"), {
    destination: 0x0a010000,
    prefixLength: 16,
    router: 0x0a000001,
  });
  assert.deepEqual(parseStaticRoute4("  192.0.2.7\t0.0.0.0 "), {
    destination: 0xc0000207,
    prefixLength: 32,
    router: 0,
  });
  assert.deepEqual(parseStaticRoute4("0.0.0.0/0 10.0.0.1"), {
    destination: 0,
    prefixLength: 0,
    router: 0x0a000001,
  });
});

Deno.test("parseStaticRoute4() says why a route is refused", () => {
  const cases: [string, string][] = [
    ["10.1.0.0/16", 'not "DEST/LEN ROUTER": "10.1.0.0/16"'],
    ["10.1.0.0/16 10.0.0.1 x", 'not "DEST/LEN ROUTER": "10.1.0.0/16 10.0.0.1 x"'],
    ["10.1.0.0/33 10.0.0.1", 'not an IPv4 destination (address/length): "10.1.0.0/33"'],
    ["10.1.0.0/1x 10.0.0.1", 'not an IPv4 destination (address/length): "10.1.0.0/1x"'],
    ["10.1.0.0/ 10.0.0.1", 'not an IPv4 destination (address/length): "10.1.0.0/"'],
    ["10.1.0.0/16/8 10.0.0.1", 'not an IPv4 destination (address/length): "10.1.0.0/16/8"'],
    ["10.1.0/16 10.0.0.1", 'not an IPv4 destination (address/length): "10.1.0/16"'],
    ["10.1.2.0/16 10.0.0.1", 'destination has host bits set: "10.1.2.0/16" (is it 10.1.0.0/16?)'],
    ["10.1.0.0/16 router", 'router is not an IPv4 address: "router"'],
  ];
  for (const [text, why] of cases) assert.equal(parseStaticRoute4(text), why, text);
  assert.equal(typeof parseStaticRoute4("10.1.0.1/32 10.0.0.1"), "object", "no host bits at /32");
  assert.equal(
    parseStaticRoute4("10.1.0.1/31 10.0.0.1"),
    'destination has host bits set: "10.1.0.1/31" (is it 10.1.0.0/31?)',
  );
});

Deno.test("parseStaticRoutes4() reads comma-separated routes, skips empty items, stops at a bad one", () => {
  assert.deepEqual(parseStaticRoutes4("10.1.0.0/16 10.0.0.1, , 0.0.0.0/0 10.0.0.2,"), [
    { destination: 0x0a010000, prefixLength: 16, router: 0x0a000001 },
    { destination: 0, prefixLength: 0, router: 0x0a000002 },
  ]);
  assert.deepEqual(parseStaticRoutes4(""), []);
  assert.equal(
    parseStaticRoutes4("10.1.0.0/16 10.0.0.1, 10.2.0.0/16"),
    'not "DEST/LEN ROUTER": " 10.2.0.0/16"',
  );
});

Deno.test("parseIpv4List() and parseIpv6List() split on commas and white space; one bad is null", () => {
  assert.deepEqual(parseIpv4List("192.0.2.1, 192.0.2.2 192.0.2.3,,"), [
    0xc0000201,
    0xc0000202,
    0xc0000203,
  ]);
  assert.deepEqual(parseIpv4List("  "), []);
  assert.equal(parseIpv4List("192.0.2.1, 192.0.2"), null);
  const v6 = parseIpv6List("2001:db8::1 ,::1");
  assert.equal(v6!.length, 2);
  assert.equal(v6![1]![15], 1);
  assert.equal(parseIpv6List("2001:db8::1, 192.0.2.1"), null);
});

Deno.test("parseDomainList() keeps the names in order, or null when one is no domain name", () => {
  assert.deepEqual(parseDomainList("a.example, b.example c"), ["a.example", "b.example", "c"]);
  assert.deepEqual(parseDomainList(""), []);
  assert.equal(parseDomainList("a.example, a..b"), null);
});

Deno.test("isDomainName(): labels of 1 to 63 letters, digits, - or _, 253 at most, a final dot allowed", () => {
  for (const ok of ["example.com", "example.com.", "a", "_srv-1.x", `${"a".repeat(63)}.b`]) {
    assert.equal(isDomainName(ok), true, ok);
  }
  const long = Array.from({ length: 4 }, () => "a".repeat(62)).join(".") + ".b"; // 253
  assert.equal(long.length, 253);
  assert.equal(isDomainName(long), true);
  assert.equal(isDomainName(`${long}.`), true, "the final dot does not count");
  for (
    const bad of ["", ".", "a..b", ".a", `${"a".repeat(64)}.b`, "a b", "é.example", `${long}c`]
  ) {
    assert.equal(isDomainName(bad), false, JSON.stringify(bad));
  }
});
