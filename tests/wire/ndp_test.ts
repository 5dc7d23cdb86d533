/** Tests for the Neighbor Discovery codec: RS, RA, NS, NA and their options, on captured frames. */
import assert from "node:assert/strict";
import { formatIpv6, parseIpv6, parseMac } from "../../src/address.ts";
import { type Icmpv6Message, parseIcmpv6, setIcmpv6Checksum } from "../../src/wire/icmpv6.ts";
import { parseIpv6Packet } from "../../src/wire/ipv6.ts";
import {
  emitNdMessage,
  emitNdOption,
  findNdOption,
  type NdMessage,
  ndMessageLength,
  type NdOption,
  parseNdMessage,
  type RouterAdvertisement,
} from "../../src/wire/ndp.ts";
import { fromHex, hex } from "../hex.ts";
import { capturedFrame, readPcap } from "../pcap.ts";

function icmp(file: string, frame: number) {
  const ip = parseIpv6Packet(capturedFrame(file, frame).ipPacket);
  if (!ip.ok) throw new Error(ip.error);
  const m = parseIcmpv6(ip.value);
  if (!m.ok) throw new Error(m.error);
  return { ip: ip.value, icmp: m.value };
}

function nd(file: string, frame: number): NdMessage {
  const m = parseNdMessage(icmp(file, frame).icmp);
  if (!m.ok) throw new Error(m.error);
  return m.value;
}

/** An ICMPv6 message built from a type and a hex body, for malformed input. */
const crafted = (type: number, body: string): Icmpv6Message => ({
  type,
  code: 0,
  checksum: 0,
  checksumValid: true,
  body: fromHex(body),
});

const ND_FILES = [
  "kernel_linkup_dad_rs.pcap",
  "kernel_ns_gateway_ping.pcap",
  "rdisc6_rs.pcap",
  "ndisc6_router_global.pcap",
  "ndisc6_router_linklocal.pcap",
  "networkd_dhcp4_dhcp6_ra.pcap",
  "networkd_silent_link_discover_rs_solicit.pcap",
  "dhclient6_stateful_solicit_request_renew_release.pcap",
  "crafted_icmp6_rs_no_sllao.pcap",
];

Deno.test("parseNdMessage() reads a captured kernel RS with its source link-layer address", () => {
  const m = nd("kernel_linkup_dad_rs.pcap", 9);
  assert.equal(m.kind, "routerSolicitation");
  assert.equal(m.options.length, 1);
  const sllao = findNdOption(m.options, "sourceLinkLayer");
  assert.equal(hex(sllao!.address), "525400770010");
});

Deno.test("parseNdMessage() reads a captured rdisc6 RS without options", () => {
  const m = nd("rdisc6_rs.pcap", 1);
  assert.deepEqual(m, { kind: "routerSolicitation", options: [] });
});

Deno.test("parseNdMessage() reads a captured dnsmasq RA: flags, timers, prefix, MTU, SLLAO", () => {
  const m = nd("rdisc6_rs.pcap", 4);
  assert.equal(m.kind, "routerAdvertisement");
  if (m.kind !== "routerAdvertisement") return;
  assert.equal(m.curHopLimit, 64);
  assert.equal(m.managed, false);
  assert.equal(m.otherConfig, false);
  assert.equal(m.homeAgent, false);
  assert.equal(m.preference, "medium");
  assert.equal(m.proxy, false);
  assert.equal(m.routerLifetime, 1800);
  assert.equal(m.reachableTime, 0);
  assert.equal(m.retransTimer, 0);
  assert.equal(m.options.length, 3);
  const prefix = findNdOption(m.options, "prefixInformation")!;
  assert.equal(prefix.prefixLength, 64);
  assert.equal(prefix.onLink, true);
  assert.equal(prefix.autonomous, true);
  assert.equal(prefix.routerAddress, false);
  assert.equal(prefix.validLifetime, 0xffffffff);
  assert.equal(prefix.preferredLifetime, 0xffffffff);
  assert.equal(formatIpv6(prefix.prefix), "2001:db8:77::");
  assert.equal(findNdOption(m.options, "mtu")!.mtu, 1500);
  assert.equal(hex(findNdOption(m.options, "sourceLinkLayer")!.address), "fe5400770001");
});

