/** Tests for the DHCPv6 codec (messages and options) on captured client and server messages. */
import assert from "node:assert/strict";
import { formatIpv6, parseIpv6 } from "../../src/address.ts";
import {
  DHCP6_MESSAGE,
  dhcp6Length,
  type Dhcp6Message,
  type Dhcp6Relay,
  emitDhcp6,
  parseDhcp6,
} from "../../src/wire/dhcp6.ts";
import { DHCP6_STATUS, filterDhcp6Options, findDhcp6Option } from "../../src/wire/dhcp6_options.ts";
import { parseIpv6Packet } from "../../src/wire/ipv6.ts";
import { parseUdp } from "../../src/wire/udp.ts";
import { capturedFrame, readPcap } from "../pcap.ts";
import { fromHex, hex } from "../hex.ts";

const v6 = (text: string) => parseIpv6(text)!;

function payload(file: string, frame: number): Uint8Array {
  const ip = parseIpv6Packet(capturedFrame(file, frame).ipPacket);
  if (!ip.ok) throw new Error(ip.error);
  const udp = parseUdp(ip.value.payload);
  if (!udp.ok) throw new Error(udp.error);
  return udp.value.payload;
}

function message(file: string, frame: number): Dhcp6Message {
  const m = parseDhcp6(payload(file, frame));
  if (!m.ok) throw new Error(m.error);
  if (m.value.kind !== "message") throw new Error("relay");
  return m.value;
}

const DHCP6_FILES = [
  "dhclient6_stateless_inforeq.pcap",
  "dhclient6_stateful_solicit_request_renew_release.pcap",
  "dhclient6_confirm_renew_rebind.pcap",
  "dhcp6c_inforeq.pcap",
  "dhcp6c_stateful_release.pcap",
  "networkd_dhcp4_dhcp6_ra.pcap",
  "networkd_silent_link_discover_rs_solicit.pcap",
];

const GUEST_MAC = fromHex("525400770010");
const TAP_MAC = fromHex("fe5400770001");

Deno.test("parseDhcp6() reads a captured Information-Request with a DUID-LL", () => {
  const m = message("dhclient6_stateless_inforeq.pcap", 1);
  assert.equal(m.msgType, DHCP6_MESSAGE.informationRequest);
  assert.equal(m.transactionId, 0x7b23c6);
  assert.deepEqual(m.options, [
    { kind: "clientId", duid: { type: "ll", hardwareType: 1, linkLayerAddress: GUEST_MAC } },
    { kind: "optionRequest", codes: [23, 24, 39, 31] },
    { kind: "elapsedTime", hundredths: 0 },
  ]);
});

Deno.test("parseDhcp6() reads a captured Solicit with a DUID-LLT and an IA_NA", () => {
  const m = message("dhclient6_stateful_solicit_request_renew_release.pcap", 1);
  assert.equal(m.msgType, DHCP6_MESSAGE.solicit);
  assert.equal(m.transactionId, 0x3e19f8);
  assert.deepEqual(m.options, [
    {
      kind: "clientId",
      duid: { type: "llt", hardwareType: 1, time: 0x3298822c, linkLayerAddress: GUEST_MAC },
    },
    { kind: "optionRequest", codes: [23, 24, 39, 31] },
    { kind: "elapsedTime", hundredths: 0 },
    { kind: "iaNa", iaid: 0x00770010, t1: 3600, t2: 5400, options: [] },
  ]);
});

Deno.test("parseDhcp6() reads a captured networkd Solicit: DUID-EN, rapid commit, IA_PD, FQDN", () => {
  const m = message("networkd_dhcp4_dhcp6_ra.pcap", 3);
  assert.equal(m.msgType, DHCP6_MESSAGE.solicit);
  assert.equal(m.transactionId, 0x412e14);
  assert.deepEqual(m.options, [
    { kind: "rapidCommit" },
    { kind: "iaNa", iaid: 0x75af0be6, t1: 0, t2: 0, options: [] },
    { kind: "iaPd", iaid: 0x75af0be6, t1: 0, t2: 0, options: [] },
    { kind: "unknown", code: 39, data: fromHex("010674657374766d") },
    { kind: "optionRequest", codes: [23, 31, 56, 82] },
    {
      kind: "clientId",
      duid: { type: "en", enterpriseNumber: 43793, identifier: fromHex("dede0fabf5e9fca3") },
    },
    { kind: "elapsedTime", hundredths: 0 },
  ]);
});

Deno.test("parseDhcp6() reads a captured Request with a server id and an IA address", () => {
  const m = message("dhclient6_stateful_solicit_request_renew_release.pcap", 7);
  assert.equal(m.msgType, DHCP6_MESSAGE.request);
  assert.equal(m.transactionId, 0x9577a6);
  const server = findDhcp6Option(m.options, "serverId")!;
  assert.deepEqual(server.duid, { type: "ll", hardwareType: 1, linkLayerAddress: TAP_MAC });
  assert.deepEqual(findDhcp6Option(m.options, "iaNa"), {
    kind: "iaNa",
    iaid: 0x00770010,
    t1: 3600,
    t2: 5400,
    options: [{
      kind: "iaAddress",
      address: v6("2001:db8:77::12b"),
      preferredLifetime: 7200,
      validLifetime: 7500,
      options: [],
    }],
  });
});

