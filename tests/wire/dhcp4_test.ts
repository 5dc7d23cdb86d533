/** Tests for the DHCPv4 message and option codecs on captured and crafted messages. */
import assert from "node:assert/strict";
import {
  BOOTP_MIN_LENGTH,
  dhcp4Length,
  type Dhcp4Message,
  echoClientId,
  emitDhcp4,
  parseDhcp4,
  replyFromRequest,
} from "../../src/wire/dhcp4.ts";
import {
  clientId,
  hostname,
  ipv4ListOption,
  maxMessageSize,
  messageType,
  messageTypeName,
  OPTION,
  parameterList,
  requestedIp,
  serverId,
  textOption,
  u16Option,
  u32Option,
} from "../../src/wire/dhcp4_options.ts";
import { emitEthernetHeader, parseEthernet } from "../../src/wire/ethernet.ts";
import { emitIpv4Header, parseIpv4Packet } from "../../src/wire/ipv4.ts";
import { emitUdpHeader4, parseUdp } from "../../src/wire/udp.ts";
import { capturedFrame } from "../pcap.ts";
import { hex } from "../hex.ts";

const ip = (a: number, b: number, c: number, d: number) =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const GUEST_MAC = "525400770010";
const DHCLIENT_PRL = "011c02030f06770c2c2f1a792a";

/** The DHCP bytes (UDP payload) of a captured frame. */
function dhcpBytes(file: string, frame: number): Uint8Array {
  const ip4 = parseIpv4Packet(capturedFrame(file, frame).ipPacket);
  if (!ip4.ok) throw new Error(ip4.error);
  const udp = parseUdp(ip4.value.payload);
  if (!udp.ok) throw new Error(udp.error);
  return udp.value.payload;
}

