/**
 * The whole packet path under fuzz: Dispatcher.handle() with deps built as the daemon builds
 * them (one bound TAP, one unbound), and the invariants every verdict and reply must meet.
 */
import type { QueuedPacket } from "../../ffi/nfqueue.ts";
import { type Binding, parseBinding } from "../../src/bindings/binding.ts";
import { parseConfig } from "../../src/config/config.ts";
import type { Config } from "../../src/config/types.ts";
import { Dispatcher } from "../../src/daemon/dispatch.ts";
import { Logger } from "../../src/daemon/log.ts";
import { ReplyMemo } from "../../src/serve/memo.ts";
import { parseMac, sameMac } from "../../src/address.ts";
import { internetChecksum, pseudoHeaderSum6 } from "../../src/wire/checksum.ts";
import { parseDhcp4 } from "../../src/wire/dhcp4.ts";
import { parseDhcp6 } from "../../src/wire/dhcp6.ts";
import { FrameAllocator, parseEthernet } from "../../src/wire/ethernet.ts";
import { parseIcmpv6 } from "../../src/wire/icmpv6.ts";
import { parseIpv4Packet } from "../../src/wire/ipv4.ts";
import { isMulticast, multicastMac, parseIpv6Packet } from "../../src/wire/ipv6.ts";
import { parseNdMessage } from "../../src/wire/ndp.ts";
import { isUdpChecksumValid, isUdpChecksumValid4, parseUdp } from "../../src/wire/udp.ts";
import { layoutOf, type Service, serviceOf } from "./layout.ts";
import { hex } from "../hex.ts";

const BOUND_IFINDEX = 7;
const UNBOUND_IFINDEX = 8;
/** The largest frame an MTU-1500 link carries (no FCS, no VLAN tag). */
const MAX_FRAME = 1514;
/** The captures' host side (tests/fixtures/README.md): the TAP's own MAC. */
const HOST_MAC = parseMac("fe:54:00:77:00:01")!;
const BROADCAST = parseMac("ff:ff:ff:ff:ff:ff")!;

function bindingOf(text: string): Binding {
  const parsed = parseBinding("tap0", text);
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  return parsed.binding;
}

/** The captures' guest, as its manager would bind it; the MACSPOOF twin accepts any sender. */
const GUEST = "HOSTNAME=testvm.example.test\nMAC=52:54:00:77:00:10\nIP=10.77.0.95\n" +
  "SUBNET=10.77.0.0/24\nGATEWAY=10.77.0.1\nSUBNET6=2001:db8:77::/64\n";
const BINDING = bindingOf(GUEST);
const SPOOFABLE = bindingOf(`${GUEST}MACSPOOF=yes\n`);

function defaultConfig(): Config {
  // The defaults, with the one key a DHCP setup must name: the server address (the gateway).
  const parsed = parseConfig("[dhcp]\nserver_ip = 10.77.0.1\n", "fuzz.conf");
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  return parsed.config;
}

/** A dispatcher as the daemon wires it, and the replies it sent for the current packet. */
export class DispatchHarness {
  readonly config = defaultConfig();
  readonly sent: { ifindex: number; frame: Uint8Array }[] = [];
  binding: Binding = BINDING;
  /** Replies sent and checked so far, by the service the oracle saw: how deep inputs reach. */
  readonly replies: Record<Service, number> = { dhcp4: 0, rs: 0, ns: 0, dhcp6: 0 };
  readonly dispatcher = new Dispatcher({
    binding: (tap) => (tap === "tap0" ? this.binding : undefined),
    interfaceName: (
      i,
    ) => (i === BOUND_IFINDEX ? "tap0" : i === UNBOUND_IFINDEX ? "tap1" : undefined),
    interfaceInfo: (name) =>
      name === "tap0" ? { name, ifindex: BOUND_IFINDEX, mac: HOST_MAC } : undefined,
    send: (ifindex, frame) => {
      this.sent.push({ ifindex, frame: frame.slice() });
      return null;
    },
    config: () => this.config,
    // Debug level, so the messages of every branch are built (and could throw) as in production.
    log: new Logger({ write() {}, reopen() {}, close() {} }, "debug"),
    memo: new ReplyMemo(),
    frames: new FrameAllocator(),
  });

