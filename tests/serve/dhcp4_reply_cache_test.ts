/** The DHCPv4 reply cache: a reused frame must be byte for byte what a fresh build gives. */
import assert from "node:assert/strict";
import type { Binding } from "../../src/bindings/binding.ts";
import type { DhcpConfig } from "../../src/config/types.ts";
import type { Decision } from "../../src/serve/decision.ts";
import { answerDhcp4Packet } from "../../src/serve/dhcp4.ts";
import { readPcap } from "../pcap.ts";
import {
  addressedToUs,
  BINDING as DHCP4_BINDING,
  CONFIG as DHCP4_CONFIG,
  decodeDhcp4Frame,
  INDEV,
  ip,
} from "./dhcp4_setup.ts";

/** The captures' binding and settings, with a few more options in the reply. */
const BINDING: Binding = { ...DHCP4_BINDING, hostname: "testvm.example.test", mtu: 1400 };
const CONFIG: DhcpConfig = { ...DHCP4_CONFIG, nameservers: [ip(192, 0, 2, 2)], domain: null };

/** The captured request with its xid replaced (and the IPv4 header left valid). */
function withXid(packet: Uint8Array, xid: number): Uint8Array {
  const copy = packet.slice();
  const at = (copy[0]! & 15) * 4 + 8 + 4;
  new DataView(copy.buffer).setUint32(at, xid);
  return copy;
}

function frameOf(d: Decision): Uint8Array {
  assert.equal(d.kind, "reply", d.why);
  return d.kind === "reply" ? d.frame : new Uint8Array(0);
}

/** The xid of a reply frame, after checking its UDP checksum. */
function xidOf(frame: Uint8Array): number {
  return decodeDhcp4Frame(frame).dhcp.xid;
}

Deno.test("answerDhcp4Packet() reuses a binding's OFFER and ACK with the new xid, as a fresh build", () => {
  const frames = readPcap("dhclient4_dora_renew_release.pcap");
  const discover = frames[0]!.ipPacket;
  const request = addressedToUs(
    frames.find((f, i) => i > 0 && f.frame[6] === 0x52 && f.frame[0] === 0xff)!.ipPacket,
  );
  const binding = { ...BINDING };
  for (const packet of [discover, request]) {
    const first = frameOf(answerDhcp4Packet(packet, binding, CONFIG, INDEV));
    for (const xid of [0x01020304, 0xfffefdfc, 0]) {
      const reused = frameOf(answerDhcp4Packet(withXid(packet, xid), binding, CONFIG, INDEV));
      // A copy of the binding misses the cache: what a build from scratch gives.
      const fresh = frameOf(
        answerDhcp4Packet(withXid(packet, xid), { ...BINDING }, CONFIG, INDEV),
      );
      assert.deepEqual(reused, fresh);
      assert.equal(xidOf(reused), xid);
    }
    assert.notEqual(xidOf(first), 0x01020304);
  }
});

Deno.test("answerDhcp4Packet() builds afresh when the flags or the settings change", () => {
  const discover = readPcap("dhclient4_dora_renew_release.pcap")[0]!.ipPacket;
  const binding = { ...BINDING };
  const unicast = frameOf(answerDhcp4Packet(discover, binding, CONFIG, INDEV));
  const broadcastRequest = discover.slice();
  const flagsAt = (broadcastRequest[0]! & 15) * 4 + 8 + 10;
  broadcastRequest[flagsAt] = broadcastRequest[flagsAt]! | 0x80;
  const broadcast = frameOf(answerDhcp4Packet(broadcastRequest, binding, CONFIG, INDEV));
  assert.deepEqual([...broadcast.subarray(0, 6)], [255, 255, 255, 255, 255, 255]);
  assert.notDeepEqual([...unicast.subarray(0, 6)], [255, 255, 255, 255, 255, 255]);
  const other = { ...CONFIG, leaseLifetime: 3600 };
  const longer = frameOf(answerDhcp4Packet(discover, binding, CONFIG, INDEV));
  const shorter = frameOf(answerDhcp4Packet(discover, binding, other, INDEV));
  assert.notDeepEqual(longer, shorter);
  assert.deepEqual(shorter, frameOf(answerDhcp4Packet(discover, { ...BINDING }, other, INDEV)));
});