Deno.test("parseNdMessage() reads a captured RA with M, O, RDNSS and DNSSL", () => {
  const m = nd("networkd_dhcp4_dhcp6_ra.pcap", 2);
  if (m.kind !== "routerAdvertisement") throw new Error(m.kind);
  assert.equal(m.managed, true);
  assert.equal(m.otherConfig, true);
  const prefix = findNdOption(m.options, "prefixInformation")!;
  assert.equal(prefix.onLink, true);
  assert.equal(prefix.autonomous, false);
  assert.equal(prefix.validLifetime, 1800);
  assert.equal(prefix.preferredLifetime, 1800);
  const dnssl = findNdOption(m.options, "dnssl")!;
  assert.equal(dnssl.lifetime, 1800);
  assert.deepEqual(dnssl.domains, ["example.test"]);
  const rdnss = findNdOption(m.options, "rdnss")!;
  assert.equal(rdnss.lifetime, 1800);
  assert.deepEqual(rdnss.servers.map(formatIpv6), ["2001:db8:77::1"]);
  assert.deepEqual(m.options.map((o) => o.kind), [
    "prefixInformation",
    "mtu",
    "sourceLinkLayer",
    "dnssl",
    "rdnss",
  ]);
});

Deno.test("parseNdMessage() reads a captured NS with its target and SLLAO", () => {
  const m = nd("ndisc6_router_global.pcap", 1);
  if (m.kind !== "neighbourSolicitation") throw new Error(m.kind);
  assert.equal(formatIpv6(m.target), "2001:db8:77::1");
  assert.deepEqual(m.options.map((o) => o.kind), ["sourceLinkLayer"]);
  assert.equal(hex(findNdOption(m.options, "sourceLinkLayer")!.address), "525400770010");
});

Deno.test("parseNdMessage() keeps the nonce of a captured DAD probe as an unknown option", () => {
  const m = nd("kernel_linkup_dad_rs.pcap", 7);
  if (m.kind !== "neighbourSolicitation") throw new Error(m.kind);
  assert.equal(formatIpv6(m.target), "fe80::5054:ff:fe77:10");
  assert.equal(findNdOption(m.options, "sourceLinkLayer"), undefined);
  assert.deepEqual(m.options, [{ kind: "unknown", type: 14, data: fromHex("1d761eaf63ce") }]);
});

Deno.test("parseNdMessage() reads captured NAs: flags and target link-layer address", () => {
  const withOption = nd("ndisc6_router_linklocal.pcap", 2);
  if (withOption.kind !== "neighbourAdvertisement") throw new Error(withOption.kind);
  assert.equal(withOption.router, false);
  assert.equal(withOption.solicited, true);
  assert.equal(withOption.override, true);
  assert.equal(formatIpv6(withOption.target), "fe80::fc54:ff:fe77:1");
  assert.equal(hex(findNdOption(withOption.options, "targetLinkLayer")!.address), "fe5400770001");
  const bare = nd("kernel_ns_gateway_ping.pcap", 10);
  if (bare.kind !== "neighbourAdvertisement") throw new Error(bare.kind);
  assert.equal(bare.solicited, true);
  assert.equal(bare.override, false);
  assert.deepEqual(bare.options, []);
});

Deno.test("emitNdMessage() round-trips every captured RS, RA, NS and NA byte for byte", () => {
  let count = 0;
  for (const file of ND_FILES) {
    for (const f of readPcap(file)) {
      const ip = parseIpv6Packet(f.ipPacket);
      if (!ip.ok || ip.value.protocol !== 58) continue;
      const m = parseIcmpv6(ip.value);
      if (!m.ok || m.value.type < 133 || m.value.type > 136) continue;
      const message = parseNdMessage(m.value);
      assert.ok(message.ok, `${file} frame ${f.number}`);
      const length = ndMessageLength(message.value);
      assert.equal(length, ip.value.payload.length, `${file} frame ${f.number}`);
      const into = new Uint8Array(length + 4).fill(0xa5);
      assert.equal(emitNdMessage(message.value, into, 2), length);
      setIcmpv6Checksum(into, 2, 2 + length, ip.value.src, ip.value.dst);
      assert.equal(hex(into.subarray(2, 2 + length)), hex(ip.value.payload), `${file} ${f.number}`);
      assert.equal(into[0], 0xa5);
      assert.equal(into[length + 2], 0xa5);
      count++;
    }
  }
  assert.ok(count >= 60, `only ${count} ND messages`);
});

