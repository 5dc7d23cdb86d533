/** The DHCPv4 reply cache: a reused frame must be byte for byte what a fresh build gives. */
import assert from "node:assert/strict";
import type { Binding } from "../../src/bindings/binding.ts";
import type { DhcpConfig } from "../../src/config/types.ts";
import type { Decision, InterfaceInfo } from "../../src/serve/decision.ts";
import { answerDhcp4Packet } from "../../src/serve/dhcp4.ts";
import { parseIpv4, parseMac } from "../../src/wire/address.ts";
import { parseDhcp4 } from "../../src/wire/dhcp4.ts";
import { parseEthernet } from "../../src/wire/ethernet.ts";
import { parseIpv4Packet } from "../../src/wire/ipv4.ts";
import { isUdpChecksumValid4, parseUdp } from "../../src/wire/udp.ts";
import { readPcap } from "../pcap.ts";

const BINDING: Binding = {
  tap: "tap0",
  hostname: "testvm.example.test",
  indev: "tap0",
  mac: parseMac("52:54:00:77:00:10")!,
  macText: "52:54:00:77:00:10",
  ip: parseIpv4("10.77.0.95"),
  subnet: { network: parseIpv4("10.77.0.0")!, prefixLength: 24 },
  gateway: parseIpv4("10.77.0.1"),
  subnet6: null,
  gateway6: null,
  eui64: null,
  mtu: 1400,
  private: false,
  macspoof: false,
};
const CONFIG: DhcpConfig = {
  enable: true,
  leaseLifetime: 604800,
  leaseRenewal: 600,
  serverIp: parseIpv4("192.0.2.1"),
  serverOnLink: false,
  queue: 42,
  nameservers: [parseIpv4("192.0.2.2")!],
  domain: null,
};
const INDEV: InterfaceInfo = { name: "tap0", mac: parseMac("fe:54:00:77:00:01")! };

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
  const eth = parseEthernet(frame);
  assert.ok(eth.ok);
  const ip = parseIpv4Packet(eth.value.payload);
  assert.ok(ip.ok);
  const udp = parseUdp(ip.value.payload);
  assert.ok(udp.ok);
  assert.ok(isUdpChecksumValid4(udp.value, ip.value.src, ip.value.dst), "UDP checksum");
  const dhcp = parseDhcp4(udp.value.payload);
  assert.ok(dhcp.ok);
  return dhcp.value.xid;
}

Deno.test("answerDhcp4Packet() reuses a binding's OFFER and ACK with the new xid, as a fresh build", () => {
  const frames = readPcap("dhclient4_dora_renew_release.pcap");
  const discover = frames[0]!.ipPacket;
  const request = frames.find((f, i) => i > 0 && f.frame[6] === 0x52 && f.frame[0] === 0xff)!
    .ipPacket;
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