Deno.test("parseDhcp6() reads a captured dnsmasq Advertise: IA, status, preference, DNS", () => {
  const m = message("dhclient6_stateful_solicit_request_renew_release.pcap", 6);
  assert.equal(m.msgType, DHCP6_MESSAGE.advertise);
  assert.deepEqual(m.options.map((o) => o.kind), [
    "clientId",
    "serverId",
    "iaNa",
    "statusCode",
    "preference",
    "domainList",
    "dnsServers",
  ]);
  const ia = findDhcp6Option(m.options, "iaNa")!;
  assert.equal(ia.t1, 60);
  assert.equal(ia.t2, 105);
  const address = findDhcp6Option(ia.options, "iaAddress")!;
  assert.equal(formatIpv6(address.address), "2001:db8:77::12b");
  assert.equal(address.preferredLifetime, 120);
  assert.equal(address.validLifetime, 120);
  assert.deepEqual(findDhcp6Option(m.options, "statusCode"), {
    kind: "statusCode",
    status: DHCP6_STATUS.success,
    message: "success",
  });
  assert.deepEqual(findDhcp6Option(m.options, "preference"), { kind: "preference", value: 0 });
  assert.deepEqual(findDhcp6Option(m.options, "domainList")!.domains, ["example.test"]);
  assert.deepEqual(findDhcp6Option(m.options, "dnsServers")!.servers.map(formatIpv6), [
    "2001:db8:77::1",
  ]);
});

Deno.test("parseDhcp6() reads the status messages of captured Replies", () => {
  const release = message("dhclient6_stateful_solicit_request_renew_release.pcap", 21);
  assert.equal(findDhcp6Option(release.options, "statusCode")!.message, "release received");
  const confirm = message("dhclient6_confirm_renew_rebind.pcap", 2);
  assert.equal(
    findDhcp6Option(confirm.options, "statusCode")!.message,
    "all addresses still on link",
  );
  const rapid = message("networkd_dhcp4_dhcp6_ra.pcap", 10);
  assert.equal(rapid.msgType, DHCP6_MESSAGE.reply);
  assert.ok(findDhcp6Option(rapid.options, "rapidCommit"));
});

Deno.test("emitDhcp6() round-trips every captured DHCPv6 message byte for byte", () => {
  let count = 0;
  for (const file of DHCP6_FILES) {
    for (const f of readPcap(file)) {
      const ip = parseIpv6Packet(f.ipPacket);
      if (!ip.ok || ip.value.protocol !== 17) continue;
      const udp = parseUdp(ip.value.payload);
      if (!udp.ok) continue;
      const m = parseDhcp6(udp.value.payload);
      assert.ok(m.ok, `${file} frame ${f.number}`);
      const length = dhcp6Length(m.value);
      assert.equal(length, udp.value.payload.length, `${file} frame ${f.number}`);
      const into = new Uint8Array(length + 3).fill(0xa5);
      assert.equal(emitDhcp6(m.value, into, 1), length);
      assert.equal(
        hex(into.subarray(1, 1 + length)),
        hex(udp.value.payload),
        `${file} ${f.number}`,
      );
      assert.equal(into[0], 0xa5);
      assert.equal(into[length + 1], 0xa5);
      count++;
    }
  }
  assert.equal(count, 33);
});

Deno.test("parseDhcp6() reads a relay message, and emitDhcp6() writes it back", () => {
  const wire = "0c01" + "20010db8007700000000000000000001" + "fe800000000000005054" +
    "00fffe770010" + "0012000474617030" + "0009000a" + "0b7b23c6" + "000800020000";
  const m = parseDhcp6(fromHex(wire));
  assert.ok(m.ok);
  const relay = m.value as Dhcp6Relay;
  assert.equal(relay.kind, "relay");
  assert.equal(relay.msgType, DHCP6_MESSAGE.relayForward);
  assert.equal(relay.hopCount, 1);
  assert.equal(formatIpv6(relay.linkAddress), "2001:db8:77::1");
  assert.equal(formatIpv6(relay.peerAddress), "fe80::5054:ff:fe77:10");
  assert.deepEqual(relay.options, [
    { kind: "unknown", code: 18, data: fromHex("74617030") },
    { kind: "unknown", code: 9, data: fromHex("0b7b23c6000800020000") },
  ]);
  const into = new Uint8Array(dhcp6Length(relay));
  emitDhcp6(relay, into);
  assert.equal(hex(into), wire);
});

