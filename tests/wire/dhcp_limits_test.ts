/**
 * Every length check of the DHCPv4, DHCPv6 and ND codecs on both sides of its limit (DUIDs:
 * duid_test.ts): the shortest whole input is read, one byte less (or more, where the size is
 * fixed) is refused with its reason.
 */
import assert from "node:assert/strict";
import { dhcp4Length, emitDhcp4, parseDhcp4, replyFromRequest } from "../../src/wire/dhcp4.ts";
import { maxMessageSize, readOptionArea, requestedIp } from "../../src/wire/dhcp4_options.ts";
import { parseDhcp6 } from "../../src/wire/dhcp6.ts";
import { parseDhcp6Options } from "../../src/wire/dhcp6_options.ts";
import type { Icmpv6Message } from "../../src/wire/icmpv6.ts";
import { parseNdMessage } from "../../src/wire/ndp.ts";
import { guard, type Parsed } from "../../src/wire/parsed.ts";

function error<T>(parsed: Parsed<T>): string {
  assert.equal(parsed.ok, false, "parsed where it should have been refused");
  return (parsed as { error: string }).error;
}

function value<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) assert.fail(parsed.error);
  return parsed.value;
}

/** A BOOTREQUEST of `length` bytes with the magic cookie (when it fits) and `options` after it. */
function dhcp4(length: number, options: readonly number[] = [], hlen = 6): Uint8Array {
  const bytes = new Uint8Array(Math.max(length, 240 + options.length));
  bytes.set([1, 1, hlen, 0]);
  bytes.set([0x63, 0x82, 0x53, 0x63], 236);
  bytes.set(options, 240);
  return bytes.subarray(0, length === 0 ? bytes.length : length);
}

Deno.test("parseDhcp4(): 240 bytes (header and cookie, no options) is a message; 239 is cut", () => {
  const bare = value(parseDhcp4(dhcp4(240)));
  assert.equal(bare.options.size, 0);
  assert.match(error(parseDhcp4(dhcp4(239))), /magic cookie is cut after 3 bytes/);
  assert.match(error(parseDhcp4(dhcp4(237))), /magic cookie is cut after 1 bytes/);
  assert.match(error(parseDhcp4(dhcp4(236))), /no DHCP magic cookie/);
  assert.match(
    error(parseDhcp4(dhcp4(235))),
    /235 bytes is shorter than the 236-byte BOOTP header/,
  );
});

Deno.test("parseDhcp4(): hlen 16 fills chaddr and is read whole; 17 is refused", () => {
  const full = value(parseDhcp4(dhcp4(240, [], 16)));
  assert.equal(full.chaddr.length, 16);
  assert.match(error(parseDhcp4(dhcp4(240, [], 17))), /hlen 17 exceeds the 16-byte chaddr field/);
});

Deno.test("emitDhcp4() splits a value at every 255 bytes and loses none (0, 1, 255, 256, 511)", () => {
  for (const size of [0, 1, 254, 255, 256, 509, 510, 511]) {
    const reply = replyFromRequest(value(parseDhcp4(dhcp4(240))));
    const long = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
    reply.options.set(224, long);
    const into = new Uint8Array(dhcp4Length(reply));
    emitDhcp4(reply, into);
    const chunks = Math.max(1, Math.ceil(size / 255));
    assert.equal(into.length, 240 + 2 * chunks + size + 1, `${size} bytes`);
    assert.deepEqual(value(parseDhcp4(into)).options.get(224), long, `${size} bytes`);
  }
});

Deno.test("parseDhcp4(): without option 52, options-like bytes in file and sname are not options", () => {
  const bytes = dhcp4(300, [53, 1, 1, 255]);
  // Hostname options in file (at 108) and sname (at 44), each ended: read only when overloaded.
  bytes.set([12, 2, 0x68, 0x69, 255], 108);
  bytes.set([12, 2, 0x68, 0x6f, 255], 44);
  const m = value(parseDhcp4(bytes));
  assert.deepEqual([...m.options.keys()], [53]);
  const overloaded = dhcp4(300, [53, 1, 1, 52, 1, 1, 255]);
  overloaded.set([12, 2, 0x68, 0x69, 255], 108);
  assert.deepEqual(value(parseDhcp4(overloaded)).options.get(12), Uint8Array.of(0x68, 0x69));
});

Deno.test("emitDhcp4() writes sname and file up to 64 and 128 bytes, the start of a longer value, zeros after a shorter one", () => {
  const reply = replyFromRequest(value(parseDhcp4(dhcp4(240))));
  const ramp = (n: number) => new Uint8Array(n).map((_, i) => i + 1);
  for (const [sname, file] of [[ramp(70), ramp(130)], [ramp(64), ramp(128)], [ramp(3), ramp(5)]]) {
    // Junk in the buffer first: a field is zeroed past its value, never left as it was.
    const into = new Uint8Array(dhcp4Length(reply)).fill(0xa5);
    emitDhcp4({ ...reply, sname: sname!, file: file! }, into);
    const expect = (v: Uint8Array, size: number) => {
      const field = new Uint8Array(size);
      field.set(v.subarray(0, size));
      return [...field];
    };
    assert.deepEqual([...into.subarray(44, 108)], expect(sname!, 64), `sname of ${sname!.length}`);
    assert.deepEqual([...into.subarray(108, 236)], expect(file!, 128), `file of ${file!.length}`);
  }
});