Deno.test("emitNdMessage() writes an RA with every option and reads it back", () => {
  const ra: RouterAdvertisement = {
    kind: "routerAdvertisement",
    curHopLimit: 0,
    managed: true,
    otherConfig: true,
    homeAgent: true,
    preference: "low",
    proxy: true,
    routerLifetime: 14400,
    reachableTime: 30000,
    retransTimer: 1000,
    options: [
      { kind: "sourceLinkLayer", address: parseMac("fe:54:00:77:00:01")! },
      { kind: "mtu", mtu: 9000 },
      {
        kind: "prefixInformation",
        prefixLength: 64,
        onLink: true,
        autonomous: false,
        routerAddress: true,
        validLifetime: 86400,
        preferredLifetime: 14400,
        prefix: parseIpv6("2001:db8:77::1")!,
      },
      {
        kind: "rdnss",
        lifetime: 900,
        servers: [parseIpv6("2001:db8::53")!, parseIpv6("2001:db8::5353")!],
      },
      {
        kind: "rdnss",
        lifetime: 600,
        servers: ["2001:db8::1", "2001:db8::2", "2001:db8::3"].map((a) => parseIpv6(a)!),
      },
      { kind: "dnssl", lifetime: 900, domains: ["example.test", "a.example.test"] },
      { kind: "unknown", type: 7, data: fromHex("0000000003e8") },
    ],
  };
  const length = ndMessageLength(ra);
  assert.equal(length, 16 + 8 + 8 + 32 + 40 + 56 + 40 + 8);
  const into = new Uint8Array(length);
  emitNdMessage(ra, into);
  assert.equal(hex(into.subarray(0, 16)), "86000000" + "00fc3840" + "00007530" + "000003e8");
  // The PIO (after the 16-byte RA, SLLAO and MTU): L and R set, A clear (RFC 6275 7.2).
  assert.equal(hex(into.subarray(32, 36)), "030440a0");
  // Without room for all of it, nothing is written.
  const short = new Uint8Array(length + 1).fill(0xee);
  assert.throws(() => emitNdMessage(ra, short, 2), /no room/);
  assert.ok(short.every((b) => b === 0xee));
  const back = parseNdMessage({
    type: into[0]!,
    code: 0,
    checksum: 0,
    checksumValid: true,
    body: into.subarray(4),
  });
  assert.ok(back.ok);
  assert.deepEqual(back.value, ra);
});

Deno.test("emitNdOption() pads a DNSSL option with zeros to 8 bytes", () => {
  const option: NdOption = { kind: "dnssl", lifetime: 1800, domains: ["example.test"] };
  const into = new Uint8Array(24).fill(0xa5);
  assert.equal(emitNdOption(option, into, 0), 24);
  assert.equal(hex(into), "1f03000000000708076578616d706c650474657374000000");
});

