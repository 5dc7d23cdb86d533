/** From each link type's framing to the IP packet and the sender's MAC. */
import assert from "node:assert/strict";
import { LINKTYPE } from "../../src/pcap/capture.ts";
import { ipPacketOf } from "../../src/pcap/link.ts";
import { concat, sll, sll2 } from "./craft.ts";

const MAC = Uint8Array.of(0x52, 0x54, 0, 0x77, 0, 0x10);
const IP4 = Uint8Array.of(0x45, 0, 0, 20, ...new Array(16).fill(0));
const IP6 = Uint8Array.of(0x60, ...new Array(39).fill(0));
const ethernet = (etherType: number[], ip: Uint8Array) =>
  concat(Uint8Array.of(255, 255, 255, 255, 255, 255), MAC, Uint8Array.from(etherType), ip);

function decoded(linkType: number, data: Uint8Array) {
  const r = ipPacketOf(linkType, data);
  if (!r.ok) assert.fail(r.error);
  const { ip, ipOffset, hwSource, outgoing } = r.value;
  return { ip: [...ip], ipOffset, hwSource: hwSource && [...hwSource], outgoing };
}

Deno.test("ipPacketOf() takes the IP packet and source MAC out of an Ethernet frame, tagged or not", () => {
  assert.deepEqual(decoded(LINKTYPE.ethernet, ethernet([0x08, 0], IP4)), {
    ip: [...IP4],
    ipOffset: 14,
    hwSource: [...MAC],
    outgoing: false,
  });
  const tagged = ethernet([0x81, 0, 0, 5, 0x86, 0xdd], IP6);
  assert.equal(decoded(LINKTYPE.ethernet, tagged).ipOffset, 18);
});

Deno.test("ipPacketOf() reads Linux cooked v1 and v2 headers: sender MAC, outgoing packets", () => {
  for (const [linkType, make, size] of [[113, sll, 16], [276, sll2, 20]] as const) {
    assert.deepEqual(decoded(linkType, make(0, MAC, IP6)), {
      ip: [...IP6],
      ipOffset: size,
      hwSource: [...MAC],
      outgoing: false,
    });
    assert.equal(decoded(linkType, make(4, MAC, IP4)).outgoing, true, `${linkType} outgoing`);
  }
});

Deno.test("ipPacketOf() takes raw IP captures (101, 228, 229) as they are, with no MAC", () => {
  for (const linkType of [101, 228, 229]) {
    assert.deepEqual(decoded(linkType, IP6), {
      ip: [...IP6],
      ipOffset: 0,
      hwSource: null,
      outgoing: false,
    });
  }
});

Deno.test("ipPacketOf() says why a frame holds no IP packet, with the offset", () => {
  const error = (linkType: number, data: Uint8Array) => {
    const r = ipPacketOf(linkType, data);
    assert.ok(!r.ok);
    return r.error;
  };
  assert.equal(error(1, ethernet([0x08, 0x06], IP4)), "EtherType 0x0806 at offset 12 is not IP");
  assert.equal(error(1, MAC), "Ethernet frame of 6 bytes is shorter than its 14-byte header");
  assert.equal(
    error(1, ethernet([0x08, 0], Uint8Array.of(0x55))),
    "IP version 5 at offset 14 is neither 4 nor 6",
  );
  assert.equal(
    error(113, IP4.subarray(0, 15)),
    "cooked frame of 15 bytes is shorter than its 16-byte header",
  );
  assert.equal(
    error(276, sll2(0, MAC, IP4).fill(0x88, 0, 2)),
    "EtherType 0x8888 at offset 0 is not IP",
  );
  assert.equal(error(105, IP4), "link type 105 is not one we decode");
  assert.equal(error(101, new Uint8Array(0)), "IP version 0 at offset 0 is neither 4 nor 6");
});
