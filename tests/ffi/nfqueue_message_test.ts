/** readQueueMessages(): nfnetlink_queue packet messages read from a netlink datagram's bytes. */
import assert from "node:assert/strict";
import { hwaddrAt, readQueueMessages } from "../../ffi/nfqueue_message.ts";

/** One netlink attribute, padded to 4 bytes. */
function attr(type: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array((4 + value.length + 3) & ~3);
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + value.length, true);
  v.setUint16(2, type, true);
  out.set(value, 4);
  return out;
}

function be32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

/** A queued-packet message as the kernel sends it (NFQNL_MSG_PACKET, nfgenmsg res_id = queue). */
function packetMessage(queue: number, attrs: Uint8Array[]): Uint8Array {
  const body = attrs.reduce((n, a) => n + a.length, 0);
  const out = new Uint8Array(16 + 4 + body);
  const v = new DataView(out.buffer);
  v.setUint32(0, out.length, true);
  v.setUint16(4, 3 << 8, true);
  v.setUint16(16 + 2, queue, false);
  let at = 20;
  for (const a of attrs) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const HWADDR = Uint8Array.of(0, 6, 0, 0, 0x52, 0x54, 0, 0x77, 0, 0x10, 0, 0);
const PAYLOAD = Uint8Array.of(0x45, 0, 0, 20, 1, 2, 3);

Deno.test("readQueueMessages() reads every packet of a datagram: queue, id, devices, payload, MAC", () => {
  const buf = concat(
    packetMessage(42, [
      attr(1, Uint8Array.of(0, 0, 0, 7, 8, 0, 0)), // NFQA_PACKET_HDR: id 7 (+ protocol, hook)
      attr(5, be32(3)), // NFQA_IFINDEX_INDEV
      attr(7, be32(9)), // NFQA_IFINDEX_PHYSINDEV
      attr(9, HWADDR),
      attr(10, PAYLOAD), // odd length: padded
    ]),
    packetMessage(45, [attr(1, Uint8Array.of(0, 1, 0, 0, 0x86, 0xdd, 0)), attr(5, be32(4))]),
  );
  const seen: string[] = [];
  const skipped = readQueueMessages(buf, buf.length, (m) => {
    seen.push(
      JSON.stringify([m.queue, m.id, m.indev, m.physindev, [...m.payload]]) +
        ` ${hwaddrAt(buf, m.hwaddrAt)?.join(",") ?? "none"}`,
    );
  }, () => assert.fail("no error expected"));
  assert.equal(skipped, 0);
  assert.deepEqual(seen, [
    `[42,7,3,9,[69,0,0,20,1,2,3]] 82,84,0,119,0,16`,
    `[45,65536,4,0,[]] none`,
  ]);
});

Deno.test("readQueueMessages() reports netlink errors and skips what is not a packet", () => {
  const error = new Uint8Array(36);
  const v = new DataView(error.buffer);
  v.setUint32(0, 36, true);
  v.setUint16(4, 2, true); // NLMSG_ERROR
  v.setInt32(16, -105, true); // -ENOBUFS
  const noId = packetMessage(42, [attr(5, be32(3))]);
  const codes: number[] = [];
  const skipped = readQueueMessages(
    concat(error, noId),
    error.length + noId.length,
    () => assert.fail("a message without a packet header is not a packet"),
    (code) => codes.push(code),
  );
  assert.deepEqual(codes, [105]);
  assert.equal(skipped, 1);
});

Deno.test("readQueueMessages() stops at a truncated message instead of reading past it", () => {
  const whole = packetMessage(42, [attr(1, be32(5)), attr(10, PAYLOAD)]);
  let packets = 0;
  readQueueMessages(whole, whole.length - 4, () => packets++, () => {});
  assert.equal(packets, 0);
  readQueueMessages(whole, whole.length, () => packets++, () => {});
  assert.equal(packets, 1);
});

/** A netlink message of `type` with `body`, its nlmsg_len exact (not rounded up). */
function netlinkMessage(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, out.length, true);
  v.setUint16(4, type, true);
  out.set(body, 16);
  return out;
}

