/** Tests for domain names in DNS wire format (DHCPv6 option 24, the DNSSL option). */
import assert from "node:assert/strict";
import {
  compressedDomainNames,
  domainNameError,
  domainNamesLength,
  emitDomainNames,
  parseCompressedDomainNames,
  parseDomainNames,
} from "../../src/wire/dns_name.ts";
import { fromHex, hex } from "../hex.ts";

function encode(names: string[]): string {
  const into = new Uint8Array(domainNamesLength(names) + 2).fill(0xa5);
  const length = emitDomainNames(names, into, 1);
  assert.equal(length, into.length - 2);
  assert.equal(into[0], 0xa5);
  assert.equal(into[into.length - 1], 0xa5);
  return hex(into.subarray(1, 1 + length));
}

Deno.test("parseDomainNames() reads the captured example.test search list", () => {
  // The domain list option of dnsmasq's Reply in dhclient6_stateless_inforeq.pcap frame 6.
  const names = parseDomainNames(fromHex("076578616d706c650474657374" + "00"));
  assert.deepEqual(names, { ok: true, value: ["example.test"] });
});

Deno.test("emitDomainNames() writes names one after the other, each with its root label", () => {
  assert.equal(encode(["example.test"]), "076578616d706c6504746573740" + "0");
  assert.equal(encode(["example.test.", "a.b"]), "076578616d706c650474657374000161016200");
  assert.equal(encode(["."]), "00");
  assert.equal(encode([]), "");
});

Deno.test("domain names round-trip through text, escapes included", () => {
  const wire = "03612e62" + "025c5c" + "0320ff41" + "00";
  const names = parseDomainNames(fromHex(wire));
  assert.ok(names.ok);
  assert.deepEqual(names.value, ["a\\.b.\\\\\\\\.\\032\\255A"]);
  assert.equal(encode(names.value), wire);
  assert.deepEqual(parseDomainNames(fromHex("00")), { ok: true, value: ["."] });
});

Deno.test("emitDomainNames() encodes non-ASCII text as UTF-8", () => {
  assert.equal(encode(["é.test"]), "02c3a904746573740" + "0");
});

Deno.test("parseDomainNames() with padding stops at the zeros after the last name", () => {
  const padded = parseDomainNames(fromHex("0161000161016200" + "000000"), true);
  assert.deepEqual(padded, { ok: true, value: ["a", "a.b"] });
  const unpadded = parseDomainNames(fromHex("016100" + "00"), false);
  assert.deepEqual(unpadded, { ok: true, value: ["a", "."] });
});

Deno.test("parseDomainNames() rejects malformed names with a reason", () => {
  const long = ("3f" + "61".repeat(63)).repeat(4) + "00";
  const cases: [string, string, RegExp][] = [
    ["no root label", "0161", /runs past the end without its root label/],
    ["label past the end", "0561", /label of 5 bytes runs past the end/],
    ["compression pointer", "c00c", /0xc0 is a compression pointer/],
    ["reserved label type", "4001", /0x40 is a compression pointer/],
    ["name over 255 bytes", long, /longer than 255 bytes/],
    // 3 labels of 63, one of 62 and the root: 256 bytes, one too many.
    [
      "name of 256 bytes",
      ("3f" + "61".repeat(63)).repeat(3) + "3e" + "61".repeat(62) + "00",
      /longer than 255 bytes/,
    ],
  ];
  for (const [what, wire, reason] of cases) {
    const names = parseDomainNames(fromHex(wire));
    assert.equal(names.ok, false, what);
    if (!names.ok) {
      assert.match(names.error, /^Cannot parse domain names: /, what);
      assert.match(names.error, reason, what);
    }
  }
});

