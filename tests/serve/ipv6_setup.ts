/** Shared setup of the IPv6 responder tests: the captures' binding and host, crafting and decoding frames. */
import assert from "node:assert/strict";
import type { Binding } from "../../src/bindings/binding.ts";
import type { Ipv6Config } from "../../src/config/types.ts";
import type { Decision, InterfaceInfo, RefusalReason } from "../../src/serve/decision.ts";
import { formatIpv6, parseIpv6, parseMac } from "../../src/address.ts";
import { pseudoHeaderSum6 } from "../../src/wire/checksum.ts";
import {
  DHCP6_CLIENT_PORT,
  DHCP6_SERVER_PORT,
  dhcp6Length,
  type Dhcp6Message,
  type Dhcp6Relay,
  emitDhcp6,
  parseDhcp6,
} from "../../src/wire/dhcp6.ts";
import { type EthernetFrame, ETHERTYPE_IPV6, parseEthernet } from "../../src/wire/ethernet.ts";
import {
  type Icmpv6Message,
  newIcmpv6Frame,
  parseIcmpv6,
  setIcmpv6Checksum,
} from "../../src/wire/icmpv6.ts";
import {
  IPV6_FRAME_PAYLOAD_OFFSET,
  type Ipv6Packet,
  newIpv6Frame,
  parseIpv6Packet,
} from "../../src/wire/ipv6.ts";
import {
  emitNdMessage,
  type NdMessage,
  ndMessageLength,
  parseNdMessage,
} from "../../src/wire/ndp.ts";
import {
  emitUdpHeader,
  isUdpChecksumValid,
  parseUdp,
  UDP_HEADER_LENGTH,
  type UdpDatagram,
} from "../../src/wire/udp.ts";
import { capturedFrame } from "../pcap.ts";
import { hex } from "../hex.ts";

export { hex };
export const v6 = (text: string) => parseIpv6(text)!;
export const mac = (text: string) => parseMac(text)!;
/** The IPv6 packet of a captured frame, as NFQUEUE would hand it over. */
export const packet = (file: string, frame: number) => capturedFrame(file, frame).ipPacket;

/** The guest of the captures: MAC 52:54:00:77:00:10 behind tap0, SUBNET6 2001:db8:77::/64. */
export const BINDING: Binding = {
  tap: "tap0",
  hostname: "testvm",
  indev: "tap0",
  mac: mac("52:54:00:77:00:10"),
  macText: "52:54:00:77:00:10",
  ip: null,
  subnet: null,
  gateway: null,
  subnet6: { prefix: v6("2001:db8:77::"), prefixLength: 64 },
  gateway6: null,
  eui64: null,
  mtu: null,
  private: false,
  macspoof: false,
};

export const CONFIG: Ipv6Config = {
  enable: true,
  mode: "slaac",
  raPeriod: 300,
  rsQueue: 43,
  nsQueue: 44,
  dhcpv6Queue: 45,
  nameservers: [v6("2001:db8::53")],
  domains: ["example.test"],
};

/** The host side of the captures: tap0 with MAC fe:54:00:77:00:01, link-local fe80::fc54:ff:fe77:1. */
export const INDEV: InterfaceInfo = { name: "tap0", mac: mac("fe:54:00:77:00:01") };
export const HOST_LL = "fe80::fc54:ff:fe77:1";
export const GUEST_LL = "fe80::5054:ff:fe77:10";
/** The SLAAC address of the guest's MAC in SUBNET6. */
export const GUEST_SLAAC = "2001:db8:77:0:5054:ff:fe77:10";

export const binding = (changes: Partial<Binding> = {}): Binding => ({ ...BINDING, ...changes });
export const config = (changes: Partial<Ipv6Config> = {}): Ipv6Config => ({
  ...CONFIG,
  ...changes,
});

/** The frame of a `reply` decision; fails the test on any other kind. */
export function replyFrame(decision: Decision): Uint8Array {
  assert.equal(decision.kind, "reply", `expected a reply, got ${decision.kind}: ${decision.why}`);
  return (decision as { frame: Uint8Array }).frame;
}

/** Asserts a drop whose reason matches `why` (and whose kind of refusal is `reason`, if given). */
export function assertDrop(decision: Decision, why: RegExp, reason?: RefusalReason): void {
  assert.equal(decision.kind, "drop", `expected a drop, got ${decision.kind}: ${decision.why}`);
  assert.match(decision.why, why);
  if (reason !== undefined && decision.kind === "drop") assert.equal(decision.reason, reason);
}

interface Ipv6Frame {
  readonly eth: EthernetFrame;
  readonly ip: Ipv6Packet;
}

function decodeIpv6Frame(frame: Uint8Array): Ipv6Frame {
  const eth = parseEthernet(frame);
  if (!eth.ok) throw new Error(eth.error);
  assert.equal(eth.value.etherType, ETHERTYPE_IPV6);
  const ip = parseIpv6Packet(eth.value.payload);
  if (!ip.ok) throw new Error(ip.error);
  assert.equal(ip.value.payloadLength, frame.length - IPV6_FRAME_PAYLOAD_OFFSET);
  return { eth: eth.value, ip: ip.value };
}

