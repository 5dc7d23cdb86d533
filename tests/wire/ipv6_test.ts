/** Tests for the IPv6 header codec and the IPv6 address helpers of src/wire/ipv6.ts. */
import assert from "node:assert/strict";
import { formatIpv6, formatMac, parseIpv6, parseMac } from "../../src/address.ts";
import { ETHERTYPE_IPV6, parseEthernet } from "../../src/wire/ethernet.ts";
import {
  ALL_NODES_ADDRESS,
  ALL_ROUTERS_ADDRESS,
  emitIpv6Header,
  findUpperLayer,
  IPV6_FRAME_PAYLOAD_OFFSET,
  IPV6_HEADER_LENGTH,
  isMulticast,
  isUnspecified,
  macOfEui64,
  multicastMac,
  newIpv6Frame,
  parseIpv6Packet,
  sameIpv6,
  solicitedNodeAddress,
} from "../../src/wire/ipv6.ts";
import { capturedFrame, readPcap } from "../pcap.ts";
import { DESTINATION_OPTIONS, FRAGMENT, HOP_BY_HOP, withExtensionHeaders } from "./craft.ts";
import { hex } from "../hex.ts";

const v6 = (text: string) => parseIpv6(text)!;

function parsed(file: string, frame: number) {
  const result = parseIpv6Packet(capturedFrame(file, frame).ipPacket);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** Every IPv6 frame of every capture: the codec must take them all. */
function allIpv6Frames() {
  const files = [...Deno.readDirSync(new URL("../fixtures/", import.meta.url))]
    .map((e) => e.name).filter((n) => n.endsWith(".pcap")).sort();
  return files.flatMap((file) =>
    readPcap(file).filter((f) => ((f.frame[12]! << 8) | f.frame[13]!) === ETHERTYPE_IPV6)
      .map((f) => ({ file, ...f }))
  );
}

Deno.test("parseIpv6Packet() reads a captured RS", () => {
  const p = parsed("rdisc6_rs.pcap", 1);
  assert.equal(p.trafficClass, 0);
  assert.equal(p.flowLabel, 0xeed7a);
  assert.equal(p.payloadLength, 8);
  assert.equal(p.nextHeader, 58);
  assert.equal(p.protocol, 58);
  assert.deepEqual(p.extensionHeaders, []);
  assert.equal(p.hopLimit, 255);
  assert.equal(formatIpv6(p.src), "fe80::5054:ff:fe77:10");
  assert.equal(formatIpv6(p.dst), "ff02::2");
  assert.equal(hex(p.payload), "85002d5c00000000");
});

Deno.test("parseIpv6Packet() reads a captured DHCPv6 reply's traffic class", () => {
  const p = parsed("dhclient6_stateless_inforeq.pcap", 6);
  assert.equal(p.trafficClass, 0xc0);
  assert.equal(p.flowLabel, 0x2dd94);
  assert.equal(p.hopLimit, 64);
  assert.equal(p.protocol, 17);
  assert.equal(p.payload.length, 0x56);
});

Deno.test("parseIpv6Packet() steps over the hop-by-hop header of a captured MLD report", () => {
  const p = parsed("kernel_linkup_dad_rs.pcap", 3);
  assert.equal(p.nextHeader, 0);
  assert.deepEqual(p.extensionHeaders, [0]);
  assert.equal(p.protocol, 58);
  assert.equal(p.payload.length, 0x24 - 8);
  assert.equal(p.payload[0], 143);
  assert.ok(isUnspecified(p.src));
});

Deno.test("parseIpv6Packet() leaves out link-layer padding after the payload", () => {
  const bytes = capturedFrame("rdisc6_rs.pcap", 1).ipPacket;
  const padded = new Uint8Array(bytes.length + 6);
  padded.set(bytes);
  padded.fill(0xee, bytes.length);
  const p = parseIpv6Packet(padded);
  assert.ok(p.ok);
  assert.equal(hex(p.value.payload), "85002d5c00000000");
});

Deno.test("parseIpv6Packet() takes every IPv6 frame of every capture", () => {
  const frames = allIpv6Frames();
  assert.ok(frames.length > 100);
  for (const f of frames) {
    const p = parseIpv6Packet(f.ipPacket);
    assert.ok(p.ok, `${f.file} frame ${f.number}: ${p.ok ? "" : p.error}`);
  }
});

Deno.test("emitIpv6Header() reproduces every captured header", () => {
  for (const f of allIpv6Frames()) {
    const p = parsed(f.file, f.number);
    const into = new Uint8Array(IPV6_HEADER_LENGTH + 4).fill(0xa5);
    assert.equal(emitIpv6Header(p, into, 2), IPV6_HEADER_LENGTH);
    assert.equal(into[0], 0xa5);
    assert.equal(into[IPV6_HEADER_LENGTH + 2], 0xa5);
    assert.equal(
      hex(into.subarray(2, 42)),
      hex(f.ipPacket.subarray(0, 40)),
      `${f.file} ${f.number}`,
    );
  }
});

Deno.test("emitIpv6Header() refuses a buffer without room", () => {
  const p = parsed("rdisc6_rs.pcap", 1);
  assert.throws(() => emitIpv6Header(p, new Uint8Array(39)), RangeError);
  assert.throws(
    () => emitIpv6Header(p, new Uint8Array(50), 20),
    /Cannot emit IPv6 header: 30 bytes of room/,
  );
});

Deno.test("parseIpv6Packet() rejects malformed packets with a reason", () => {
  const rs = capturedFrame("rdisc6_rs.pcap", 1).ipPacket;
  const cases: [string, Uint8Array, RegExp][] = [
    ["short", rs.subarray(0, 39), /shorter than a header/],
    ["version 4", Uint8Array.from(rs, (b, i) => (i === 0 ? 0x40 : b)), /version is 4/],
    ["payload length past the end", rs.subarray(0, 44), /payload length 8 exceeds the 4 bytes/],
  ];
  const withExtension = (next: number, ext: number[]) => {
    const b = new Uint8Array(40 + ext.length);
    b.set(rs.subarray(0, 40));
    b[4] = 0;
    b[5] = ext.length;
    b[6] = next;
    b.set(ext, 40);
    return b;
  };
  cases.push(
    ["fragment", withExtension(44, [58, 0, 0, 1, 0, 0, 0, 1]), /fragmented packets are not served/],
    ["cut extension", withExtension(0, [58, 0, 0]), /extension header 0 is cut short/],
    ["overrunning extension", withExtension(60, [58, 1, 0, 0, 0, 0, 0, 0]), /overruns the packet/],
  );
  for (const [what, bytes, reason] of cases) {
    const p = parseIpv6Packet(bytes);
    assert.equal(p.ok, false, what);
    if (!p.ok) {
      assert.match(p.error, /^Cannot parse IPv6 packet: /, what);
      assert.match(p.error, reason, what);
    }
  }
});

Deno.test("parseIpv6Packet() steps over routing, destination and authentication headers", () => {
  const rs = capturedFrame("rdisc6_rs.pcap", 1).ipPacket;
  const destination = [43, 0, 0, 0, 0, 0, 0, 0];
  const routing = [51, 0, 0, 0, 0, 0, 0, 0];
  const authentication = [58, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // (1 + 2) * 4 bytes
  const ext = [...destination, ...routing, ...authentication];
  const b = new Uint8Array(40 + ext.length + 8);
  b.set(rs.subarray(0, 40));
  b[5] = ext.length + 8;
  b[6] = 60;
  b.set(ext, 40);
  b.set(rs.subarray(40), 40 + ext.length);
  const p = parseIpv6Packet(b);
  assert.ok(p.ok);
  assert.deepEqual(p.value.extensionHeaders, [60, 43, 51]);
  assert.equal(p.value.protocol, 58);
  assert.equal(hex(p.value.payload), "85002d5c00000000");
});

Deno.test("newIpv6Frame() writes the Ethernet and IPv6 headers of a reply", () => {
  const frame = newIpv6Frame({
    ethDst: parseMac("52:54:00:77:00:10")!,
    ethSrc: parseMac("fe:54:00:77:00:01")!,
    src: v6("fe80::fc54:ff:fe77:1"),
    dst: v6("fe80::5054:ff:fe77:10"),
    hopLimit: 255,
    trafficClass: 0xc0,
    nextHeader: 58,
    payloadLength: 24,
  });
  assert.equal(frame.length, IPV6_FRAME_PAYLOAD_OFFSET + 24);
  const eth = parseEthernet(frame);
  assert.ok(eth.ok);
  assert.equal(eth.value.etherType, ETHERTYPE_IPV6);
  assert.equal(hex(eth.value.dst), "525400770010");
  assert.equal(hex(eth.value.src), "fe5400770001");
  const p = parseIpv6Packet(eth.value.payload);
  assert.ok(p.ok);
  assert.equal(p.value.trafficClass, 0xc0);
  assert.equal(p.value.flowLabel, 0);
  assert.equal(p.value.hopLimit, 255);
  assert.equal(p.value.payloadLength, 24);
  assert.equal(formatIpv6(p.value.src), "fe80::fc54:ff:fe77:1");
  assert.equal(formatIpv6(p.value.dst), "fe80::5054:ff:fe77:10");
});

Deno.test("solicitedNodeAddress() and multicastMac() map addresses as RFC 4291 and RFC 2464 say", () => {
  assert.equal(formatIpv6(solicitedNodeAddress(v6("2001:db8:77::12b"))), "ff02::1:ff00:12b");
  assert.equal(formatIpv6(solicitedNodeAddress(v6("fe80::5054:ff:fe77:10"))), "ff02::1:ff77:10");
  assert.equal(hex(multicastMac(ALL_NODES_ADDRESS)), "333300000001");
  assert.equal(hex(multicastMac(v6("ff02::1:ff77:10"))), "3333ff770010");
  assert.equal(formatIpv6(ALL_ROUTERS_ADDRESS), "ff02::2");
});

Deno.test("macOfEui64() recovers the MAC of an EUI-64 identifier, none from a random one", () => {
  assert.equal(hex(macOfEui64(v6("fe80::5054:ff:fe77:10"))!), "525400770010");
  assert.equal(hex(macOfEui64(v6("fe80::fc54:ff:fe77:1"))!), "fe5400770001");
  assert.equal(macOfEui64(v6("fe80::1c2d:3e4f:5a6b:7c8d")), null);
  assert.equal(macOfEui64(new Uint8Array(16)), null);
});

Deno.test("address predicates classify :: and multicast addresses", () => {
  assert.ok(isUnspecified(v6("::")));
  assert.ok(!isUnspecified(v6("::1")));
  assert.ok(isMulticast(v6("ff02::1:2")));
  assert.ok(!isMulticast(v6("fe80::1")));
  assert.ok(sameIpv6(v6("2001:db8::1"), v6("2001:db8:0::1")));
  assert.ok(!sameIpv6(v6("2001:db8::1"), v6("2001:db8::2")));
});

Deno.test("findUpperLayer() steps over at most 8 extension headers and stops at a Fragment header", () => {
  const rs = capturedFrame("rdisc6_rs.pcap", 1).ipPacket;
  const eight = findUpperLayer(withExtensionHeaders(rs, Array(8).fill(DESTINATION_OPTIONS)));
  assert.ok(eight.ok);
  assert.deepEqual([eight.value.protocol, eight.value.offset], [58, 40 + 64]);
  const nine = findUpperLayer(withExtensionHeaders(rs, Array(9).fill(DESTINATION_OPTIONS)));
  assert.deepEqual(nine, {
    ok: false,
    error: "Cannot parse IPv6 packet: more than 8 extension headers",
  });
  assert.ok(!parseIpv6Packet(withExtensionHeaders(rs, Array(9).fill(HOP_BY_HOP))).ok);
  const fragment = findUpperLayer(withExtensionHeaders(rs, [HOP_BY_HOP, FRAGMENT]));
  assert.ok(fragment.ok);
  assert.deepEqual([fragment.value.protocol, fragment.value.offset], [44, 48]);
});

Deno.test("macOfEui64() needs both ff and fe in the middle of the identifier", () => {
  assert.deepEqual(
    formatMac(macOfEui64(parseIpv6("fe80::5054:ff:fe6a:1")!)!),
    "52:54:00:6a:00:01",
  );
  assert.equal(macOfEui64(parseIpv6("fe80::5054:ff:fd6a:1")!), null, "ff:fd");
  assert.equal(macOfEui64(parseIpv6("fe80::5054:fe:fe6a:1")!), null, "fe:fe");
});

Deno.test("isMulticast() is the ff00::/8 block only", () => {
  assert.ok(isMulticast(parseIpv6("ff02::1")!));
  assert.ok(!isMulticast(parseIpv6("fe80::1")!));
  assert.ok(!isMulticast(parseIpv6("::1")!));
});