Deno.test("domainNameError() says why a name cannot be sent", () => {
  assert.equal(domainNameError("example.test"), null);
  assert.equal(domainNameError("example.test."), null);
  assert.match(domainNameError("")!, /empty/);
  assert.match(domainNameError("a..b")!, /empty label/);
  assert.match(domainNameError(".a")!, /empty label/);
  assert.match(domainNameError("a".repeat(64))!, /label longer than 63 bytes/);
  assert.match(domainNameError(`${"a".repeat(60)}.`.repeat(5))!, /longer than 255 bytes/);
  assert.match(domainNameError("a\\")!, /lone backslash/);
  assert.match(domainNameError("a\\256")!, /above \\255/);
  assert.throws(() => domainNamesLength(["a..b"]), RangeError);
  assert.throws(() => emitDomainNames(["example.test"], new Uint8Array(5)), RangeError);
});

Deno.test("emitDomainNames(): plain names (the fast path) give the bytes the label rules say", () => {
  const reference = (name: string) => {
    const labels = name.replace(/\.$/, "").split(".");
    return [...labels.flatMap((l) => [l.length, ...[...l].map((c) => c.charCodeAt(0))]), 0];
  };
  const long = "a".repeat(63);
  const names = ["example.test", "example.test.", "a", "a.", `${long}.b`, "x-1.y_2.Z"];
  for (const name of names) {
    const into = new Uint8Array(300).fill(0xee);
    const n = emitDomainNames([name], into, 1);
    assert.equal(n, domainNamesLength([name]), name);
    assert.deepEqual([...into.subarray(1, 1 + n)], reference(name), name);
    assert.equal(into[1 + n], 0xee, `${name}: nothing written past the name`);
  }
  // 4 labels of 63 bytes are 257 bytes on the wire: one too many; 3 of 63 and one of 61 fit.
  assert.throws(() => domainNamesLength([[long, long, long, long].join(".")]), RangeError);
  assert.equal(domainNamesLength([[long, long, long, "a".repeat(61)].join(".")]), 255);
  for (const bad of [`${long}a.b`, "a..b", ".a", "a.."]) {
    assert.throws(() => domainNamesLength([bad]), RangeError, bad);
  }
  assert.throws(() => emitDomainNames(["example.test"], new Uint8Array(13)), RangeError);
  assert.equal(emitDomainNames(["example.test"], new Uint8Array(14)), 14);
});

Deno.test("parseCompressedDomainNames() refuses the reserved label types 01 and 10 (RFC 1035 4.1.4)", () => {
  for (const first of ["40", "80", "7f", "bf"]) {
    const read = parseCompressedDomainNames(fromHex(`${first}0161${"00".repeat(70)}`));
    assert.equal(read.ok, false, first);
    assert.match(read.ok ? "" : read.error, new RegExp(`label length byte 0x${first} is reserved`));
  }
});

Deno.test("emitDomainNames() of a name off the fast path throws when only its root label has no room", () => {
  // "é" is one label of 2 bytes (UTF-8): 3 bytes of label, then the root's zero.
  assert.throws(() => emitDomainNames(["é"], new Uint8Array(3)), RangeError);
  assert.equal(emitDomainNames(["é"], new Uint8Array(4)), 4);
});

Deno.test("emitDomainNames() writes nothing of a name off the fast path that has no room", () => {
  // "é.a" is 3 + 2 + 1 bytes: its first label would fit in 5, the whole name does not.
  const into = new Uint8Array(5).fill(0xee);
  assert.throws(() => emitDomainNames(["é.a"], into), /no room/);
  assert.deepEqual(Array.from(into), [0xee, 0xee, 0xee, 0xee, 0xee]);
  assert.equal(emitDomainNames(["é.a"], new Uint8Array(6)), 6);
});

Deno.test("parseCompressedDomainNames() counts a name's length across its pointer: 255 bytes pass, 256 do not", () => {
  const label = (n: number) => `${n.toString(16).padStart(2, "0")}${"61".repeat(n)}`;
  // First name: 3 labels of 63 (193 bytes with its root). The second: one label, then a pointer to
  // the first, so its own wire form is its label's bytes + 193.
  const first = `${label(63).repeat(3)}00`;
  const fits = parseCompressedDomainNames(fromHex(`${first}${label(61)}c000`));
  assert.ok(fits.ok, fits.ok ? "" : fits.error);
  assert.deepEqual(fits.value.map((n) => n.length), [191, 253]);
  const long = parseCompressedDomainNames(fromHex(`${first}${label(62)}c000`));
  assert.equal(long.ok, false);
  assert.match(long.ok ? "" : long.error, /longer than 255 bytes/);
});

