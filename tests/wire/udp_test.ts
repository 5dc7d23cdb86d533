/** Tests for the UDP codec and its checksum over the IPv4 and IPv6 pseudo-headers. */
import assert from "node:assert/strict";
import { finishChecksum, pseudoHeaderSum4, pseudoHeaderSum6 } from "../../src/wire/checksum.ts";
import { parseIpv4Packet } from "../../src/wire/ipv4.ts";
import {
  emitUdpHeader,
  emitUdpHeader4,
  isUdpChecksumValid,
  isUdpChecksumValid4,
  parseUdp,
  UDP_HEADER_LENGTH,
} from "../../src/wire/udp.ts";
import { capturedFrame } from "../pcap.ts";

/** The IPv4 packet and UDP datagram of a captured frame. */
function layers(file: string, frame: number) {
  const ip = parseIpv4Packet(capturedFrame(file, frame).ipPacket);
  if (!ip.ok) throw new Error(ip.error);
  const udp = parseUdp(ip.value.payload);
  if (!udp.ok) throw new Error(udp.error);
  return { ip: ip.value, udp: udp.value, bytes: ip.value.payload };
}

/** Frames whose senders computed the UDP checksum themselves (raw sockets, scapy). */
const FULL_CHECKSUM: [string, number][] = [
  ["dhclient4_dora_renew_release.pcap", 1],
  ["dhclient4_dora_renew_release.pcap", 3],
  ["dhclient4_init_reboot.pcap", 3],
  ["dhclient4_renew_rebind.pcap", 13],
  ["dhclient4_discover_duid_clientid_no_server.pcap", 2],
  ["networkd_dhcp4_dhcp6_ra.pcap", 1],
  ["networkd_dhcp4_dhcp6_ra.pcap", 9],
  ["crafted_dhcp4_inform.pcap", 1],
  ["crafted_dhcp4_options_no_end.pcap", 1],
  ["crafted_ipv4_options_ihl.pcap", 2],
];

/** Frames sent through a kernel UDP socket on a veth with checksum offload: partial checksum. */
const PARTIAL_CHECKSUM: [string, number][] = [
  ["dhclient4_dora_renew_release.pcap", 2], // dnsmasq's OFFER
  ["dhclient4_dora_renew_release.pcap", 7], // dhclient's unicast RENEW
  ["networkd_dhcp4_dhcp6_ra.pcap", 19], // networkd's unicast RELEASE
];

Deno.test("parseUdp() reads a captured DISCOVER's header", () => {
  const { udp, bytes } = layers("dhclient4_dora_renew_release.pcap", 1);
  assert.equal(udp.srcPort, 68);
  assert.equal(udp.dstPort, 67);
  assert.equal(udp.length, 308);
  assert.equal(udp.checksum, 0x581b);
  assert.equal(udp.payload.length, 300);
  assert.equal(udp.payload.byteOffset, bytes.byteOffset + 8);
});

Deno.test("parseUdp() reads a captured server reply's header", () => {
  const { udp } = layers("dhclient4_dora_renew_release.pcap", 4);
  assert.equal(udp.srcPort, 67);
  assert.equal(udp.dstPort, 68);
  assert.equal(udp.length, 322);
  assert.equal(udp.payload.length, 314);
});

Deno.test("parseUdp() rejects bad lengths with a reason, never throwing", () => {
  const { bytes } = layers("dhclient4_dora_renew_release.pcap", 1);
  const withLength = (n: number) => {
    const copy = bytes.slice();
    copy[4] = n >> 8;
    copy[5] = n & 0xff;
    return copy;
  };
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(0), /datagram of 0 bytes is shorter than a header/],
    [bytes.subarray(0, 7), /datagram of 7 bytes is shorter than a header/],
    [withLength(7), /length 7 is shorter than a header/],
    [withLength(309), /length 309 exceeds the 308 bytes received/],
    [bytes.subarray(0, 100), /length 308 exceeds the 100 bytes received/],
  ];
  for (const [input, reason] of cases) {
    const result = parseUdp(input);
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.error, /^Cannot parse UDP datagram: /);
    if (!result.ok) assert.match(result.error, reason);
  }
});

Deno.test("parseUdp() keeps trailing bytes beyond its length out of the payload", () => {
  const { bytes } = layers("dhclient4_dora_renew_release.pcap", 1);
  const longer = new Uint8Array(bytes.length + 5);
  longer.set(bytes);
  const result = parseUdp(longer);
  assert.ok(result.ok);
  assert.equal(result.value.payload.length, 300);
});

Deno.test("isUdpChecksumValid4() accepts every fully checksummed capture", () => {
  for (const [file, frame] of FULL_CHECKSUM) {
    const { ip, udp } = layers(file, frame);
    assert.equal(isUdpChecksumValid4(udp, ip.src, ip.dst), true, `${file} frame ${frame}`);
  }
});