Deno.test("parseNdMessage() rejects malformed messages with a reason", () => {
  const sllao = "0101525400770010";
  const cases: [string, Icmpv6Message, RegExp][] = [
    ["short RS", crafted(133, "000000"), /type 133 body of 3 bytes is shorter than 4/],
    ["short RA", crafted(134, "4000070800000000000000"), /shorter than 12/],
    ["short NS", crafted(135, "00000000fe80"), /shorter than 20/],
    ["short NA", crafted(136, "40000000"), /shorter than 20/],
    ["zero-length option", crafted(133, "00000000" + "0100525400770010"), /has length 0/],
    ["cut option", crafted(133, "00000000" + "01"), /option at 0 is cut short/],
    [
      "overrunning option",
      crafted(133, "00000000" + "0102525400770010"),
      /option 1 of 16 bytes overruns the message/,
    ],
    [
      "prefix of wrong length",
      crafted(134, "400007080000000000000000" + "0301400000000000"),
      /length 1, not 4/,
    ],
    [
      "prefix length 129",
      crafted(134, "400007080000000000000000" + "0304" + "81c0" + "00".repeat(28)),
      /129 is over 128/,
    ],
    [
      "MTU of wrong length",
      crafted(134, "400007080000000000000000" + "0502" + "00".repeat(14)),
      /length 2, not 1/,
    ],
    [
      "RDNSS without address",
      crafted(134, "400007080000000000000000" + "1901000000000708"),
      /holds no whole addresses/,
    ],
    [
      "RDNSS of even length",
      crafted(134, "400007080000000000000000" + "1902" + "00".repeat(14)),
      /holds no whole addresses/,
    ],
    [
      "DNSSL without name",
      crafted(134, "400007080000000000000000" + "1f01000000000708"),
      /holds no name/,
    ],
    [
      "DNSSL with junk padding",
      crafted(134, "400007080000000000000000" + "1f02000000000708" + "0161000001000000"),
      /padding/,
    ],
    [
      "DNSSL with a pointer",
      crafted(134, "400007080000000000000000" + "1f02000000000708" + "c00c000000000000"),
      /compression pointer/,
    ],
    ["not ND", crafted(128, "00000000"), /type 128 is not a Neighbor Discovery message/],
  ];
  for (const [what, message, reason] of cases) {
    const m = parseNdMessage(message);
    assert.equal(m.ok, false, what);
    if (!m.ok) {
      assert.match(m.error, /^Cannot parse ND message: /, what);
      assert.match(m.error, reason, what);
    }
  }
  assert.ok(parseNdMessage(crafted(133, "00000000" + sllao)).ok);
});

/** One option emitted alone, as hex. */
function optionHex(option: NdOption): string {
  const into = new Uint8Array(64).fill(0xa5);
  return hex(into.subarray(0, emitNdOption(option, into, 0)));
}

/** The option read back from hex, through an RS that carries it. */
function optionOf(wire: string): NdOption | string {
  const m = parseNdMessage(crafted(133, `00000000${wire}`));
  return m.ok ? m.value.options[0]! : m.error;
}

Deno.test("emitNdOption() writes PREF64 as RFC 8781 section 4: 13 bits of lifetime / 8, then the length code", () => {
  const prefix = parseIpv6("2001:db8:6400:1234:5678:9abc::")!;
  // Prefix Length Codes: 0 is /96, 1 /64, 2 /56, 3 /48, 4 /40, 5 /32. 1800 s is 225 units of 8.
  for (const [length, code] of [[96, 0], [64, 1], [56, 2], [48, 3], [40, 4], [32, 5]] as const) {
    const wire = `2602${(0x0708 | code).toString(16).padStart(4, "0")}20010db864001234` +
      "56789abc";
    assert.equal(optionHex({ kind: "pref64", lifetime: 1800, prefixLength: length, prefix }), wire);
    const back = optionOf(wire);
    assert.deepEqual(back, { kind: "pref64", lifetime: 1800, prefixLength: length, prefix }, wire);
  }
  // Seconds round up to the next unit of 8 (a prefix is never announced for less than asked),
  // and past 8191 units the field stays at its largest.
  const of = (lifetime: number) =>
    optionHex({ kind: "pref64", lifetime, prefixLength: 96, prefix: parseIpv6("64:ff9b::")! })
      .slice(4, 8);
  assert.equal(of(0), "0000");
  assert.equal(of(1), "0008");
  assert.equal(of(8), "0008");
  assert.equal(of(9), "0010");
  assert.equal(of(1801), "0710");
  assert.equal(of(65528), "fff8");
  assert.equal(of(65529), "fff8");
  assert.equal(of(1_000_000), "fff8");
  // The 32 bits past /96 are not on the wire: a /96's last bytes are dropped, not misplaced.
  assert.equal(
    optionHex({ kind: "pref64", lifetime: 0, prefixLength: 96, prefix: parseIpv6("64:ff9b::1")! }),
    "26020000" + "0064ff9b0000000000000000",
  );
  assert.throws(
    () => optionHex({ kind: "pref64", lifetime: 8, prefixLength: 80, prefix }),
    /prefix length 80/,
  );
});