/** Reads an option area into a new map, as the parser does. */
function area(bytes: readonly number[]): Parsed<Map<number, Uint8Array>> {
  return guard("options", () => {
    const options = new Map<number, Uint8Array>();
    readOptionArea(Uint8Array.from(bytes), options, "options");
    return options;
  });
}

Deno.test("readOptionArea(): an option ending the area exactly is read; a lone last code is not", () => {
  assert.deepEqual([...value(area([50, 4, 10, 0, 0, 1])).get(50)!], [10, 0, 0, 1]);
  assert.deepEqual([...value(area([0, 0, 50, 0])).get(50)!], [], "pads, then an empty option");
  assert.match(
    error(area([50, 4, 10, 0, 0])),
    /option 50 in options claims 4 bytes, only 3 remain/,
  );
  assert.match(error(area([0, 50])), /option 50 in options has no length byte/);
  assert.equal(value(area([0, 0, 255, 50])).size, 0, "nothing after END is read");
});

Deno.test("readOptionArea(): a repeated option is concatenated in order (RFC 3396)", () => {
  const options = value(area([12, 2, 0x61, 0x62, 6, 1, 9, 12, 1, 0x63]));
  assert.deepEqual([...options.get(12)!], [0x61, 0x62, 0x63]);
  assert.deepEqual([...options.get(6)!], [9]);
});

Deno.test("DHCPv4 accessors read only values of exactly their size", () => {
  const of = (code: number, value: number[]) => new Map([[code, Uint8Array.from(value)]]);
  assert.equal(requestedIp(of(50, [10, 0, 0, 1])), 0x0a000001);
  assert.equal(requestedIp(of(50, [10, 0, 0, 1, 0])), null);
  assert.equal(requestedIp(of(50, [10, 0, 0])), null);
  assert.equal(maxMessageSize(of(57, [2, 64])), 576);
  assert.equal(maxMessageSize(of(57, [2, 64, 0])), null);
  assert.equal(maxMessageSize(of(57, [2])), null);
});

Deno.test("parseDhcp6(): 4 bytes is a message, 34 a relay, without options; one less is refused", () => {
  const message = value(parseDhcp6(Uint8Array.of(1, 0xab, 0xcd, 0xef)));
  assert.equal(message.kind, "message");
  assert.equal(message.kind === "message" && message.transactionId, 0xabcdef);
  assert.deepEqual(message.options, []);
  assert.match(error(parseDhcp6(Uint8Array.of(1, 0xab, 0xcd))), /3 bytes/);
  const relay = new Uint8Array(34);
  relay[0] = 12;
  assert.equal(value(parseDhcp6(relay)).kind, "relay");
  assert.match(error(parseDhcp6(relay.subarray(0, 33))), /33 bytes/);
  assert.match(error(parseDhcp6(new Uint8Array(0))), /message is empty/);
});

function options6(bytes: readonly number[]) {
  return guard("options", () => parseDhcp6Options(Uint8Array.from(bytes)));
}

Deno.test("parseDhcp6Options(): an empty option ending the data exactly; a cut header is refused", () => {
  assert.deepEqual(value(options6([0xff, 0x01, 0, 0])), [
    { kind: "unknown", code: 0xff01, data: new Uint8Array(0) },
  ]);
  assert.match(error(options6([0xff, 0x01, 0])), /option at 0 is cut short/);
  assert.equal(value(options6([0xff, 0x01, 0, 2, 7, 8])).length, 1);
  assert.match(error(options6([0xff, 0x01, 0, 3, 7, 8])), /option 65281 of 3 bytes overruns/);
});

Deno.test("parseDhcp6Options(): IA_NA of exactly 12 bytes; fixed sizes are exact", () => {
  const ia = value(options6([0, 3, 0, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]));
  assert.deepEqual(ia, [{ kind: "iaNa", iaid: 1, t1: 2, t2: 3, options: [] }]);
  assert.match(
    error(options6([0, 3, 0, 11, ...new Array(11).fill(0)])),
    /11 bytes is shorter than 12/,
  );
  // Elapsed time (8) is 2 bytes, preference (7) 1 byte: no more, no less.
  assert.equal(value(options6([0, 8, 0, 2, 0, 5])).length, 1);
  assert.match(error(options6([0, 8, 0, 3, 0, 5, 0])), /option 8 has 3 bytes, not 2/);
  assert.match(error(options6([0, 8, 0, 1, 0])), /option 8 has 1 bytes, not 2/);
  assert.match(error(options6([0, 7, 0, 2, 0, 5])), /option 7 has 2 bytes, not 1/);
});

