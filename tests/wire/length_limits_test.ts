/**
 * Every length check of the Ethernet, IPv4, UDP, IPv6 and ICMPv6 codecs on both sides of its
 * limit: the shortest input that is whole is read, one byte less is refused with a reason, and an
 * emitter writes into exactly the room it needs but not one byte less.
 */
import assert from "node:assert/strict";
import { parseEthernet } from "../../src/wire/ethernet.ts";
import { parseIcmpv6 } from "../../src/wire/icmpv6.ts";
import { emitIpv4Header, IPV4_HEADER_LENGTH, parseIpv4Packet } from "../../src/wire/ipv4.ts";
import {
  emitIpv6Header,
  findUpperLayer,
  IPV6_HEADER_LENGTH,
  parseIpv6Packet,
} from "../../src/wire/ipv6.ts";
import { emitUdpHeader, parseUdp, UDP_HEADER_LENGTH } from "../../src/wire/udp.ts";

function error<T>(parsed: { ok: true; value: T } | { ok: false; error: string }): string {
  assert.equal(parsed.ok, false, "parsed where it should have been refused");
  return (parsed as { error: string }).error;
}

function value<T>(parsed: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!parsed.ok) assert.fail(parsed.error);
  return parsed.value;
}

Deno.test("parseEthernet(): a 14-byte frame has an empty payload, 13 bytes are refused", () => {
  const frame = new Uint8Array(14).fill(0xaa);
  frame[12] = 0x86;
  frame[13] = 0xdd;
  const parsed = value(parseEthernet(frame));
  assert.equal(parsed.etherType, 0x86dd);
  assert.equal(parsed.payload.length, 0);
  assert.match(error(parseEthernet(frame.subarray(0, 13))), /13 bytes is shorter than a header/);
});

/** A 20-byte IPv4 header (no options) of `totalLength`, with its checksum, in `room` bytes. */
function ipv4(totalLength: number, room = totalLength): Uint8Array {
  const bytes = new Uint8Array(room);
  emitIpv4Header({ totalLength, ttl: 64, protocol: 17, src: 0x0a000001, dst: 0xffffffff }, bytes);
  return bytes;
}

Deno.test("parseIpv4Packet(): a bare 20-byte header is a packet with an empty payload", () => {
  const packet = value(parseIpv4Packet(ipv4(20)));
  assert.equal(packet.totalLength, 20);
  assert.equal(packet.payload.length, 0);
  assert.match(error(parseIpv4Packet(ipv4(20).subarray(0, 19))), /19 bytes/);
});

Deno.test("parseIpv4Packet(): total length from the header's 20 bytes to all the bytes received", () => {
  assert.equal(value(parseIpv4Packet(ipv4(21, 21))).payload.length, 1);
  assert.equal(value(parseIpv4Packet(ipv4(21, 30))).payload.length, 1, "link-layer padding");
  assert.match(error(parseIpv4Packet(ipv4(19, 20))), /total length 19 is less than IHL 5 allows/);
  const long = ipv4(21, 21).subarray(0, 20);
  assert.match(error(parseIpv4Packet(long)), /total length 21/);
});

Deno.test("emitIpv4Header() fits in exactly 20 bytes of room, at any offset, not in 19", () => {
  const into = new Uint8Array(25);
  assert.equal(
    emitIpv4Header({ totalLength: 20, ttl: 1, protocol: 17, src: 1, dst: 2 }, into, 5),
    20,
  );
  assert.equal(value(parseIpv4Packet(into.subarray(5))).dst, 2);
  assert.throws(
    () => emitIpv4Header({ totalLength: 20, ttl: 1, protocol: 17, src: 1, dst: 2 }, into, 6),
    RangeError,
  );
  assert.equal(IPV4_HEADER_LENGTH, 20);
});

/** A UDP datagram whose length field says `length`, in `room` bytes. */
function udp(length: number, room = length): Uint8Array {
  const bytes = new Uint8Array(room);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 68);
  view.setUint16(2, 67);
  view.setUint16(4, length);
  return bytes;
}

