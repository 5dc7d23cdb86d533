/** Tests for the IPv4 header codec on captured and crafted packets. */
import assert from "node:assert/strict";
import { internetChecksum } from "../../src/wire/checksum.ts";
import {
  emitIpv4Header,
  IPV4_HEADER_LENGTH,
  isFragment,
  parseIpv4Packet,
} from "../../src/wire/ipv4.ts";
import { capturedFrame } from "../pcap.ts";

const ip = (a: number, b: number, c: number, d: number) =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

function parsed(file: string, frame: number) {
  const result = parseIpv4Packet(capturedFrame(file, frame).ipPacket);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** A copy of `bytes` with `edit` applied and the header checksum fixed (unless `keepChecksum`). */
function mutated(
  bytes: Uint8Array,
  edit: (b: Uint8Array) => void,
  keepChecksum = false,
): Uint8Array {
  const copy = bytes.slice();
  edit(copy);
  if (!keepChecksum && copy.length >= 20) {
    const headerLength = Math.min((copy[0]! & 0x0f) * 4, copy.length);
    copy[10] = copy[11] = 0;
    const sum = internetChecksum(copy, 0, headerLength);
    copy[10] = sum >> 8;
    copy[11] = sum & 0xff;
  }
  return copy;
}

Deno.test("parseIpv4Packet() reads a captured broadcast DISCOVER", () => {
  const p = parsed("dhclient4_dora_renew_release.pcap", 1);
  assert.equal(p.ihl, 5);
  assert.equal(p.headerLength, 20);
  assert.equal(p.tos, 0x10);
  assert.equal(p.totalLength, 328);
  assert.equal(p.identification, 0);
  assert.equal(p.dontFragment, false);
  assert.equal(p.moreFragments, false);
  assert.equal(p.fragmentOffset, 0);
  assert.equal(p.ttl, 128);
  assert.equal(p.protocol, 17);
  assert.equal(p.checksum, 14742);
  assert.equal(p.src, 0);
  assert.equal(p.dst, 0xffffffff);
  assert.equal(p.options.length, 0);
  assert.equal(p.payload.length, 308);
  assert.equal(isFragment(p), false);
});

Deno.test("parseIpv4Packet() reads a captured unicast RENEW with DF set", () => {
  const p = parsed("dhclient4_dora_renew_release.pcap", 7);
  assert.equal(p.src, ip(10, 77, 0, 95));
  assert.equal(p.dst, ip(10, 77, 0, 1));
  assert.equal(p.identification, 51151);
  assert.equal(p.dontFragment, true);
  assert.equal(p.ttl, 64);
  assert.equal(p.tos, 0);
  assert.equal(isFragment(p), false);
});

Deno.test("parseIpv4Packet() accepts header options (IHL 6 and 15) and finds the same payload", () => {
  const six = parsed("crafted_ipv4_options_ihl.pcap", 1);
  const fifteen = parsed("crafted_ipv4_options_ihl.pcap", 2);
  assert.equal(six.ihl, 6);
  assert.equal(six.headerLength, 24);
  assert.deepEqual([...six.options], [0x94, 0x04, 0x00, 0x00]); // Router Alert
  assert.equal(fifteen.ihl, 15);
  assert.equal(fifteen.headerLength, 60);
  assert.deepEqual([...fifteen.options], [...new Array<number>(39).fill(1), 0]); // 39 NOP + EOL
  assert.equal(six.totalLength, 300);
  assert.equal(fifteen.totalLength, 336);
  assert.deepEqual(six.payload, fifteen.payload);
  assert.equal(six.payload.length, 276);
});

Deno.test("parseIpv4Packet() returns views of the input, not copies", () => {
  const bytes = capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket;
  const result = parseIpv4Packet(bytes);
  assert.ok(result.ok);
  assert.equal(result.value.payload.buffer, bytes.buffer);
  assert.equal(result.value.payload.byteOffset, bytes.byteOffset + 20);
});

Deno.test("parseIpv4Packet() ignores link-layer padding after the total length", () => {
  const bytes = capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket;
  const padded = new Uint8Array(bytes.length + 18);
  padded.set(bytes);
  padded.fill(0xee, bytes.length);
  const result = parseIpv4Packet(padded);
  assert.ok(result.ok);
  assert.equal(result.value.payload.length, 308);
});

Deno.test("parseIpv4Packet() rejects malformed headers with a reason, never throwing", () => {
  const good = capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket;
  const cases: [string, Uint8Array, RegExp][] = [
    ["empty", new Uint8Array(0), /packet of 0 bytes is shorter than a header/],
    ["19 bytes", good.subarray(0, 19), /packet of 19 bytes is shorter than a header/],
    ["version 6", mutated(good, (b) => b[0] = 0x65), /version is 6, not 4/],
    ["IHL 4", mutated(good, (b) => b[0] = 0x44), /IHL 4 is less than 5/],
    [
      "total < header",
      mutated(good, (b) => [b[2], b[3]] = [0, 16]),
      /total length 16 is less than IHL 5 allows/,
    ],
    [
      "total > bytes",
      mutated(good, (b) => [b[2], b[3]] = [0x01, 0x49]),
      /total length 329 exceeds the 328 bytes/,
    ],
    ["cut payload", good.subarray(0, 100), /total length 328 exceeds the 100 bytes received/],
    ["bad checksum", mutated(good, (b) => b[8] = 127, true), /header checksum does not match/],
    [
      "IHL past the end",
      mutated(good.subarray(0, 40), (b) => [b[0], b[2], b[3]] = [0x4f, 0, 40]),
      /total length 40 is less than IHL 15 allows/,
    ],
  ];
  for (const [name, bytes, reason] of cases) {
    const result = parseIpv4Packet(bytes);
    assert.equal(result.ok, false, name);
    if (!result.ok) {
      assert.match(result.error, /^Cannot parse IPv4 packet: /, name);
      assert.match(result.error, reason, name);
    }
  }
});

Deno.test("parseIpv4Packet() never throws on any truncation or byte flip of a capture", () => {
  const good = capturedFrame("crafted_ipv4_options_ihl.pcap", 2).ipPacket;
  for (let n = 0; n <= good.length; n++) parseIpv4Packet(good.subarray(0, n));
  for (let at = 0; at < 60; at++) {
    for (const value of [0x00, 0x0f, 0x45, 0xff]) {
      parseIpv4Packet(mutated(good, (b) => b[at] = value));
    }
  }
});

Deno.test("isFragment() tells first and later fragments from whole datagrams", () => {
  const good = capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket;
  const first = parseIpv4Packet(mutated(good, (b) => b[6] = 0x20));
  const later = parseIpv4Packet(mutated(good, (b) => [b[6], b[7]] = [0x00, 0x10]));
  assert.ok(first.ok && later.ok);
  assert.equal(first.value.moreFragments, true);
  assert.equal(isFragment(first.value), true);
  assert.equal(later.value.fragmentOffset, 16);
  assert.equal(isFragment(later.value), true);
});

Deno.test("parseIpv4Packet() and emitIpv4Header() keep DF, MF and the 13-bit offset apart", () => {
  const good = capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket;
  // RFC 791: bit 0 reserved, 1 DF, 2 MF, then the offset in units of 8 bytes.
  for (
    const [b6, b7, df, mf, offset] of [
      [0x00, 0x01, false, false, 1],
      [0x1f, 0xff, false, false, 0x1fff],
      [0x20, 0x00, false, true, 0],
      [0x40, 0x00, true, false, 0],
      [0x60, 0x01, true, true, 1],
    ] as const
  ) {
    const bytes = mutated(good, (b) => [b[6], b[7]] = [b6, b7]);
    const p = parseIpv4Packet(bytes);
    assert.ok(p.ok);
    const fields = [p.value.dontFragment, p.value.moreFragments, p.value.fragmentOffset];
    assert.deepEqual(fields, [df, mf, offset], `${b6.toString(16)} ${b7.toString(16)}`);
    const into = new Uint8Array(IPV4_HEADER_LENGTH);
    emitIpv4Header(p.value, into);
    assert.deepEqual([into[6], into[7]], [b6, b7]);
  }
});

Deno.test("emitIpv4Header() round-trips captured headers into a junk-filled buffer", () => {
  const frames: [string, number][] = [
    ["dhclient4_dora_renew_release.pcap", 1],
    ["dhclient4_dora_renew_release.pcap", 2],
    ["dhclient4_dora_renew_release.pcap", 7],
    ["dhclient4_renew_rebind.pcap", 13],
    ["networkd_dhcp4_dhcp6_ra.pcap", 19],
    ["crafted_dhcp4_inform.pcap", 2],
  ];
  for (const [file, number] of frames) {
    const bytes = capturedFrame(file, number).ipPacket;
    const result = parseIpv4Packet(bytes);
    assert.ok(result.ok);
    const into = new Uint8Array(IPV4_HEADER_LENGTH + 7).fill(0xa5);
    assert.equal(emitIpv4Header(result.value, into, 3), IPV4_HEADER_LENGTH);
    assert.deepEqual(into.subarray(3, 23), bytes.subarray(0, 20), `${file} frame ${number}`);
    assert.deepEqual(
      [...into.subarray(0, 3), ...into.subarray(23)],
      new Array<number>(7).fill(0xa5),
    );
  }
});

Deno.test("emitIpv4Header() writes defaults and a checksum the parser accepts", () => {
  const into = new Uint8Array(40).fill(0xff);
  const header = { totalLength: 40, ttl: 64, protocol: 17, src: ip(10, 77, 0, 1), dst: 0xffffffff };
  emitIpv4Header(header, into);
  assert.deepEqual([...into.subarray(0, 10)], [0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17]);
  assert.deepEqual([...into.subarray(12, 20)], [10, 77, 0, 1, 255, 255, 255, 255]);
  assert.deepEqual([...into.subarray(20)], new Array<number>(20).fill(0xff));
  assert.equal(internetChecksum(into, 0, 20), 0);
  const result = parseIpv4Packet(into);
  assert.ok(result.ok);
  assert.equal(result.value.src, header.src);
  assert.equal(result.value.dst, header.dst);
  assert.equal(result.value.payload.length, 20);
});

Deno.test("emitIpv4Header() throws RangeError when the buffer has no room", () => {
  const header = { totalLength: 20, ttl: 64, protocol: 17, src: 0, dst: 0 };
  assert.throws(
    () => emitIpv4Header(header, new Uint8Array(25), 6),
    new RangeError("Cannot emit IPv4 header: 19 bytes of room"),
  );
  // 20 bytes of room are enough.
  assert.equal(emitIpv4Header(header, new Uint8Array(26), 6), 20);
});
