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