Deno.test("isUdpChecksumValid4() rejects an offloaded checksum, which holds only the pseudo-header sum", () => {
  for (const [file, frame] of PARTIAL_CHECKSUM) {
    const { ip, udp } = layers(file, frame);
    assert.equal(isUdpChecksumValid4(udp, ip.src, ip.dst), false, `${file} frame ${frame}`);
    const partial = 0xffff ^ finishChecksum(pseudoHeaderSum4(ip.src, ip.dst, 17, udp.length));
    assert.equal(udp.checksum, partial, `${file} frame ${frame}`);
  }
});

Deno.test("isUdpChecksumValid4() rejects a flipped payload byte and accepts checksum 0 as none", () => {
  const { ip, bytes } = layers("dhclient4_dora_renew_release.pcap", 1);
  const flipped = bytes.slice();
  flipped[100]! ^= 0x01;
  const bad = parseUdp(flipped);
  assert.ok(bad.ok);
  assert.equal(isUdpChecksumValid4(bad.value, ip.src, ip.dst), false);
  flipped[6] = flipped[7] = 0;
  const none = parseUdp(flipped);
  assert.ok(none.ok);
  assert.equal(isUdpChecksumValid4(none.value, ip.src, ip.dst), true);
  // The strict form, as IPv6 needs it, does not take 0 as "none".
  const sum = pseudoHeaderSum4(ip.src, ip.dst, 17, none.value.length);
  assert.equal(isUdpChecksumValid(none.value, sum), false);
});

Deno.test("emitUdpHeader4() round-trips captured datagrams into a junk-filled buffer", () => {
  for (const [file, frame] of FULL_CHECKSUM) {
    const { ip, udp, bytes } = layers(file, frame);
    const into = new Uint8Array(bytes.length + 4).fill(0x5a);
    into.set(udp.payload, 2 + UDP_HEADER_LENGTH);
    const written = emitUdpHeader4(udp, into, 2, udp.payload.length, ip.src, ip.dst);
    assert.equal(written, UDP_HEADER_LENGTH);
    assert.deepEqual(into.subarray(2, 2 + bytes.length), bytes, `${file} frame ${frame}`);
    assert.deepEqual([...into.subarray(0, 2), ...into.subarray(2 + bytes.length)], [
      0x5a,
      0x5a,
      0x5a,
      0x5a,
    ]);
  }
});

Deno.test("emitUdpHeader() checksums over an IPv6 pseudo-header the IPv6 code can pass in", () => {
  // dhclient's INFORMATION-REQUEST: IPv6 header, then UDP at 40. Offloaded, so re-checksum it.
  const packet = capturedFrame("dhclient6_stateless_inforeq.pcap", 1).ipPacket;
  const src = packet.subarray(8, 24), dst = packet.subarray(24, 40);
  const captured = parseUdp(packet.subarray(40));
  assert.ok(captured.ok);
  const length = captured.value.length;
  const partial = 0xffff ^ finishChecksum(pseudoHeaderSum6(src, dst, 17, length));
  assert.equal(captured.value.checksum, partial);
  const into = packet.slice(40);
  emitUdpHeader(captured.value, into, 0, length - 8, pseudoHeaderSum6(src, dst, 17, length));
  const emitted = parseUdp(into);
  assert.ok(emitted.ok);
  assert.equal(emitted.value.srcPort, 546);
  assert.equal(emitted.value.dstPort, 547);
  assert.equal(isUdpChecksumValid(emitted.value, pseudoHeaderSum6(src, dst, 17, length)), true);
  assert.deepEqual(into.subarray(8), packet.subarray(48));
});

Deno.test("emitUdpHeader4() sends a computed checksum of 0 as 0xffff", () => {
  const src = 0x0a4d0001, dst = 0x0a4d005f;
  const into = new Uint8Array(12);
  emitUdpHeader4({ srcPort: 67, dstPort: 68 }, into, 0, 4, src, dst);
  // Putting the checksum into the payload makes the whole sum 0xffff: checksum 0.
  into[8] = into[6]!;
  into[9] = into[7]!;
  emitUdpHeader4({ srcPort: 67, dstPort: 68 }, into, 0, 4, src, dst);
  assert.deepEqual([...into.subarray(6, 8)], [0xff, 0xff]);
  const result = parseUdp(into);
  assert.ok(result.ok);
  assert.equal(isUdpChecksumValid4(result.value, src, dst), true);
});

Deno.test("emitUdpHeader() throws RangeError when the buffer has no room", () => {
  assert.throws(
    () => emitUdpHeader4({ srcPort: 67, dstPort: 68 }, new Uint8Array(20), 4, 10, 0, 0),
    { name: "RangeError", message: /^Cannot emit UDP datagram: 16 bytes of room/ },
  );
});