function message(file: string, frame: number): Dhcp4Message {
  const result = parseDhcp4(dhcpBytes(file, frame));
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

function errorOf(file: string, frame: number): string {
  const result = parseDhcp4(dhcpBytes(file, frame));
  assert.equal(result.ok, false);
  return result.ok ? "" : result.error;
}

Deno.test("parseDhcp4() reads a captured DISCOVER", () => {
  const m = message("dhclient4_dora_renew_release.pcap", 1);
  assert.equal(m.op, 1);
  assert.equal(m.htype, 1);
  assert.equal(m.hlen, 6);
  assert.equal(m.hops, 0);
  assert.equal(m.xid, 0xa83e8246);
  assert.equal(m.secs, 0);
  assert.equal(m.flags, 0);
  assert.equal(m.ciaddr, 0);
  assert.equal(m.yiaddr, 0);
  assert.equal(m.siaddr, 0);
  assert.equal(m.giaddr, 0);
  assert.equal(hex(m.chaddr), GUEST_MAC);
  assert.equal(m.sname.length, 64);
  assert.equal(m.file.length, 128);
  assert.ok(m.sname.every((b) => b === 0) && m.file.every((b) => b === 0));
  assert.deepEqual([...m.options.keys()], [53, 12, 55]);
  assert.equal(messageType(m.options), 1);
  assert.equal(hostname(m.options), "testvm");
  assert.equal(hex(parameterList(m.options)), DHCLIENT_PRL);
  assert.equal(clientId(m.options), null);
  assert.equal(requestedIp(m.options), null);
  assert.equal(serverId(m.options), null);
  assert.equal(maxMessageSize(m.options), null);
});

Deno.test("parseDhcp4() reads a captured SELECTING REQUEST with options 50 and 54", () => {
  const m = message("dhclient4_dora_renew_release.pcap", 3);
  assert.deepEqual([...m.options.keys()], [53, 54, 50, 12, 55]);
  assert.equal(messageType(m.options), 3);
  assert.equal(requestedIp(m.options), ip(10, 77, 0, 95));
  assert.equal(serverId(m.options), ip(10, 77, 0, 1));
  assert.equal(m.ciaddr, 0);
});

Deno.test("parseDhcp4() reads captured RENEWING, REBINDING and INIT-REBOOT REQUESTs", () => {
  const renewing = message("dhclient4_dora_renew_release.pcap", 7);
  assert.equal(renewing.ciaddr, ip(10, 77, 0, 95));
  assert.deepEqual([...renewing.options.keys()], [53, 12, 55]);
  const rebinding = message("dhclient4_renew_rebind.pcap", 13);
  assert.equal(rebinding.ciaddr, ip(10, 77, 0, 95));
  assert.equal(rebinding.secs, 19);
  const initReboot = message("dhclient4_init_reboot.pcap", 3);
  assert.equal(initReboot.xid, 0xb85bbc04);
  assert.equal(initReboot.ciaddr, 0);
  assert.equal(requestedIp(initReboot.options), ip(10, 77, 0, 95));
  assert.equal(serverId(initReboot.options), null);
});

Deno.test("parseDhcp4() reads a captured RELEASE", () => {
  const m = message("dhclient4_dora_renew_release.pcap", 11);
  assert.equal(m.xid, 0xdb90a522);
  assert.equal(messageType(m.options), 7);
  assert.equal(m.ciaddr, ip(10, 77, 0, 95));
  assert.deepEqual([...m.options.keys()], [53, 54, 12]);
  assert.equal(parameterList(m.options), null);
});

Deno.test("parseDhcp4() reads systemd-networkd's DISCOVER, REQUEST and short RELEASE", () => {
  const discover = message("networkd_dhcp4_dhcp6_ra.pcap", 1);
  assert.equal(discover.xid, 0x3a29ee83);
  assert.equal(discover.secs, 1);
  assert.deepEqual([...discover.options.keys()], [53, 61, 55, 57, 12]);
  assert.equal(hex(clientId(discover.options)), "ff75af0be600020000ab11dede0fabf5e9fca3");
  assert.equal(hex(parameterList(discover.options)), "0103060c0f212a7879");
  assert.equal(maxMessageSize(discover.options), 1472);
  const request = message("networkd_dhcp4_dhcp6_ra.pcap", 9);
  assert.deepEqual([...request.options.keys()], [53, 61, 55, 57, 54, 50, 12]);
  const release = message("networkd_dhcp4_dhcp6_ra.pcap", 19);
  assert.equal(dhcpBytes("networkd_dhcp4_dhcp6_ra.pcap", 19).length, 265);
  assert.equal(messageType(release.options), 7);
  assert.equal(release.secs, 14);
});

Deno.test("parseDhcp4() reads a DUID-based client identifier (RFC 4361)", () => {
  const m = message("dhclient4_discover_duid_clientid_no_server.pcap", 3);
  assert.equal(m.secs, 16);
  assert.equal(hex(clientId(m.options)), "ff0077001000010001329881cf525400770010");
});

Deno.test("parseDhcp4() reads a crafted INFORM and keeps options it has no accessor for", () => {
  const m = message("crafted_dhcp4_inform.pcap", 1);
  assert.equal(m.xid, 0x1f0a0001);
  assert.equal(messageType(m.options), 8);
  assert.equal(m.ciaddr, ip(10, 77, 0, 23));
  assert.deepEqual([...m.options.keys()], [53, 61, 12, 60, 55]);
  assert.equal(new TextDecoder().decode(m.options.get(OPTION.vendorClass)), "crafted");
  assert.equal(hex(clientId(m.options)), `01${GUEST_MAC}`);
});

Deno.test("parseDhcp4() reads a captured dnsmasq OFFER", () => {
  const m = message("dhclient4_dora_renew_release.pcap", 2);
  assert.equal(m.op, 2);
  assert.equal(m.yiaddr, ip(10, 77, 0, 95));
  assert.equal(m.siaddr, ip(10, 77, 0, 1));
  assert.deepEqual([...m.options.keys()], [53, 54, 51, 58, 59, 1, 28, 15, 6, 3]);
  assert.equal(hex(m.options.get(OPTION.leaseTime)), "00000078");
  assert.equal(new TextDecoder().decode(m.options.get(OPTION.domainName)), "example.test");
});

Deno.test("parseDhcp4() accepts options that end with the datagram and no END", () => {
  const m = message("crafted_dhcp4_options_no_end.pcap", 1);
  assert.deepEqual([...m.options.keys()], [53, 61, 55]);
  assert.equal(hex(parameterList(m.options)), "0103060f1a1c2a33363a3b7779");
});

Deno.test("parseDhcp4() rejects an option that overruns the datagram", () => {
  assert.equal(
    errorOf("crafted_dhcp4_options_no_end.pcap", 2),
    "Cannot parse DHCPv4 message: option 12 in options claims 10 bytes, only 4 remain",
  );
});

Deno.test("parseDhcp4() reads options overloaded into file, and into file and sname", () => {
  const fileOnly = message("crafted_dhcp4_option_overload.pcap", 1);
  assert.deepEqual([...fileOnly.options.keys()], [52, 61, 53, 55]);
  assert.equal(messageType(fileOnly.options), 1);
  assert.equal(hex(parameterList(fileOnly.options)), "0103060f1a1c2a33363a3b7779");
  const both = message("crafted_dhcp4_option_overload.pcap", 2);
  assert.deepEqual([...both.options.keys()], [52, 61, 53, 12, 55]);
  assert.equal(messageType(both.options), 1);
  assert.equal(hostname(both.options), "testvm");
});

Deno.test("parseDhcp4() rejects hlen beyond the 16-byte chaddr field", () => {
  assert.match(
    errorOf("crafted_dhcp4_huge_hlen.pcap", 1),
    /hlen 20 exceeds the 16-byte chaddr field/,
  );
  assert.match(
    errorOf("crafted_dhcp4_huge_hlen.pcap", 2),
    /hlen 255 exceeds the 16-byte chaddr field/,
  );
});

Deno.test("parseDhcp4() rejects truncated BOOTP headers and cookies", () => {
  assert.equal(
    errorOf("crafted_bootp_truncated_header.pcap", 1),
    "Cannot parse DHCPv4 message: message of 100 bytes is shorter than the 236-byte BOOTP header",
  );
  assert.equal(
    errorOf("crafted_bootp_truncated_header.pcap", 2),
    "Cannot parse DHCPv4 message: magic cookie is cut after 2 bytes",
  );
});

Deno.test("parseDhcp4() rejects plain BOOTP, a wrong cookie, a lone code and a bad overload", () => {
  const good = dhcpBytes("dhclient4_dora_renew_release.pcap", 1);
  const edited = (edit: (b: Uint8Array) => void, length = good.length) => {
    const copy = good.slice(0, length);
    edit(copy);
    return parseDhcp4(copy);
  };
  const cases: [ReturnType<typeof parseDhcp4>, RegExp][] = [
    [parseDhcp4(good.subarray(0, 236)), /BOOTP message has no DHCP magic cookie/],
    [edited((b) => b[239] = 0x64), /magic cookie is 0x63825364, not 0x63825363/],
    [edited((b) => b[240] = 12, 241), /option 12 in options has no length byte/],
    [
      edited((b) => b.set([52, 1, 4, 255], 240)),
      /option 52 \(overload\) is not a single byte 1, 2 or 3/,
    ],
  ];
  for (const [result, reason] of cases) {
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.error, reason);
  }
  // An overloaded but all-zero `file` is only padding: no error, no options from it.
  const overloaded = edited((b) => b.set([52, 1, 1, 255], 240));
  assert.ok(overloaded.ok);
  assert.deepEqual([...overloaded.value.options.keys()], [52]);
});