/** Decodes a reply frame down to its ND message, checking lengths and the ICMPv6 checksum. */
export function decodeNdFrame(
  frame: Uint8Array,
): Ipv6Frame & { icmp: Icmpv6Message; nd: NdMessage } {
  const { eth, ip } = decodeIpv6Frame(frame);
  assert.equal(ip.nextHeader, 58);
  const icmp = parseIcmpv6(ip);
  if (!icmp.ok) throw new Error(icmp.error);
  assert.equal(icmp.value.checksumValid, true, "ICMPv6 checksum");
  assert.equal(icmp.value.code, 0);
  const nd = parseNdMessage(icmp.value);
  if (!nd.ok) throw new Error(nd.error);
  return { eth, ip, icmp: icmp.value, nd: nd.value };
}

/**
 * Decodes an ND reply frame (see `decodeNdFrame`) after checking what every RA and NA shares:
 * Ethernet to `ethDst` from INDEV's MAC, traffic class 0, hop limit 255, IPv6 to `dst`, and
 * an ND message of `kind`. The IPv6 source differs (RA: the host's link-local; NA: its target).
 */
export function decodeNdReply(
  frame: Uint8Array,
  ethDst: string,
  dst: string,
  kind: NdMessage["kind"],
): Ipv6Frame & { icmp: Icmpv6Message; nd: NdMessage } {
  const decoded = decodeNdFrame(frame);
  const { eth, ip, nd } = decoded;
  assert.equal(hex(eth.dst), ethDst);
  assert.equal(hex(eth.src), "fe5400770001");
  assert.equal(ip.trafficClass, 0);
  assert.equal(ip.hopLimit, 255);
  assert.equal(formatIpv6(ip.dst), dst);
  assert.equal(nd.kind, kind);
  return decoded;
}

/** Decodes a reply frame down to its DHCPv6 message, checking lengths and the UDP checksum. */
export function decodeDhcp6Frame(
  frame: Uint8Array,
): Ipv6Frame & { udp: UdpDatagram; dhcp: Dhcp6Message } {
  const { eth, ip } = decodeIpv6Frame(frame);
  assert.equal(ip.nextHeader, 17);
  const udp = parseUdp(ip.payload);
  if (!udp.ok) throw new Error(udp.error);
  assert.equal(udp.value.length, ip.payloadLength);
  const pseudo = pseudoHeaderSum6(ip.src, ip.dst, 17, udp.value.length);
  assert.equal(isUdpChecksumValid(udp.value, pseudo), true, "UDP checksum");
  const dhcp = parseDhcp6(udp.value.payload);
  if (!dhcp.ok) throw new Error(dhcp.error);
  assert.equal(dhcp.value.kind, "message");
  return { eth, ip, udp: udp.value, dhcp: dhcp.value as Dhcp6Message };
}

/** An ND packet as NFQUEUE would hand it over (no Ethernet header), with a correct checksum. */
export function craftNd(
  message: NdMessage,
  src: string,
  dst: string,
  hopLimit = 255,
): Uint8Array {
  const frame = newIcmpv6Frame(
    { ethDst: BINDING.mac, ethSrc: BINDING.mac, src: v6(src), dst: v6(dst), hopLimit },
    ndMessageLength(message),
    (into, offset) => emitNdMessage(message, into, offset),
  );
  return frame.subarray(14);
}

/** A DHCPv6 packet as NFQUEUE would hand it over, from `src` port `srcPort` to ff02::1:2 port 547. */
export function craftDhcp6(
  message: Dhcp6Message | Dhcp6Relay,
  src = GUEST_LL,
  srcPort = DHCP6_CLIENT_PORT,
  dstPort = DHCP6_SERVER_PORT,
): Uint8Array {
  const length = dhcp6Length(message);
  const frame = newIpv6Frame({
    ethDst: BINDING.mac,
    ethSrc: BINDING.mac,
    src: v6(src),
    dst: v6("ff02::1:2"),
    hopLimit: 1,
    nextHeader: 17,
    payloadLength: UDP_HEADER_LENGTH + length,
  });
  emitDhcp6(message, frame, IPV6_FRAME_PAYLOAD_OFFSET + UDP_HEADER_LENGTH);
  const pseudo = pseudoHeaderSum6(v6(src), v6("ff02::1:2"), 17, UDP_HEADER_LENGTH + length);
  emitUdpHeader({ srcPort, dstPort }, frame, IPV6_FRAME_PAYLOAD_OFFSET, length, pseudo);
  return frame.subarray(14);
}

/** A copy of an ICMPv6 packet (no extension headers) changed by `edit`, its checksum made right again. */
export function editNd(packet: Uint8Array, edit: (bytes: Uint8Array) => void): Uint8Array {
  const bytes = packet.slice();
  edit(bytes);
  setIcmpv6Checksum(bytes, 40, bytes.length, bytes.subarray(8, 24), bytes.subarray(24, 40));
  return bytes;
}