  /**
   * Hands `payload` to the bound TAP (directly or as a bridge port) and to an unbound one;
   * throws an Error naming the broken invariant.
   */
  check(payload: Uint8Array, spoofable: boolean, bridged: boolean): void {
    this.binding = spoofable ? SPOOFABLE : BINDING;
    const service = serviceOf(payload);
    const errorsBefore = this.dispatcher.stats.errors;
    this.sent.length = 0;
    const packet = (indev: number, physindev: number): QueuedPacket => ({
      queue: 42,
      id: 1,
      payload,
      indev,
      physindev,
      hwSource: () => null,
    });
    const verdict = bridged
      ? this.dispatcher.handle(packet(99, BOUND_IFINDEX))
      : this.dispatcher.handle(packet(BOUND_IFINDEX, 0));
    if (verdict !== "accept" && verdict !== "drop") fail(`verdict ${String(verdict)}`);
    if (this.dispatcher.stats.errors !== errorsBefore) {
      fail("handle() caught an exception from the packet path (stats.errors grew)");
    }
    if (service !== null && verdict === "accept") {
      fail(`bound TAP: a ${service} request was passed on (accept), not answered or dropped`);
    }
    if (this.sent.length > 1) fail(`${this.sent.length} replies to one packet`);
    if (this.sent.length === 1 && verdict !== "drop") fail("replied, then passed the request on");
    for (const { ifindex, frame } of this.sent) {
      if (ifindex !== BOUND_IFINDEX) fail(`reply sent to ifindex ${ifindex}, not the TAP`);
      if (service === null) fail("replied to a packet that is none of our requests");
      checkReply(frame, service, this.binding, payload);
      this.replies[service]++;
    }
    this.sent.length = 0;
    if (this.dispatcher.handle(packet(UNBOUND_IFINDEX, 0)) !== "accept") {
      fail("an unbound TAP's packet was not passed on");
    }
    if (this.sent.length !== 0) fail("replied on an unbound TAP");
  }
}

function fail(what: string): never {
  throw new InvariantViolation(what);
}

/** A broken invariant (as opposed to an exception thrown by the code under test). */
export class InvariantViolation extends Error {
  override name = "InvariantViolation";
}

/** Where a reply may go at the Ethernet layer: the binding's MAC, or the group its IP names. */
function checkEthernetDst(
  dst: Uint8Array,
  group: Uint8Array | null,
  binding: Binding,
  request: Uint8Array,
): void {
  if (group !== null) {
    if (!sameMac(dst, group)) {
      fail(`reply to a group address at Ethernet ${hex(dst)}, not its group MAC ${hex(group)}`);
    }
    return;
  }
  if (sameMac(dst, binding.mac)) return;
  // With MACSPOOF a reply may go to the MAC the request claimed (chaddr, link-layer option).
  if (binding.macspoof && carries(request, dst) && !(dst[0]! & 1)) return;
  fail(`reply to Ethernet ${hex(dst)}, not the binding's MAC ${binding.macText}`);
}