Deno.test("parseUdp(): an 8-byte datagram is empty; 7 bytes or a length under 8 are refused", () => {
  const empty = value(parseUdp(udp(8)));
  assert.equal(empty.length, 8);
  assert.equal(empty.payload.length, 0);
  assert.match(error(parseUdp(udp(8).subarray(0, 7))), /7 bytes/);
  assert.match(error(parseUdp(udp(7, 8))), /length 7 is shorter than a header/);
  assert.equal(value(parseUdp(udp(9))).payload.length, 1);
  assert.match(error(parseUdp(udp(10, 9))), /length 10 exceeds the 9 bytes received/);
});

Deno.test("emitUdpHeader() fits a datagram in exactly its room, not in one byte less", () => {
  const header = { srcPort: 67, dstPort: 68 };
  const into = new Uint8Array(3 + UDP_HEADER_LENGTH + 4);
  assert.equal(emitUdpHeader(header, into, 3, 4, 0), 8);
  assert.equal(value(parseUdp(into.subarray(3))).length, 12);
  assert.throws(() => emitUdpHeader(header, into, 4, 4, 0), RangeError);
  assert.throws(() => emitUdpHeader(header, into, 3, 5, 0), RangeError);
});

const SRC = Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const DST = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);

/** An IPv6 packet: header (payload length `payloadLength`, next header `next`), then `rest`. */
function ipv6(next: number, payloadLength: number, rest: readonly number[] = []): Uint8Array {
  const bytes = new Uint8Array(IPV6_HEADER_LENGTH + rest.length);
  emitIpv6Header({ payloadLength, nextHeader: next, hopLimit: 255, src: SRC, dst: DST }, bytes);
  bytes.set(rest, IPV6_HEADER_LENGTH);
  return bytes;
}

Deno.test("parseIpv6Packet(): a bare 40-byte header has an empty payload; 39 bytes are refused", () => {
  const packet = value(parseIpv6Packet(ipv6(59, 0)));
  assert.equal(packet.payload.length, 0);
  assert.match(error(parseIpv6Packet(ipv6(59, 0).subarray(0, 39))), /39 bytes/);
  assert.equal(value(parseIpv6Packet(ipv6(59, 2, [1, 2]))).payload.length, 2);
  assert.match(error(parseIpv6Packet(ipv6(59, 3, [1, 2]))), /payload length 3 exceeds the 2/);
});

Deno.test("findUpperLayer(): an extension header that ends the packet exactly is stepped over", () => {
  // Hop-by-hop, 8 bytes (one PadN of 4), then UDP with nothing after it.
  const hopByHop = [17, 0, 1, 4, 0, 0, 0, 0];
  const upper = value(findUpperLayer(ipv6(0, 8, hopByHop)));
  assert.deepEqual(upper, { protocol: 17, offset: 48, end: 48, extensionHeaders: [0] });
  assert.match(error(findUpperLayer(ipv6(0, 7, hopByHop))), /extension header 0 is cut short/);
  // A 16-byte Destination Options header (length 1) that ends the packet exactly, and one byte short.
  const sixteen = [17, 1, 1, 12, ...new Array(12).fill(0)];
  assert.equal(value(findUpperLayer(ipv6(60, 16, sixteen))).offset, 56);
  assert.match(
    error(findUpperLayer(ipv6(60, 15, sixteen))),
    /extension header 60 of 16 bytes overruns the packet/,
  );
  // An Authentication header counts 4-byte units plus 2: length 1 is 12 bytes.
  const auth = [17, 1, ...new Array(10).fill(0)];
  assert.equal(value(findUpperLayer(ipv6(51, 12, auth))).offset, 52);
  assert.match(error(findUpperLayer(ipv6(51, 11, auth))), /overruns/);
});

Deno.test("parseIcmpv6(): a 4-byte message has an empty body; 3 bytes are refused", () => {
  const packet = value(parseIpv6Packet(ipv6(58, 4, [133, 0, 0, 0])));
  const message = value(parseIcmpv6(packet));
  assert.equal(message.type, 133);
  assert.equal(message.body.length, 0);
  const short = value(parseIpv6Packet(ipv6(58, 3, [133, 0, 0])));
  assert.match(error(parseIcmpv6(short)), /3 bytes/);
});