Deno.test("parseDhcp4() concatenates an option split in several parts (RFC 3396)", () => {
  const bytes = dhcpBytes("dhclient4_dora_renew_release.pcap", 1).slice();
  bytes.set([12, 3, 0x61, 0x62, 0x63, 53, 1, 3, 12, 2, 0x64, 0x65, 255], 240);
  const result = parseDhcp4(bytes);
  assert.ok(result.ok);
  assert.equal(hostname(result.value.options), "abcde");
  assert.deepEqual([...result.value.options.keys()], [12, 53]);
});

Deno.test("parseDhcp4() never throws on any truncation or byte flip of a capture", () => {
  const good = dhcpBytes("networkd_dhcp4_dhcp6_ra.pcap", 9);
  for (let n = 0; n <= good.length; n++) parseDhcp4(good.subarray(0, n));
  for (let at = 0; at < good.length; at++) {
    for (const value of [0, 1, 3, 52, 255]) {
      const copy = good.slice();
      copy[at] = value;
      parseDhcp4(copy);
    }
  }
});

Deno.test("emitDhcp4() round-trips captured messages into a junk-filled buffer", () => {
  const frames: [string, number][] = [
    ["dhclient4_dora_renew_release.pcap", 1],
    ["dhclient4_dora_renew_release.pcap", 2],
    ["dhclient4_dora_renew_release.pcap", 3],
    ["dhclient4_dora_renew_release.pcap", 4],
    ["dhclient4_dora_renew_release.pcap", 7],
    ["dhclient4_dora_renew_release.pcap", 11],
    ["dhclient4_init_reboot.pcap", 3],
    ["dhclient4_renew_rebind.pcap", 13],
    ["dhclient4_discover_duid_clientid_no_server.pcap", 1],
    ["networkd_dhcp4_dhcp6_ra.pcap", 1],
    ["networkd_dhcp4_dhcp6_ra.pcap", 9],
    ["networkd_dhcp4_dhcp6_ra.pcap", 11],
    ["networkd_dhcp4_dhcp6_ra.pcap", 19],
    ["crafted_dhcp4_inform.pcap", 2],
  ];
  for (const [file, frame] of frames) {
    const bytes = dhcpBytes(file, frame);
    const m = message(file, frame);
    const into = new Uint8Array(bytes.length + 10).fill(0xc3);
    assert.equal(emitDhcp4(m, into, 5, bytes.length), bytes.length, `${file} frame ${frame}`);
    assert.deepEqual(into.subarray(5, 5 + bytes.length), bytes, `${file} frame ${frame}`);
    assert.deepEqual(
      [...into.subarray(0, 5), ...into.subarray(5 + bytes.length)],
      new Array<number>(10).fill(0xc3),
    );
  }
});