Deno.test("parseNdMessage() reads PREF64 from RFC 8781 bytes and ignores the unused length codes", () => {
  const prefix = parseIpv6("64:ff9b::")!;
  assert.deepEqual(optionOf("2602fff80064ff9b0000000000000000"), {
    kind: "pref64",
    lifetime: 65528,
    prefixLength: 96,
    prefix,
  });
  assert.deepEqual(optionOf("2602000d0064ff9b0000000000000000"), {
    kind: "pref64",
    lifetime: 8,
    prefixLength: 32,
    prefix,
  });
  // Codes 6 and 7 are unused: the option is one to ignore (section 4), kept as unknown.
  for (const code of ["6", "7"]) {
    assert.deepEqual(optionOf(`2602000${code}0064ff9b0000000000000000`), {
      kind: "unknown",
      type: 38,
      data: fromHex(`000${code}0064ff9b0000000000000000`),
    });
  }
});

Deno.test("emitNdOption() writes MTU, RDNSS and prefix information as RFC 4861 and RFC 8106 lay them out", () => {
  // RFC 4861 4.6.4: type 5, length 1, 2 reserved bytes, the MTU in 32 bits.
  assert.equal(optionHex({ kind: "mtu", mtu: 1500 }), "0501" + "0000" + "000005dc");
  // RFC 8106 5.1: type 25, length 1 + 2 per address, 2 reserved, lifetime, the addresses.
  assert.equal(
    optionHex({ kind: "rdnss", lifetime: 1800, servers: [parseIpv6("2001:db8::53")!] }),
    "19030000" + "00000708" + "20010db8000000000000000000000053",
  );
  // RFC 4861 4.6.2: type 3, length 4, prefix length, L|A|R, valid, preferred, 4 reserved, prefix.
  assert.equal(
    optionHex({
      kind: "prefixInformation",
      prefixLength: 64,
      onLink: true,
      autonomous: true,
      routerAddress: false,
      validLifetime: 86400,
      preferredLifetime: 14400,
      prefix: parseIpv6("2001:db8:77::")!,
    }),
    "0304" + "40" + "c0" + "00015180" + "00003840" + "00000000" +
      "20010db8007700000000000000000000",
  );
  // RFC 4861 4.6.1: type 1 or 2, length 1, the Ethernet address.
  assert.equal(
    optionHex({ kind: "targetLinkLayer", address: parseMac("fe:54:00:77:00:01")! }),
    "0201fe5400770001",
  );
  // RFC 8106 5.2: DNSSL names in DNS wire format without compression, zero-padded.
  assert.equal(
    optionHex({ kind: "dnssl", lifetime: 0, domains: ["a.example", "b"] }),
    "1f030000" + "00000000" + "0161076578616d706c6500" + "016200" + "0000",
  );
});

Deno.test("parseNdMessage() reads each Prefix Information flag from its own bit (L clear, A set)", () => {
  // RFC 4861 4.2 and 4.6.2: an RA with no timers, then a /64 PIO whose flags byte is 0x40 (A only).
  const ra = crafted(
    134,
    "40000000" + "00000000" + "00000000" +
      "0304" + "40" + "40" + "00000e10" + "00000708" + "00000000" +
      "20010db8000000000000000000000000",
  );
  const m = parseNdMessage(ra);
  assert.ok(m.ok && m.value.kind === "routerAdvertisement", m.ok ? m.value.kind : m.error);
  const prefix = findNdOption(m.value.options, "prefixInformation")!;
  assert.deepEqual(
    [prefix.onLink, prefix.autonomous, prefix.routerAddress],
    [false, true, false],
  );
  assert.equal(prefix.validLifetime, 3600);
  assert.equal(prefix.preferredLifetime, 1800);
});

Deno.test("emitNdMessage() sets only the NA flags asked for, the reserved bits clear (RFC 4861 4.4)", () => {
  const na = (router: boolean, solicited: boolean, override: boolean): string => {
    const message: NdMessage = {
      kind: "neighbourAdvertisement",
      router,
      solicited,
      override,
      target: parseIpv6("2001:db8:77::1")!,
      options: [],
    };
    const into = new Uint8Array(ndMessageLength(message));
    emitNdMessage(message, into);
    return hex(into.subarray(4, 8));
  };
  assert.equal(na(false, false, false), "00000000");
  assert.equal(na(true, false, false), "80000000");
  assert.equal(na(false, true, false), "40000000");
  assert.equal(na(false, false, true), "20000000");
  assert.equal(na(true, true, true), "e0000000");
});
