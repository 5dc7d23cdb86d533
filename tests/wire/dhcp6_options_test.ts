/**
 * DHCPv6 options against bytes that are not ours: a whole Advertise dnsmasq sent in a capture,
 * rebuilt from literal values with our encoders, and the layouts of RFC 8415 section 21 and RFC
 * 3646 written out by hand for the options dnsmasq did not send.
 */
import assert from "node:assert/strict";
import { parseIpv6 } from "../../src/address.ts";
import { DHCP6_MESSAGE, emitDhcp6 } from "../../src/wire/dhcp6.ts";
import {
  DHCP6_STATUS,
  type Dhcp6Option,
  dhcp6OptionsLength,
  emitDhcp6Options,
  parseDhcp6Options,
} from "../../src/wire/dhcp6_options.ts";
import { fromHex, hex } from "../hex.ts";
import { capturedFrame } from "../pcap.ts";

const v6 = (text: string) => parseIpv6(text)!;

function optionsHex(options: Dhcp6Option[]): string {
  const into = new Uint8Array(dhcp6OptionsLength(options) + 2).fill(0xa5);
  const length = emitDhcp6Options(options, into, 1);
  assert.equal(length, into.length - 2);
  assert.equal(into[into.length - 1], 0xa5, "wrote past its length");
  return hex(into.subarray(1, 1 + length));
}

Deno.test("emitDhcp6() with our option encoders rebuilds a captured dnsmasq Advertise byte for byte", () => {
  const frame = capturedFrame("dhclient6_stateful_solicit_request_renew_release.pcap", 6);
  // IPv6 header of 40 bytes and UDP of 8: the rest is the Advertise.
  const captured = frame.ipPacket.subarray(48);
  const options: Dhcp6Option[] = [
    {
      kind: "clientId",
      duid: {
        type: "llt",
        hardwareType: 1,
        time: 0x3298822c,
        linkLayerAddress: fromHex("525400770010"),
      },
    },
    {
      kind: "serverId",
      duid: { type: "ll", hardwareType: 1, linkLayerAddress: fromHex("fe5400770001") },
    },
    {
      kind: "iaNa",
      iaid: 0x00770010,
      t1: 60,
      t2: 105,
      options: [{
        kind: "iaAddress",
        address: v6("2001:db8:77::12b"),
        preferredLifetime: 120,
        validLifetime: 120,
        options: [],
      }],
    },
    { kind: "statusCode", status: DHCP6_STATUS.success, message: "success" },
    { kind: "preference", value: 0 },
    { kind: "domainList", domains: ["example.test"] },
    { kind: "dnsServers", servers: [v6("2001:db8:77::1")] },
  ];
  const message = {
    kind: "message",
    msgType: DHCP6_MESSAGE.advertise,
    transactionId: 0x3e19f8,
    options,
  } as const;
  const out = new Uint8Array(captured.length);
  assert.equal(emitDhcp6(message, out), captured.length);
  assert.equal(hex(out), hex(captured));
});

Deno.test("emitDhcp6Options() lays out the options dnsmasq did not send as RFC 8415 section 21 says", () => {
  // 21.7 Option Request: codes of 16 bits. 21.9 Elapsed Time: hundredths in 16 bits.
  assert.equal(
    optionsHex([{ kind: "optionRequest", codes: [23, 24, 82] }]),
    "00060006001700180052",
  );
  assert.equal(optionsHex([{ kind: "elapsedTime", hundredths: 0xffff }]), "00080002ffff");
  // 21.14 Rapid Commit: no data. 21.13 Status Code: 16-bit code, UTF-8 text, no terminator.
  assert.equal(optionsHex([{ kind: "rapidCommit" }]), "000e0000");
  assert.equal(
    optionsHex([{ kind: "statusCode", status: DHCP6_STATUS.noAddrsAvail, message: "none" }]),
    "000d00060002" + "6e6f6e65",
  );
  // 21.5 IA_TA: IAID, then options. 21.21/21.22 IA_PD and IA Prefix: T1 and T2, then preferred,
  // valid, the prefix length and 16 bytes of prefix.
  assert.equal(
    optionsHex([{ kind: "iaTa", iaid: 7, options: [] }]),
    "0004000400000007",
  );
  assert.equal(
    optionsHex([{
      kind: "iaPd",
      iaid: 1,
      t1: 1800,
      t2: 2880,
      options: [{
        kind: "iaPrefix",
        preferredLifetime: 3600,
        validLifetime: 7200,
        prefixLength: 56,
        prefix: v6("2001:db8:aa00::"),
        options: [{ kind: "statusCode", status: DHCP6_STATUS.success, message: "" }],
      }],
    }]),
    "0019002f" + "00000001" + "00000708" + "00000b40" +
      "001a001f" + "00000e10" + "00001c20" + "38" + "20010db8aa0000000000000000000000" +
      "000d00020000",
  );
  // RFC 3646: DNS servers (23) as 16-byte addresses, the domain list (24) in DNS wire format.
  assert.equal(
    optionsHex([
      { kind: "dnsServers", servers: [v6("2001:db8::53"), v6("::1")] },
      { kind: "domainList", domains: ["a.example", "b"] },
    ]),
    "00170020" + "20010db8000000000000000000000053" + "00000000000000000000000000000001" +
      "0018000e" + "0161076578616d706c6500" + "016200",
  );
  // An option we do not know goes out as it came in.
  assert.equal(
    optionsHex([{ kind: "unknown", code: 0xfff0, data: fromHex("abcd") }]),
    "fff00002abcd",
  );
});

Deno.test("parseDhcp6Options() reads every 16-byte address of a DNS servers option (RFC 3646)", () => {
  const bytes = fromHex(
    "00170030" + "20010db8000000000000000000000053" + "00000000000000000000000000000001" +
      "20010db8000000000000000000005353",
  );
  assert.deepEqual(parseDhcp6Options(bytes), [{
    kind: "dnsServers",
    servers: [v6("2001:db8::53"), v6("::1"), v6("2001:db8::5353")],
  }]);
});
