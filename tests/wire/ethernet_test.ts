/** Ethernet II headers against captured frames, and the FrameAllocator's blocks (src/wire/ethernet.ts). */
import assert from "node:assert/strict";
import {
  emitEthernetHeader,
  ETHERTYPE_IPV6,
  FrameAllocator,
  parseEthernet,
} from "../../src/wire/ethernet.ts";
import { fromHex, hex } from "../hex.ts";
import { capturedFrame } from "../pcap.ts";

Deno.test("parseEthernet() reads a captured frame's addresses and type; emitEthernetHeader() writes them back", () => {
  const { frame } = capturedFrame("rdisc6_rs.pcap", 1);
  const eth = parseEthernet(frame);
  assert.ok(eth.ok);
  assert.equal(hex(eth.value.dst), "333300000002");
  assert.equal(hex(eth.value.src), "525400770010");
  assert.equal(eth.value.etherType, ETHERTYPE_IPV6);
  assert.equal(eth.value.payload.length, frame.length - 14);
  const into = new Uint8Array(16).fill(0xa5);
  assert.equal(emitEthernetHeader(eth.value, into), 14);
  assert.equal(hex(into), hex(frame.subarray(0, 14)) + "a5a5");
  assert.deepEqual(parseEthernet(fromHex("0102030405060708090a0b0c08")), {
    ok: false,
    error: "Cannot parse Ethernet frame: frame of 13 bytes is shorter than a header",
  });
});

Deno.test("FrameAllocator hands out zeroed frames that never share bytes, across blocks", () => {
  const frames = new FrameAllocator();
  const given: Uint8Array[] = [];
  // 300 frames of 342 bytes (a DHCPv4 reply) fill a 64 KiB block and go on into the next ones.
  for (let i = 0; i < 300; i++) {
    const frame = frames.allocate(342);
    assert.equal(frame.length, 342);
    assert.ok(frame.every((b) => b === 0), `frame ${i} is not zeroed`);
    frame.fill(i & 0xff);
    given.push(frame);
  }
  // Every frame still holds what was written into it: none was carved from reused bytes.
  given.forEach((frame, i) => assert.ok(frame.every((b) => b === (i & 0xff)), `frame ${i}`));
  assert.ok(new Set(given.map((f) => f.buffer)).size >= 2, "all frames from one block");
  // Frames start on 8-byte boundaries within their block.
  for (const f of given) assert.equal(f.byteOffset % 8, 0);
  // Packed: each frame starts at the next multiple of 8 after the last, no further.
  const packed = new FrameAllocator();
  const offsets = [8, 8, 3, 16, 1].map((n) => packed.allocate(n).byteOffset);
  assert.deepEqual(offsets, [0, 8, 16, 24, 40]);
  // Four frames of a quarter block fill one block exactly; the fifth starts the next.
  const quarters = new FrameAllocator();
  const blocks = [1, 2, 3, 4, 5].map(() => quarters.allocate(16 * 1024).buffer);
  assert.equal(new Set(blocks.slice(0, 4)).size, 1, "a block holds four quarters");
  assert.notEqual(blocks[4], blocks[0]);
  // A frame too big to share a block gets its own buffer.
  const big = frames.allocate(20_000);
  assert.equal(big.byteOffset, 0);
  assert.equal(big.buffer.byteLength, 20_000);
});
