/** Shared setup of the DHCPv4 responder tests: the captures' binding, settings and host, reply decoding. */
import assert from "node:assert/strict";
import type { Binding } from "../../src/bindings/binding.ts";
import type { DhcpConfig } from "../../src/config/types.ts";
import type { Decision, InterfaceInfo } from "../../src/serve/decision.ts";
import { answerDhcp4Message, type Dhcp4Request, parseDhcp4Request } from "../../src/serve/dhcp4.ts";
import { parseMac } from "../../src/address.ts";
import { type Dhcp4Message, parseDhcp4 } from "../../src/wire/dhcp4.ts";
import { type EthernetFrame, parseEthernet } from "../../src/wire/ethernet.ts";
import { type Ipv4Packet, parseIpv4Packet } from "../../src/wire/ipv4.ts";
import { isUdpChecksumValid4, parseUdp, type UdpDatagram } from "../../src/wire/udp.ts";
import { capturedFrame } from "../pcap.ts";
import { contextOf } from "./context.ts";

/** An IPv4 address from its four bytes, as an unsigned 32-bit number. */
export const ip = (a: number, b: number, c: number, d: number) =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** The guest of the captures: MAC 52:54:00:77:00:10 behind tap0, 10.77.0.95 in 10.77.0.0/24. */
export const BINDING: Binding = {
  tap: "tap0",
  hostname: "testvm",
  indev: "tap0",
  mac: parseMac("52:54:00:77:00:10")!,
  macText: "52:54:00:77:00:10",
  ip: ip(10, 77, 0, 95),
  subnet: { network: ip(10, 77, 0, 0), prefixLength: 24 },
  gateway: ip(10, 77, 0, 1),
  subnet6: null,
  gateway6: null,
  eui64: null,
  mtu: null,
  private: false,
  macspoof: false,
};

export const CONFIG: DhcpConfig = {
  enable: true,
  leaseLifetime: 604800,
  leaseRenewal: 600,
  serverIp: ip(192, 0, 2, 1),
  serverOnLink: false,
  queue: 42,
  nameservers: [ip(192, 0, 2, 2), ip(192, 0, 2, 3)],
  domain: "example.test",
};

/** The host side of the captures: tap0 with MAC fe:54:00:77:00:01. */
export const INDEV: InterfaceInfo = { name: "tap0", mac: parseMac("fe:54:00:77:00:01")! };

/** A DHCPv4 reply frame, layer by layer. */
export interface Dhcp4ReplyFrame {
  readonly eth: EthernetFrame;
  readonly ip: Ipv4Packet;
  readonly udp: UdpDatagram;
  readonly dhcp: Dhcp4Message;
}

/** Parses a reply frame with our own parsers, checking lengths and both checksums on the way. */
export function decodeDhcp4Frame(frame: Uint8Array): Dhcp4ReplyFrame {
  const eth = parseEthernet(frame);
  assert.ok(eth.ok);
  assert.equal(eth.value.etherType, 0x0800);
  const ip4 = parseIpv4Packet(eth.value.payload); // verifies the header checksum
  assert.ok(ip4.ok, ip4.ok ? "" : ip4.error);
  assert.equal(ip4.value.totalLength, eth.value.payload.length);
  const udp = parseUdp(ip4.value.payload);
  assert.ok(udp.ok);
  assert.notEqual(udp.value.checksum, 0);
  assert.equal(isUdpChecksumValid4(udp.value, ip4.value.src, ip4.value.dst), true, "UDP checksum");
  const dhcp = parseDhcp4(udp.value.payload);
  assert.ok(dhcp.ok, dhcp.ok ? "" : dhcp.error);
  return { eth: eth.value, ip: ip4.value, udp: udp.value, dhcp: dhcp.value };
}

/**
 * A captured request with its server identifier (option 54) naming CONFIG's server: the captures
 * were taken against a server at 10.77.0.1, and a REQUEST naming another server is not answered.
 */
export function addressedToUs(packet: Uint8Array): Uint8Array {
  const copy = packet.slice();
  const captured = [54, 4, 10, 77, 0, 1];
  const ours = [54, 4, ...[24, 16, 8, 0].map((s) => (CONFIG.serverIp! >>> s) & 0xff)];
  for (let i = 28 + 236; i + captured.length <= copy.length; i++) {
    if (captured.every((b, j) => copy[i + j] === b)) copy.set(ours, i);
  }
  return copy;
}

/** A captured DHCPv4 request, addressed to CONFIG's server. */
export function request(file: string, frame: number): Dhcp4Request {
  const result = parseDhcp4Request(addressedToUs(capturedFrame(file, frame).ipPacket));
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** A captured request with its DHCP message changed. */
export function edited(file: string, frame: number, change: Partial<Dhcp4Message>): Dhcp4Request {
  const r = request(file, frame);
  return { ...r, dhcp: { ...r.dhcp, ...change } };
}

/** The decision for `req` with BINDING and CONFIG, changed as given. */
export function answer(
  req: Dhcp4Request,
  binding: Partial<Binding> = {},
  config: Partial<DhcpConfig> = {},
): Decision {
  // Without its parameter request list the reply keeps the original's option order; the order a
  // request list asks for is tested in dhcp4_options_test.ts.
  const options = new Map(req.dhcp.options);
  options.delete(55);
  return answerDhcp4Message(
    { ...req.dhcp, options },
    contextOf({
      binding: { ...BINDING, ...binding },
      dhcp: { ...CONFIG, ...config },
      indev: INDEV,
    }),
  );
}

/** The reply of a `reply` decision, decoded (see `decodeDhcp4Frame`); fails on any other kind. */
export function replyOf(decision: Decision) {
  if (decision.kind !== "reply") assert.fail(`expected a reply: ${decision.why}`);
  return { ...decodeDhcp4Frame(decision.frame), why: decision.why };
}

/** The DHCP message of a captured request (see `request`). */
export function message(file: string, frame: number): Dhcp4Message {
  return request(file, frame).dhcp;
}

/** `m` with option `code` set to `value` (null: left out). */
export function withOption(m: Dhcp4Message, code: number, value: Uint8Array | null): Dhcp4Message {
  const options = new Map(m.options);
  if (value === null) options.delete(code);
  else options.set(code, value);
  return { ...m, options };
}
