/** Tests for the ICMPv6 header codec and its checksum over the IPv6 pseudo-header. */
import assert from "node:assert/strict";
import { parseIpv6, parseMac } from "../../src/address.ts";
import {
  emitIcmpv6Header,
  ICMPV6_TYPE,
  newIcmpv6Frame,
  parseIcmpv6,
  setIcmpv6Checksum,
} from "../../src/wire/icmpv6.ts";
import {
  IPV6_FRAME_PAYLOAD_OFFSET,
  type Ipv6Packet,
  parseIpv6Packet,
} from "../../src/wire/ipv6.ts";
import { capturedFrame, readPcap } from "../pcap.ts";
import { hex } from "../hex.ts";

function ipv6(bytes: Uint8Array): Ipv6Packet {
  const p = parseIpv6Packet(bytes);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}

/** Every ICMPv6 frame of the ND and DAD captures (both directions). */
const ICMP_FILES = [
  "kernel_linkup_dad_rs.pcap",
  "kernel_ns_gateway_ping.pcap",
  "rdisc6_rs.pcap",
  "ndisc6_router_global.pcap",
  "ndisc6_router_linklocal.pcap",
  "networkd_dhcp4_dhcp6_ra.pcap",
  "crafted_icmp6_rs_no_sllao.pcap",
];

function icmpFrames() {
  return ICMP_FILES.flatMap((file) =>
    readPcap(file).flatMap((f) => {
      const p = parseIpv6Packet(f.ipPacket);
      return p.ok && p.value.protocol === 58 ? [{ file, number: f.number, ip: p.value }] : [];
    })
  );
}

Deno.test("parseIcmpv6() reads a captured RS and checks its checksum", () => {
  const m = parseIcmpv6(ipv6(capturedFrame("rdisc6_rs.pcap", 1).ipPacket));
  assert.ok(m.ok);
  assert.equal(m.value.type, ICMPV6_TYPE.routerSolicitation);
  assert.equal(m.value.code, 0);
  assert.equal(m.value.checksum, 0x2d5c);
  assert.equal(m.value.checksumValid, true);
  assert.equal(hex(m.value.body), "00000000");
});

Deno.test("parseIcmpv6() finds every captured ICMPv6 checksum valid", () => {
  const frames = icmpFrames();
  assert.ok(frames.length > 50);
  for (const f of frames) {
    const m = parseIcmpv6(f.ip);
    assert.ok(m.ok && m.value.checksumValid, `${f.file} frame ${f.number}`);
  }
});

Deno.test("parseIcmpv6() flags a checksum that does not match", () => {
  const bytes = capturedFrame("kernel_linkup_dad_rs.pcap", 9).ipPacket.slice();
  bytes[bytes.length - 1]! ^= 1;
  const m = parseIcmpv6(ipv6(bytes));
  assert.ok(m.ok);
  assert.equal(m.value.checksumValid, false);
});

Deno.test("parseIcmpv6() rejects a non-ICMPv6 packet and a short message", () => {
  const udp = parseIcmpv6(ipv6(capturedFrame("dhcp6c_inforeq.pcap", 1).ipPacket));
  assert.deepEqual(udp, {
    ok: false,
    error: "Cannot parse ICMPv6 message: protocol is 17, not ICMPv6",
  });
  const rs = ipv6(capturedFrame("rdisc6_rs.pcap", 1).ipPacket);
  const short = parseIcmpv6({ ...rs, payload: rs.payload.subarray(0, 3) });
  assert.deepEqual(short, {
    ok: false,
    error: "Cannot parse ICMPv6 message: message of 3 bytes is shorter than a header",
  });
});

Deno.test("setIcmpv6Checksum() reproduces every captured checksum", () => {
  for (const f of icmpFrames()) {
    const copy = f.ip.payload.slice();
    copy[2] = 0xde;
    copy[3] = 0xad;
    setIcmpv6Checksum(copy, 0, copy.length, f.ip.src, f.ip.dst);
    assert.equal(hex(copy), hex(f.ip.payload), `${f.file} frame ${f.number}`);
  }
});

Deno.test("emitIcmpv6Header() writes type, code and a zero checksum", () => {
  const into = new Uint8Array(6).fill(0xa5);
  assert.equal(emitIcmpv6Header({ type: 136, code: 0 }, into, 1), 4);
  assert.equal(hex(into), "a588000000a5");
  assert.throws(() => emitIcmpv6Header({ type: 136, code: 0 }, into, 3), RangeError);
  // Exactly the room it needs, to the last byte.
  assert.equal(emitIcmpv6Header({ type: 135, code: 0 }, into, 2), 4);
  assert.equal(hex(into), "a58887000000");
});

Deno.test("newIcmpv6Frame() builds a frame whose checksum verifies", () => {
  const src = parseIpv6("fe80::fc54:ff:fe77:1")!;
  const dst = parseIpv6("ff02::1")!;
  const frame = newIcmpv6Frame(
    {
      ethDst: parseMac("33:33:00:00:00:01")!,
      ethSrc: parseMac("fe:54:00:77:00:01")!,
      src,
      dst,
      hopLimit: 255,
    },
    8,
    (into, offset) => {
      emitIcmpv6Header({ type: 128, code: 0 }, into, offset);
      into.set([0x12, 0x34, 0, 1], offset + 4);
      return 8;
    },
  );
  const ip = ipv6(frame.subarray(14));
  assert.equal(ip.nextHeader, 58);
  assert.equal(ip.payloadLength, 8);
  const m = parseIcmpv6(ip);
  assert.ok(m.ok && m.value.checksumValid);
  assert.equal(
    hex(frame.subarray(IPV6_FRAME_PAYLOAD_OFFSET, IPV6_FRAME_PAYLOAD_OFFSET + 2)),
    "8000",
  );
  assert.throws(
    () => newIcmpv6Frame({ ethDst: dst, ethSrc: dst, src, dst, hopLimit: 255 }, 8, () => 4),
    RangeError,
  );
});