/** The reply re-parses with our own codecs, checksums hold, and it goes where it should. */
function checkReply(frame: Uint8Array, service: Service, binding: Binding, request: Uint8Array) {
  if (frame.length > MAX_FRAME) fail(`reply frame of ${frame.length} bytes exceeds ${MAX_FRAME}`);
  const eth = parseEthernet(frame);
  if (!eth.ok) return fail(eth.error);
  if (!sameMac(eth.value.src, HOST_MAC)) fail(`reply from Ethernet ${hex(eth.value.src)}`);
  if (service === "dhcp4") {
    if (eth.value.etherType !== 0x0800) fail(`DHCPv4 reply of EtherType ${eth.value.etherType}`);
    const ip = parseIpv4Packet(eth.value.payload);
    if (!ip.ok) return fail(`reply: ${ip.error}`);
    if (ip.value.totalLength !== eth.value.payload.length) fail("reply IPv4 length mismatch");
    if (internetChecksum(eth.value.payload, 0, ip.value.headerLength) !== 0) fail("IPv4 checksum");
    const udp = parseUdp(ip.value.payload);
    if (!udp.ok) return fail(`reply: ${udp.error}`);
    // From 67, back to the port the request came from (as the original).
    const from = requestPort(request);
    if (udp.value.srcPort !== 67 || udp.value.dstPort !== from) fail("DHCPv4 reply ports");
    if (!isUdpChecksumValid4(udp.value, ip.value.src, ip.value.dst)) fail("UDP checksum");
    const dhcp = parseDhcp4(udp.value.payload);
    if (!dhcp.ok) return fail(`reply: ${dhcp.error}`);
    if (dhcp.value.op !== 2) fail("DHCPv4 reply is not a BOOTREPLY");
    const xid = requestXid(request);
    if (xid !== dhcp.value.xid) fail(`DHCPv4 reply xid ${dhcp.value.xid}, request's ${xid}`);
    const broadcast = ip.value.dst === 0xffffffff;
    checkEthernetDst(eth.value.dst, broadcast ? BROADCAST : null, binding, request);
    return;
  }
  if (eth.value.etherType !== 0x86dd) fail(`${service} reply of EtherType ${eth.value.etherType}`);
  const ip = parseIpv6Packet(eth.value.payload);
  if (!ip.ok) return fail(`reply: ${ip.error}`);
  if (ip.value.payloadLength + 40 !== eth.value.payload.length) fail("reply IPv6 length mismatch");
  const group = isMulticast(ip.value.dst) ? multicastMac(ip.value.dst) : null;
  checkEthernetDst(eth.value.dst, group, binding, request);
  if (service === "dhcp6") {
    const udp = parseUdp(ip.value.payload);
    if (!udp.ok) return fail(`reply: ${udp.error}`);
    // RFC 8415 section 7.2 ports; the reply goes back to the port the request came from.
    const clientPort = u16At(request, layoutOf(request).l4At);
    if (udp.value.srcPort !== 547 || udp.value.dstPort !== clientPort) {
      fail(`DHCPv6 reply from port ${udp.value.srcPort} to ${udp.value.dstPort}`);
    }
    const sum = pseudoHeaderSum6(ip.value.src, ip.value.dst, 17, udp.value.length);
    if (!isUdpChecksumValid(udp.value, sum)) fail("DHCPv6 reply UDP checksum");
    const dhcp = parseDhcp6(udp.value.payload);
    if (!dhcp.ok) return fail(`reply: ${dhcp.error}`);
    if (dhcp.value.msgType !== 2 && dhcp.value.msgType !== 7) fail("not Advertise or Reply");
    return;
  }
  const icmp = parseIcmpv6(ip.value);
  if (!icmp.ok) return fail(`reply: ${icmp.error}`);
  if (!icmp.value.checksumValid) fail("ICMPv6 checksum");
  if (ip.value.hopLimit !== 255) fail("ND reply hop limit is not 255");
  const nd = parseNdMessage(icmp.value);
  if (!nd.ok) return fail(`reply: ${nd.error}`);
  const want = service === "rs" ? "routerAdvertisement" : "neighbourAdvertisement";
  if (nd.value.kind !== want) fail(`${service} answered with ${nd.value.kind}`);
}

/** The xid of the DHCPv4 request in `p`, or null when it does not parse (then none is answered). */
function requestXid(p: Uint8Array): number | null {
  const ip = parseIpv4Packet(p);
  const udp = ip.ok ? parseUdp(ip.value.payload) : null;
  const dhcp = udp?.ok ? parseDhcp4(udp.value.payload) : null;
  return dhcp?.ok ? dhcp.value.xid : null;
}

/** The UDP source port of a DHCPv4 request, or null when it has none. */
function requestPort(p: Uint8Array): number | null {
  const ip = parseIpv4Packet(p);
  const udp = ip.ok ? parseUdp(ip.value.payload) : null;
  return udp?.ok ? udp.value.srcPort : null;
}

function u16At(p: Uint8Array, at: number): number {
  return ((p[at] ?? 0) << 8) | (p[at + 1] ?? 0);
}

/** True when the 6 bytes of `mac` occur in `bytes`. */
function carries(bytes: Uint8Array, mac: Uint8Array): boolean {
  for (let i = 0; i + 6 <= bytes.length; i++) {
    if (sameMac(bytes.subarray(i, i + 6), mac)) return true;
  }
  return false;
}