Deno.test("domainNamesLength() refuses a plain name whose last label is over 63 bytes", () => {
  assert.throws(() => domainNamesLength([`b.${"a".repeat(64)}`]), RangeError);
  assert.equal(domainNamesLength([`b.${"a".repeat(63)}`]), 67);
});

Deno.test("domainNamesLength() takes a name of exactly 255 bytes on the wire off the fast path too", () => {
  const label = "a".repeat(63);
  // The escaped dot keeps it off the fast path: 3 labels of 63, one of 61 with an escaped dot (\.) in it.
  const name = [label, label, label, `${"b".repeat(59)}\\.c`].join(".");
  assert.equal(domainNamesLength([name]), 255);
});

Deno.test("parseCompressedDomainNames() refuses a compression pointer to itself or further on", () => {
  // RFC 1035 4.1.4: a pointer names an earlier occurrence; one forward (to a root label at 2) or
  // to itself is refused, so no crafted option can make the reader loop.
  for (const [bytes, at] of [["c00200", 0], ["0161c002", 2], ["c000", 0]] as const) {
    const read = parseCompressedDomainNames(fromHex(bytes));
    assert.equal(read.ok, false, bytes);
    assert.match(
      read.ok ? "" : read.error,
      new RegExp(`pointer at ${at} does not point backwards`),
    );
  }
});

Deno.test("parseDomainNames() shows DEL (0x7f) and bytes above as \\DDD escapes, '~' as itself", () => {
  const read = parseDomainNames(fromHex("037e7f8000"));
  assert.ok(read.ok, read.ok ? "" : read.error);
  assert.deepEqual(read.value, ["~\\127\\128"]);
});

Deno.test("emitDomainNames() takes only a trailing dot for the root: another last character stays", () => {
  const cases: [string, string][] = [["a/", "02612f00"], ["a-", "02612d00"], ["a.", "016100"]];
  for (const [name, bytes] of cases) {
    const into = new Uint8Array(4);
    const n = emitDomainNames([name], into);
    assert.equal(hex(into.subarray(0, n)), bytes, name);
  }
});

Deno.test("compressedDomainNames() points at a name that starts at the last offset a pointer holds (0x3fff)", () => {
  // 255 names of 64 bytes and one of 63 fill offsets 0 to 0x3ffe; then a name at 0x3fff, twice.
  const fill = Array.from({ length: 256 }, (_, i) => `${i}`.padStart(i < 255 ? 62 : 61, "a"));
  const list = compressedDomainNames([...fill, "x", "x"]);
  assert.equal(list.length, 0x3fff + 3 + 2);
  assert.equal(hex(list.subarray(0x3fff)), "017800" + "ffff");
  const read = parseCompressedDomainNames(list);
  assert.ok(read.ok, read.ok ? "" : read.error);
  assert.deepEqual(read.value.slice(-2), ["x", "x"]);
});

Deno.test("parseDomainNames() reads a name of exactly 255 bytes on the wire", () => {
  const read = parseDomainNames(
    fromHex(("3f" + "61".repeat(63)).repeat(3) + "3d" + "61".repeat(61) + "00"),
  );
  assert.ok(read.ok, read.ok ? "" : read.error);
  assert.equal(read.value[0]!.length, 253);
});

Deno.test("parseCompressedDomainNames() refuses a compression pointer cut short, first or after a name", () => {
  for (const bytes of ["c0", "016100c0"]) {
    const read = parseCompressedDomainNames(fromHex(bytes));
    assert.equal(read.ok, false, bytes);
    assert.match(read.ok ? "" : read.error, /compression pointer is cut short/, bytes);
  }
});