Deno.test("parseDhcp6Options(): an option request of odd length, DNS servers of 8 bytes are refused", () => {
  assert.deepEqual(value(options6([0, 6, 0, 4, 0, 23, 0, 24])), [
    { kind: "optionRequest", codes: [23, 24] },
  ]);
  assert.match(error(options6([0, 6, 0, 3, 0, 23, 0])), /option request of 3 bytes/);
  assert.equal(value(options6([0, 23, 0, 16, ...new Array(16).fill(1)])).length, 1);
  assert.match(error(options6([0, 23, 0, 8, ...new Array(8).fill(1)])), /DNS servers option of 8/);
  assert.match(
    error(options6([0, 23, 0, 17, ...new Array(17).fill(1)])),
    /DNS servers option of 17/,
  );
});

Deno.test("parseDhcp6Options(): status codes nested IA → address → status → … at most 4 deep", () => {
  // Unknown options are not containers, so nest IA_TA (code 4: iaid, then options) in IA_TA.
  const nest = (depth: number): number[] => {
    if (depth === 0) return [];
    const inner = nest(depth - 1);
    return [0, 4, 0, 4 + inner.length, 0, 0, 0, depth, ...inner];
  };
  assert.ok(options6(nest(4)).ok, "options at depth 4 are read");
  assert.match(error(options6(nest(5))), /nested too deep/);
});

function nd(type: number, body: readonly number[]) {
  const icmp: Icmpv6Message = {
    type,
    code: 0,
    checksum: 0,
    checksumValid: true,
    body: Uint8Array.from(body),
  };
  return parseNdMessage(icmp);
}

const TARGET = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

Deno.test("parseNdMessage(): each message at exactly its fixed part; one byte less is refused", () => {
  assert.equal(value(nd(133, [0, 0, 0, 0])).kind, "routerSolicitation");
  assert.match(error(nd(133, [0, 0, 0])), /type 133 body of 3 bytes is shorter than 4/);
  assert.equal(value(nd(134, new Array(12).fill(0))).kind, "routerAdvertisement");
  assert.match(error(nd(134, new Array(11).fill(0))), /shorter than 12/);
  assert.equal(value(nd(135, [0, 0, 0, 0, ...TARGET])).kind, "neighbourSolicitation");
  assert.match(error(nd(135, [0, 0, 0, 0, ...TARGET.slice(1)])), /shorter than 20/);
  assert.equal(value(nd(136, [0, 0, 0, 0, ...TARGET])).kind, "neighbourAdvertisement");
});

/** An NS carrying `options`. */
const ns = (options: readonly number[]) => nd(135, [0, 0, 0, 0, ...TARGET, ...options]);

Deno.test("ND options: one ending the message exactly is read; a cut or empty one is refused", () => {
  const sllao = [1, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56];
  const message = value(ns(sllao));
  assert.equal(message.kind === "neighbourSolicitation" && message.options.length, 1);
  assert.match(error(ns(sllao.slice(0, 7))), /overruns|cut/);
  assert.match(error(ns([1])), /option at 0 is cut short/);
  // Two bytes are a whole option header: what is wrong is then its length, not a cut header.
  assert.match(error(ns([1, 0])), /option 1 at 0 has length 0/);
  assert.doesNotMatch(error(ns([1, 1])), /cut short/);
  assert.match(error(ns([1, 0, 0, 0, 0, 0, 0, 0])), /option 1 at 0 has length 0/);
});

/** A Prefix Information option (32 bytes) for `length`. */
const prefixOption = (length: number) => [3, 4, length, 0xc0, ...new Array(28).fill(0)];

Deno.test("ND options: prefix length 128 is read and 129 refused; RDNSS of one server, DNSSL of 16", () => {
  const ra = (options: readonly number[]) => nd(134, [...new Array(12).fill(0), ...options]);
  assert.ok(ra(prefixOption(128)).ok);
  assert.match(error(ra(prefixOption(129))), /prefix length 129 is over 128/);
  const rdnss = [25, 3, 0, 0, 0, 0, 0, 60, ...new Array(16).fill(0x20)];
  assert.ok(ra(rdnss).ok, "an RDNSS with one server");
  assert.match(error(ra([25, 1, 0, 0, 0, 0, 0, 60])), /RDNSS option of 8 bytes/);
  const dnssl = [31, 2, 0, 0, 0, 0, 0, 60, 1, 0x61, 0, 0, 0, 0, 0, 0];
  assert.ok(ra(dnssl).ok, "the shortest DNSSL: one one-letter name");
  assert.match(error(ra([31, 1, 0, 0, 0, 0, 0, 60])), /DNSSL option of 8 bytes holds no name/);
});