Deno.test("emitDhcp4() round-trips whole captured frames (Ethernet, IPv4, UDP, DHCP)", () => {
  const frames: [string, number][] = [
    ["dhclient4_dora_renew_release.pcap", 1],
    ["dhclient4_dora_renew_release.pcap", 3],
    ["dhclient4_renew_rebind.pcap", 13],
    ["networkd_dhcp4_dhcp6_ra.pcap", 1],
    ["crafted_dhcp4_inform.pcap", 1],
  ];
  for (const [file, number] of frames) {
    const captured = capturedFrame(file, number).frame;
    const eth = parseEthernet(captured);
    assert.ok(eth.ok);
    const ip4 = parseIpv4Packet(eth.value.payload);
    assert.ok(ip4.ok);
    const udp = parseUdp(ip4.value.payload);
    assert.ok(udp.ok);
    const dhcp = parseDhcp4(udp.value.payload);
    assert.ok(dhcp.ok);
    const into = new Uint8Array(captured.length).fill(0x77);
    emitEthernetHeader(eth.value, into);
    emitIpv4Header(ip4.value, into, 14);
    const length = emitDhcp4(dhcp.value, into, 42, udp.value.payload.length);
    emitUdpHeader4(udp.value, into, 34, length, ip4.value.src, ip4.value.dst);
    assert.deepEqual(into, captured, `${file} frame ${number}`);
  }
});

Deno.test("emitDhcp4() pads to the minimum length, splits long options and leaves out overload", () => {
  const request = message("crafted_dhcp4_option_overload.pcap", 2);
  const reply = replyFromRequest(request);
  const long = new Uint8Array(300).map((_, i) => i & 0xff);
  reply.options.set(224, long);
  reply.options.set(OPTION.overload, Uint8Array.of(3));
  reply.options.set(OPTION.messageType, Uint8Array.of(2));
  const length = dhcp4Length(reply, BOOTP_MIN_LENGTH);
  assert.equal(length, 240 + (2 + 255) + (2 + 45) + 3 + 1);
  const into = new Uint8Array(length).fill(0xee);
  assert.equal(emitDhcp4(reply, into, 0, BOOTP_MIN_LENGTH), length);
  assert.deepEqual([...into.subarray(240, 242)], [224, 255]);
  assert.deepEqual([...into.subarray(497, 499)], [224, 45]);
  assert.deepEqual([...into.subarray(544)], [53, 1, 2, 255]);
  const parsed = parseDhcp4(into);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value.options.get(224), long);
  assert.deepEqual([...parsed.value.options.keys()], [224, 53]);
  // A short message is padded with zeros, not left with the buffer's junk.
  const short = replyFromRequest(request);
  const padded = new Uint8Array(BOOTP_MIN_LENGTH).fill(0xee);
  assert.equal(emitDhcp4(short, padded, 0, BOOTP_MIN_LENGTH), BOOTP_MIN_LENGTH);
  assert.equal(padded[240], 255);
  assert.ok(padded.subarray(241).every((b) => b === 0));
  assert.ok(padded.subarray(44, 236).every((b) => b === 0));
});