Deno.test("IA_TA, IA_PD with IA prefixes and nested status codes round-trip", () => {
  const m: Dhcp6Message = {
    kind: "message",
    msgType: DHCP6_MESSAGE.reply,
    transactionId: 0xabcdef,
    options: [
      { kind: "iaTa", iaid: 7, options: [{ kind: "statusCode", status: 2, message: "none" }] },
      {
        kind: "iaPd",
        iaid: 9,
        t1: 100,
        t2: 160,
        options: [{
          kind: "iaPrefix",
          preferredLifetime: 200,
          validLifetime: 300,
          prefixLength: 56,
          prefix: v6("2001:db8:100::"),
          options: [{ kind: "statusCode", status: 0, message: "ok é" }],
        }],
      },
    ],
  };
  const into = new Uint8Array(dhcp6Length(m));
  emitDhcp6(m, into);
  assert.equal(hex(into.subarray(0, 4)), "07abcdef");
  assert.deepEqual(parseDhcp6(into), { ok: true, value: m });
});

Deno.test("parseDhcp6() rejects malformed messages with a reason", () => {
  const head = "0b7b23c6";
  const cases: [string, string, RegExp][] = [
    ["empty", "", /message is empty/],
    ["message type alone", "0b", /message of 1 bytes is shorter than 4/],
    ["short header", "0b7b23", /message of 3 bytes is shorter than 4/],
    ["short relay", "0c00" + "00".repeat(20), /relay message of 22 bytes is shorter than 34/],
    ["cut option header", head + "000100", /option at 0 is cut short/],
    ["overrunning option", head + "0008000400", /option 8 of 4 bytes overruns its container/],
    ["empty DUID", head + "00010000", /DUID of 0 bytes has no type/],
    ["short DUID-LLT", head + "0001000400010001", /DUID-LLT of 4 bytes is shorter than 8/],
    ["short DUID-LL", head + "00010003" + "000300", /DUID-LL of 3 bytes is shorter than 4/],
    ["short DUID-EN", head + "00010004" + "00020000", /DUID-EN of 4 bytes is shorter than 6/],
    ["DUID-UUID of 4 bytes", head + "00010004" + "00040000", /DUID-UUID has 4 bytes, not 18/],
    ["short IA_NA", head + "00030004" + "00000001", /option 3 of 4 bytes is shorter than 12/],
    ["short IA_TA", head + "00040002" + "0000", /option 4 of 2 bytes is shorter than 4/],
    [
      "short IA address",
      head + "00050010" + "00".repeat(16),
      /option 5 of 16 bytes is shorter than 24/,
    ],
    [
      "short IA prefix",
      head + "001a0018" + "00".repeat(24),
      /option 26 of 24 bytes is shorter than 25/,
    ],
    ["odd option request", head + "00060003" + "001700", /not a list of codes/],
    ["long preference", head + "00070002" + "ffff", /option 7 has 2 bytes, not 1/],
    ["short elapsed time", head + "00080001" + "00", /option 8 has 1 bytes, not 2/],
    ["rapid commit with data", head + "000e0001" + "00", /option 14 has 1 bytes, not 0/],
    ["short status", head + "000d0001" + "00", /option 13 of 1 bytes is shorter than 2/],
    ["status not UTF-8", head + "000d0003" + "0000ff", /status message is not UTF-8/],
    ["partial DNS server", head + "00170004" + "20010db8", /holds no whole addresses/],
    ["domain list pointer", head + "00180002" + "c00c", /domain list: .*compression pointer/],
    [
      "IA address overrunning its IA",
      head + "00030010" + "00000001" + "00".repeat(8) + "0005ffff",
      /option 5 of 65535 bytes overruns its container/,
    ],
  ];
  for (const [what, wire, reason] of cases) {
    const m = parseDhcp6(fromHex(wire));
    assert.equal(m.ok, false, what);
    if (!m.ok) {
      assert.match(m.error, /^Cannot parse DHCPv6 message: /, what);
      assert.match(m.error, reason, what);
    }
  }
});

Deno.test("parseDhcp6() refuses options nested deeper than IA → address → status", () => {
  let inner = "000d00020000";
  for (let i = 0; i < 6; i++) {
    const length = 12 + inner.length / 2;
    inner = "0003" + length.toString(16).padStart(4, "0") + "00".repeat(12) + inner;
  }
  const m = parseDhcp6(fromHex("0b000001" + inner));
  assert.equal(m.ok, false);
  if (!m.ok) assert.match(m.error, /nested too deep/);
});

Deno.test("filterDhcp6Options() returns every option of a kind, in order", () => {
  const m = message("networkd_dhcp4_dhcp6_ra.pcap", 3);
  assert.deepEqual(filterDhcp6Options(m.options, "iaNa").map((o) => o.iaid), [0x75af0be6]);
  assert.deepEqual(filterDhcp6Options(m.options, "serverId"), []);
});

Deno.test("emitDhcp6() refuses a buffer too small, saying how much room there is and is needed", () => {
  const m: Dhcp6Message = {
    kind: "message",
    msgType: DHCP6_MESSAGE.reply,
    transactionId: 1,
    options: [],
  };
  assert.throws(() => emitDhcp6(m, new Uint8Array(8), 6), /2 bytes of room, 4 needed/);
  assert.equal(emitDhcp6(m, new Uint8Array(8), 4), 4);
});