/** Reads `buf` whole; returns the packets (queue, id, indev, payload) and errors it reported. */
function readAll(buf: Uint8Array) {
  const packets: string[] = [];
  const errors: number[] = [];
  const skipped = readQueueMessages(
    buf,
    buf.length,
    (m) => packets.push(JSON.stringify([m.queue, m.id, m.indev, [...m.payload]])),
    (code) => errors.push(code),
  );
  return { packets, errors, skipped };
}

Deno.test("readQueueMessages() reads a last message of just a 16-byte header", () => {
  const noop = netlinkMessage(1, new Uint8Array(0)); // NLMSG_NOOP
  const packet = packetMessage(42, [attr(1, be32(5))]);
  assert.deepEqual(readAll(concat(packet, noop)), {
    packets: ["[42,5,0,[]]"],
    errors: [],
    skipped: 1,
  });
});

Deno.test("readQueueMessages() does not report an ACK (error 0) as an error", () => {
  const ack = netlinkMessage(2, new Uint8Array(20)); // NLMSG_ERROR with error 0, then the request
  const failure = netlinkMessage(2, Uint8Array.of(0xf4, 0xff, 0xff, 0xff)); // -12: ENOMEM
  assert.deepEqual(readAll(concat(ack, failure)).errors, [12]);
});

Deno.test("readQueueMessages() finds the next message at the 4-byte boundary after one of odd length", () => {
  // A packet whose last attribute is unpadded: nlmsg_len 31, then one byte of padding.
  const first = packetMessage(42, [attr(1, be32(5)), attr(10, Uint8Array.of(1, 2, 3))]);
  const odd = first.subarray(0, first.length - 1);
  new DataView(odd.buffer, odd.byteOffset).setUint32(0, odd.length, true);
  assert.equal(odd.length % 4, 3);
  const second = packetMessage(43, [attr(1, be32(6))]);
  assert.deepEqual(readAll(concat(odd, Uint8Array.of(0), second)).packets, [
    "[42,5,0,[1,2,3]]",
    "[43,6,0,[]]",
  ]);
});

Deno.test("readQueueMessages() steps over an odd-length attribute to the next at its 4-byte boundary", () => {
  const buf = packetMessage(42, [
    attr(10, Uint8Array.of(9, 8, 7, 6, 5)), // 9 bytes, padded to 12
    attr(5, be32(3)),
    attr(1, be32(5)),
  ]);
  assert.deepEqual(readAll(buf).packets, ["[42,5,3,[9,8,7,6,5]]"]);
});

Deno.test("readQueueMessages() ignores an attribute that runs past its message", () => {
  const packet = packetMessage(42, [attr(1, be32(5)), attr(10, Uint8Array.of(1, 2, 3, 4))]);
  // The payload attribute claims 12 bytes where the message has 8 left for it.
  new DataView(packet.buffer).setUint16(28, 12, true);
  const next = packetMessage(43, [attr(1, be32(6))]);
  assert.deepEqual(readAll(concat(packet, next)).packets, ["[42,5,0,[]]", "[43,6,0,[]]"]);
});

Deno.test("readQueueMessages() reads attribute types with the byte-order and nested flags set", () => {
  const flagged = (type: number, value: Uint8Array) => {
    const a = attr(type, value);
    new DataView(a.buffer).setUint16(2, type | 0x4000, true); // NLA_F_NET_BYTEORDER
    return a;
  };
  const buf = packetMessage(42, [flagged(1, be32(5)), flagged(5, be32(3))]);
  assert.deepEqual(readAll(buf).packets, ["[42,5,3,[]]"]);
});

Deno.test("hwaddrAt() gives a MAC only for a 6-byte hardware address", () => {
  assert.deepEqual([...hwaddrAt(HWADDR, 0)!], [0x52, 0x54, 0, 0x77, 0, 0x10]);
  const eight = HWADDR.slice();
  eight[1] = 8;
  assert.equal(hwaddrAt(eight, 0), null);
  assert.equal(hwaddrAt(HWADDR, -1), null);
});