Deno.test("emitDhcp4() throws RangeError when the buffer has no room", () => {
  const m = message("dhclient4_dora_renew_release.pcap", 1);
  const length = dhcp4Length(m);
  assert.equal(length, 267);
  assert.throws(() => emitDhcp4(m, new Uint8Array(length - 1)), RangeError);
  assert.throws(() => emitDhcp4(m, new Uint8Array(length), 1), RangeError);
  assert.throws(() => emitDhcp4(m, new Uint8Array(299), 0, BOOTP_MIN_LENGTH), RangeError);
});

Deno.test("replyFromRequest() copies xid, flags, giaddr and chaddr and zeroes the rest", () => {
  const request = {
    ...message("networkd_dhcp4_dhcp6_ra.pcap", 9),
    flags: 0x8000,
    giaddr: ip(192, 0, 2, 9),
    hops: 2,
    ciaddr: ip(10, 77, 0, 95),
  };
  const reply = replyFromRequest(request);
  assert.equal(reply.op, 2);
  assert.equal(reply.htype, 1);
  assert.equal(reply.hlen, 6);
  assert.equal(reply.hops, 0);
  assert.equal(reply.xid, 0x3a29ee83);
  assert.equal(reply.secs, 0);
  assert.equal(reply.flags, 0x8000);
  assert.equal(reply.ciaddr, 0);
  assert.equal(reply.yiaddr, 0);
  assert.equal(reply.siaddr, 0);
  assert.equal(reply.giaddr, ip(192, 0, 2, 9));
  assert.equal(hex(reply.chaddr), GUEST_MAC);
  assert.equal(reply.sname.length + reply.file.length, 0);
  assert.equal(reply.options.size, 0);
  echoClientId(reply, request);
  assert.deepEqual([...reply.options.keys()], [61]);
  assert.equal(hex(reply.options.get(61)), "ff75af0be600020000ab11dede0fabf5e9fca3");
  const noId = replyFromRequest(message("dhclient4_dora_renew_release.pcap", 1));
  assert.equal(echoClientId(noId, message("dhclient4_dora_renew_release.pcap", 1)).options.size, 0);
});

Deno.test("option builders write big-endian values and UTF-8 text", () => {
  assert.equal(hex(u16Option(1450)), "05aa");
  assert.equal(hex(u32Option(604800)), "00093a80");
  assert.equal(hex(ipv4ListOption([ip(192, 0, 2, 2), ip(192, 0, 2, 3)])), "c0000202c0000203");
  assert.equal(hex(ipv4ListOption([])), "");
  assert.equal(hex(textOption("vm.example")), "766d2e6578616d706c65");
  assert.equal(messageTypeName(1), "DHCPDISCOVER");
  assert.equal(messageTypeName(8), "DHCPINFORM");
  assert.equal(messageTypeName(42), "DHCP message type 42");
});

Deno.test("option accessors return null for values of the wrong size", () => {
  const options = new Map<number, Uint8Array>([
    [OPTION.messageType, Uint8Array.of(1, 2)],
    [OPTION.requestedIp, Uint8Array.of(10, 77, 0)],
    [OPTION.maxMessageSize, Uint8Array.of(5)],
  ]);
  assert.equal(messageType(options), null);
  assert.equal(requestedIp(options), null);
  assert.equal(maxMessageSize(options), null);
  assert.equal(hostname(options), null);
});
