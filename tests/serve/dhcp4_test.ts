/** Tests for the DHCPv4 responder: captured requests in, every field of the reply frame checked. */
import assert from "node:assert/strict";
import type { Binding } from "../../src/bindings/binding.ts";
import type { Decision } from "../../src/serve/decision.ts";
import { classify } from "../../src/serve/decide.ts";
import { answerDhcp4Message, dhcp4Responder, parseDhcp4Request } from "../../src/serve/dhcp4.ts";
import { parseMac } from "../../src/address.ts";
import { internetChecksum } from "../../src/wire/checksum.ts";
import type { Dhcp4Message } from "../../src/wire/dhcp4.ts";
import { capturedFrame, readPcap } from "../pcap.ts";
import { contextOf } from "./context.ts";
import { hex } from "../hex.ts";
import { answer, BINDING, CONFIG, edited, INDEV, ip, replyOf, request } from "./dhcp4_setup.ts";

const text = (s: string) => hex(new TextEncoder().encode(s));

const GUEST_MAC = "525400770010";
const TAP_MAC = "fe5400770001";

/** The options every OFFER/ACK carries with BINDING and CONFIG, in order (53 and 54 follow). */
const LEASE_OPTIONS: [number, string | undefined][] = [
  [12, text("testvm")],
  [15, text("example.test")],
  [28, "0a4d00ff"],
  [1, "ffffff00"],
  [58, "00000258"],
  [51, "00093a80"],
  [3, "0a4d0001"],
  [6, "c0000202c0000203"],
];

const optionList = (m: Dhcp4Message) => [...m.options].map(([code, value]) => [code, hex(value)]);

function assertDropped(decision: Decision, why: RegExp): void {
  assert.equal(decision.kind, "drop");
  assert.match(decision.why, why);
}

Deno.test("answerDhcp4Message() answers a captured DISCOVER with an OFFER, every field checked", () => {
  const reply = replyOf(answer(request("dhclient4_dora_renew_release.pcap", 1)));
  assert.equal(reply.why, "DHCPOFFER 10.77.0.95 to 52:54:00:77:00:10 on tap0");
  assert.equal(hex(reply.eth.dst), GUEST_MAC);
  assert.equal(hex(reply.eth.src), TAP_MAC);
  assert.equal(reply.ip.ihl, 5);
  assert.equal(reply.ip.ttl, 64);
  assert.equal(reply.ip.protocol, 17);
  assert.equal(reply.ip.tos, 0);
  assert.equal(reply.ip.dontFragment || reply.ip.moreFragments, false);
  assert.equal(reply.ip.src, ip(192, 0, 2, 1));
  assert.equal(reply.ip.dst, ip(10, 77, 0, 95));
  assert.equal(reply.udp.srcPort, 67);
  assert.equal(reply.udp.dstPort, 68);
  assert.equal(reply.udp.payload.length, 240 + 71 + 1); // options and END: past 300, no padding
  const m = reply.dhcp;
  assert.deepEqual(
    [m.op, m.htype, m.hlen, m.hops, m.xid, m.secs, m.flags],
    [2, 1, 6, 0, 0xa83e8246, 0, 0],
  );
  assert.deepEqual([m.ciaddr, m.yiaddr, m.siaddr, m.giaddr], [0, ip(10, 77, 0, 95), 0, 0]);
  assert.equal(hex(m.chaddr), GUEST_MAC);
  assert.ok(m.sname.every((b) => b === 0) && m.file.every((b) => b === 0));
  assert.deepEqual(optionList(m), [...LEASE_OPTIONS, [53, "02"], [54, "c0000201"]]);
});

Deno.test("answerDhcp4Message() ACKs a captured SELECTING REQUEST for the binding's address", () => {
  const reply = replyOf(answer(request("dhclient4_dora_renew_release.pcap", 3)));
  assert.equal(reply.why, "DHCPACK 10.77.0.95 to 52:54:00:77:00:10 on tap0");
  assert.equal(reply.ip.dst, ip(10, 77, 0, 95));
  assert.equal(hex(reply.eth.dst), GUEST_MAC);
  assert.equal(reply.dhcp.xid, 0xa83e8246);
  assert.equal(reply.dhcp.ciaddr, 0);
  assert.equal(reply.dhcp.yiaddr, ip(10, 77, 0, 95));
  assert.deepEqual(optionList(reply.dhcp), [...LEASE_OPTIONS, [53, "05"], [54, "c0000201"]]);
});

Deno.test("answerDhcp4Message() ACKs INIT-REBOOT, RENEWING and REBINDING REQUESTs, echoing ciaddr", () => {
  const initReboot = replyOf(answer(request("dhclient4_init_reboot.pcap", 3)));
  assert.equal(initReboot.dhcp.ciaddr, 0);
  assert.equal(initReboot.ip.dst, ip(10, 77, 0, 95));
  for (
    const [file, frame] of [["dhclient4_dora_renew_release.pcap", 7], [
      "dhclient4_renew_rebind.pcap",
      13,
    ]] as const
  ) {
    const reply = replyOf(answer(request(file, frame)));
    assert.equal(reply.dhcp.ciaddr, ip(10, 77, 0, 95));
    assert.equal(reply.dhcp.yiaddr, ip(10, 77, 0, 95));
    assert.equal(reply.ip.dst, ip(10, 77, 0, 95));
    assert.equal(hex(reply.eth.dst), GUEST_MAC);
    assert.deepEqual(optionList(reply.dhcp), [...LEASE_OPTIONS, [53, "05"], [54, "c0000201"]]);
  }
});

Deno.test("answerDhcp4Message() NAKs a REQUEST whose option 50 names another address", () => {
  const decision = answer(request("dhclient4_dora_renew_release.pcap", 3), {
    ip: ip(10, 77, 0, 50),
  });
  const reply = replyOf(decision);
  assert.equal(
    reply.why,
    "DHCPNAK (requested 10.77.0.95, bound 10.77.0.50) to 52:54:00:77:00:10 on tap0 (broadcast)",
  );
  assert.equal(hex(reply.eth.dst), "ffffffffffff");
  assert.equal(hex(reply.eth.src), TAP_MAC);
  assert.equal(reply.ip.src, ip(192, 0, 2, 1));
  assert.equal(reply.ip.dst, 0xffffffff);
  assert.deepEqual([reply.dhcp.ciaddr, reply.dhcp.yiaddr, reply.dhcp.siaddr], [0, 0, 0]);
  assert.equal(reply.dhcp.xid, 0xa83e8246);
  assert.deepEqual(optionList(reply.dhcp), [[53, "06"], [54, "c0000201"]]);
  assert.equal(reply.udp.payload.length, 300);
});

Deno.test("answerDhcp4Message() NAKs a RENEWING REQUEST whose ciaddr is another address", () => {
  const reply = replyOf(
    answer(request("dhclient4_dora_renew_release.pcap", 7), { ip: ip(10, 77, 0, 50) }),
  );
  assert.equal(reply.ip.dst, 0xffffffff);
  assert.equal(reply.dhcp.ciaddr, 0);
  assert.deepEqual(optionList(reply.dhcp), [[53, "06"], [54, "c0000201"]]);
});

Deno.test("answerDhcp4Message() ACKs an INFORM with names and DNS only, to the client's ciaddr", () => {
  for (const frame of [1, 2]) {
    const reply = replyOf(answer(request("crafted_dhcp4_inform.pcap", frame)));
    assert.equal(reply.why, "DHCPACK to DHCPINFORM from 10.77.0.23 to 52:54:00:77:00:10 on tap0");
    assert.equal(reply.ip.dst, ip(10, 77, 0, 23));
    assert.equal(hex(reply.eth.dst), GUEST_MAC);
    assert.equal(reply.dhcp.xid, 0x1f0a0000 + frame);
    assert.equal(reply.dhcp.ciaddr, ip(10, 77, 0, 23));
    assert.equal(reply.dhcp.yiaddr, 0);
    assert.deepEqual(optionList(reply.dhcp), [
      [12, text("testvm")],
      [15, text("example.test")],
      [6, "c0000202c0000203"],
      [53, "05"],
      [54, "c0000201"],
      [61, `01${GUEST_MAC}`],
    ]);
  }
});

Deno.test("answerDhcp4Message() drops a captured RELEASE and a DECLINE with a reason", () => {
  assertDropped(
    answer(request("dhclient4_dora_renew_release.pcap", 11)),
    /^DHCPRELEASE from 52:54:00:77:00:10 on tap0: released 10.77.0.95, no reply$/,
  );
  assertDropped(
    answer(request("networkd_dhcp4_dhcp6_ra.pcap", 19)),
    /^DHCPRELEASE from .* no reply$/,
  );
  const req = request("dhclient4_dora_renew_release.pcap", 3);
  const decline = new Map(req.dhcp.options).set(53, Uint8Array.of(4));
  assertDropped(
    answer(edited("dhclient4_dora_renew_release.pcap", 3, { options: decline })),
    /^DHCPDECLINE from 52:54:00:77:00:10 on tap0: declined 10.77.0.95, no reply$/,
  );
});

Deno.test("answerDhcp4Message() drops a request whose chaddr is not the binding's MAC", () => {
  assertDropped(
    answer(request("dhclient4_dora_renew_release.pcap", 1), {
      mac: parseMac("52:54:00:77:00:11")!,
      macText: "52:54:00:77:00:11",
    }),
    /^DHCPDISCOVER from 52:54:00:77:00:10 on tap0: spoofed MAC 52:54:00:77:00:10, the binding's MAC is 52:54:00:77:00:11$/,
  );
  // An 8-byte chaddr that starts with the right MAC is still not that MAC.
  const long = new Uint8Array(8);
  long.set(BINDING.mac);
  assertDropped(
    answer(edited("dhclient4_dora_renew_release.pcap", 1, { hlen: 8, chaddr: long })),
    /spoofed/,
  );
});

Deno.test("answerDhcp4Message() serves another MAC when the binding has MACSPOOF", () => {
  const other = parseMac("52:54:00:aa:bb:cc")!;
  const reply = replyOf(
    answer(request("dhclient4_dora_renew_release.pcap", 1), { mac: other, macspoof: true }),
  );
  assert.equal(hex(reply.eth.dst), GUEST_MAC);
  assert.equal(hex(reply.dhcp.chaddr), GUEST_MAC);
  // A chaddr that is no MAC: the frame goes to the binding's MAC, chaddr is echoed as sent.
  const long = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  const odd = replyOf(
    answer(edited("dhclient4_dora_renew_release.pcap", 1, { hlen: 8, chaddr: long }), {
      mac: other,
      macspoof: true,
    }),
  );
  assert.equal(hex(odd.eth.dst), "525400aabbcc");
  assert.equal(hex(odd.dhcp.chaddr), "0102030405060708");
});

Deno.test("answerDhcp4Message() drops a request when the binding has no IP", () => {
  assertDropped(
    answer(request("dhclient4_dora_renew_release.pcap", 1), { ip: null }),
    /on tap0: the binding has no IP$/,
  );
});

Deno.test("answerDhcp4Message() sends no router option for a PRIVATE binding or one without GATEWAY", () => {
  const expected = [...LEASE_OPTIONS.filter(([code]) => code !== 3), [53, "02"], [54, "c0000201"]];
  const privately = replyOf(
    answer(request("dhclient4_dora_renew_release.pcap", 1), { private: true }),
  );
  assert.deepEqual(optionList(privately.dhcp), expected);
  const noGateway = replyOf(
    answer(request("dhclient4_dora_renew_release.pcap", 1), { gateway: null }),
  );
  assert.deepEqual(optionList(noGateway.dhcp), expected);
});

Deno.test("answerDhcp4Message() sends the interface MTU after the router when the binding has one", () => {
  const reply = replyOf(answer(request("dhclient4_dora_renew_release.pcap", 1), { mtu: 1450 }));
  const options = optionList(reply.dhcp);
  assert.deepEqual(options.map(([code]) => code), [12, 15, 28, 1, 58, 51, 3, 26, 6, 53, 54]);
  assert.deepEqual(options[7], [26, "05aa"]);
});

Deno.test("answerDhcp4Message() uses server_ip unless server_on_link picks GATEWAY, else the subnet's first address", () => {
  const fixed = replyOf(
    answer(request("dhclient4_dora_renew_release.pcap", 1), { gateway: ip(10, 77, 0, 254) }),
  );
  assert.equal(fixed.ip.src, ip(192, 0, 2, 1));
  const onLink = replyOf(
    answer(request("dhclient4_dora_renew_release.pcap", 1), { gateway: ip(10, 77, 0, 254) }, {
      serverOnLink: true,
    }),
  );
  assert.equal(onLink.ip.src, ip(10, 77, 0, 254));
  assert.equal(hex(onLink.dhcp.options.get(54)), "0a4d00fe");
  const firstAddress = replyOf(
    answer(request("dhclient4_dora_renew_release.pcap", 1), { gateway: null }, {
      serverOnLink: true,
    }),
  );
  assert.equal(firstAddress.ip.src, ip(10, 77, 0, 1));
  assert.equal(hex(firstAddress.dhcp.options.get(54)), "0a4d0001");
  // Without server_ip the on-link address is the only sensible one.
  const unset = replyOf(
    answer(request("dhclient4_dora_renew_release.pcap", 1), {}, { serverIp: null }),
  );
  assert.equal(unset.ip.src, ip(10, 77, 0, 1));
});

Deno.test("answerDhcp4Message() drops when server_on_link finds neither GATEWAY nor SUBNET", () => {
  assertDropped(
    answer(request("dhclient4_dora_renew_release.pcap", 1), { gateway: null, subnet: null }, {
      serverOnLink: true,
      leaseWithoutSubnet: true,
    }),
    /^DHCPOFFER to 52:54:00:77:00:10 on tap0: no server address/,
  );
});

Deno.test("answerDhcp4Message() leases no IP without SUBNET, as the original; NAK and INFORM still answered", () => {
  const noSubnet = { subnet: null };
  for (const frame of [1, 3]) {
    assertDropped(
      answer(request("dhclient4_dora_renew_release.pcap", frame), noSubnet),
      /: no DHCP(OFFER|ACK), the binding has IP but no SUBNET \(as the original; \[dhcp\] lease_without_subnet = yes leases it\)$/,
    );
  }
  // The original's reply failed only where it needed the mask: a NAK and INFORM's ACK went out.
  const nak = replyOf(answer(request("dhclient4_dora_renew_release.pcap", 3), {
    ...noSubnet,
    ip: ip(10, 77, 0, 96),
  }));
  assert.equal(nak.dhcp.options.get(53)?.[0], 6);
  const inform = replyOf(answer(request("crafted_dhcp4_inform.pcap", 1), noSubnet));
  assert.equal(inform.dhcp.options.get(53)?.[0], 5);
});

Deno.test("answerDhcp4Message() with lease_without_subnet leases IP without mask or broadcast", () => {
  const reply = replyOf(
    answer(request("dhclient4_dora_renew_release.pcap", 1), { subnet: null }, {
      leaseWithoutSubnet: true,
    }),
  );
  assert.deepEqual(optionList(reply.dhcp).map(([code]) => code), [12, 15, 58, 51, 3, 6, 53, 54]);
});

Deno.test("answerDhcp4Message() takes the domain from the config, else from the hostname after its first dot", () => {
  const domainOf = (binding: Partial<Binding>, domain: string | null) => {
    const reply = replyOf(
      answer(request("dhclient4_dora_renew_release.pcap", 1), binding, { domain }),
    );
    return [hex(reply.dhcp.options.get(12)), hex(reply.dhcp.options.get(15))];
  };
  assert.deepEqual(domainOf({ hostname: "vm1.lab.example.org" }, "example.test"), [
    text("vm1.lab.example.org"),
    text("example.test"),
  ]);
  assert.deepEqual(domainOf({ hostname: "vm1.lab.example.org" }, null), [
    text("vm1.lab.example.org"),
    text("lab.example.org"),
  ]);
  assert.deepEqual(domainOf({ hostname: "vm1.lab.example.org" }, ""), [
    text("vm1.lab.example.org"),
    text("lab.example.org"),
  ]);
  // The original would send "testvm" as the domain; a dotless name has no domain part.
  assert.deepEqual(domainOf({ hostname: "testvm" }, null), [text("testvm"), undefined]);
  assert.deepEqual(domainOf({ hostname: "testvm." }, null), [text("testvm."), undefined]);
  assert.deepEqual(domainOf({ hostname: null }, null), [undefined, undefined]);
  assert.deepEqual(domainOf({ hostname: null }, "example.test"), [undefined, text("example.test")]);
});

Deno.test("answerDhcp4Message() sends no DNS option without nameservers", () => {
  const reply = replyOf(
    answer(request("dhclient4_dora_renew_release.pcap", 1), {}, { nameservers: [] }),
  );
  assert.equal(reply.dhcp.options.has(6), false);
});

Deno.test("answerDhcp4Message() broadcasts when the client sets the broadcast flag", () => {
  const reply = replyOf(answer(edited("dhclient4_dora_renew_release.pcap", 1, { flags: 0x8000 })));
  assert.equal(reply.why, "DHCPOFFER 10.77.0.95 to 52:54:00:77:00:10 on tap0 (broadcast)");
  assert.equal(reply.ip.dst, 0xffffffff);
  assert.equal(hex(reply.eth.dst), "ffffffffffff");
  assert.equal(reply.dhcp.flags, 0x8000);
  assert.equal(reply.dhcp.yiaddr, ip(10, 77, 0, 95));
});

Deno.test("answerDhcp4Message() echoes the client identifier last (RFC 6842)", () => {
  const reply = replyOf(answer(request("networkd_dhcp4_dhcp6_ra.pcap", 1)));
  assert.deepEqual(optionList(reply.dhcp), [
    ...LEASE_OPTIONS,
    [53, "02"],
    [54, "c0000201"],
    [61, "ff75af0be600020000ab11dede0fabf5e9fca3"],
  ]);
  assert.equal(reply.dhcp.xid, 0x3a29ee83);
  const ack = replyOf(answer(request("networkd_dhcp4_dhcp6_ra.pcap", 9)));
  assert.equal(hex(ack.dhcp.options.get(53)), "05");
});

Deno.test("answerDhcp4Message() answers DISCOVERs from crafted overload, no-END and IHL 15 packets", () => {
  for (
    const [file, frame] of [
      ["crafted_dhcp4_option_overload.pcap", 1],
      ["crafted_dhcp4_option_overload.pcap", 2],
      ["crafted_dhcp4_options_no_end.pcap", 1],
      ["crafted_ipv4_options_ihl.pcap", 2],
    ] as const
  ) {
    const reply = replyOf(answer(request(file, frame)));
    assert.equal(hex(reply.dhcp.options.get(53)), "02", `${file} frame ${frame}`);
    assert.equal(reply.dhcp.options.has(52), false);
  }
});

Deno.test("answerDhcp4Message() drops server messages, plain BOOTP and unknown message types", () => {
  // A VM running its own server, sending an OFFER to port 67.
  const options = new Map(request("dhclient4_dora_renew_release.pcap", 1).dhcp.options).set(
    53,
    Uint8Array.of(2),
  );
  assertDropped(
    answer(edited("dhclient4_dora_renew_release.pcap", 1, { op: 2, options })),
    /^DHCPOFFER from 52:54:00:77:00:10 on tap0: not a BOOTREQUEST$/,
  );
  const types = (value: number[] | null) => {
    const options = new Map(request("dhclient4_dora_renew_release.pcap", 1).dhcp.options);
    if (value === null) options.delete(53);
    else options.set(53, Uint8Array.from(value));
    return answer(edited("dhclient4_dora_renew_release.pcap", 1, { options }));
  };
  assertDropped(
    types(null),
    /^BOOTP request from .*: no DHCP message type, plain BOOTP is not served$/,
  );
  assertDropped(types([5]), /^DHCPACK from .*: not a client message$/);
  assertDropped(types([42]), /^DHCP message type 42 from .*: not a client message$/);
});

Deno.test("classify() picks DHCPv4 requests out of every capture", () => {
  const dhcp4Requests = new Set([
    "dhclient4_dora_renew_release.pcap:1,3,7,11",
    "networkd_dhcp4_dhcp6_ra.pcap:1,9,19",
    "crafted_ipv4_options_ihl.pcap:1,2",
    "crafted_bootp_truncated_header.pcap:1,2",
  ]);
  for (const entry of dhcp4Requests) {
    const [file, numbers] = entry.split(":") as [string, string];
    const expected = new Set(numbers.split(",").map(Number));
    for (const f of readPcap(file)) {
      assert.equal(
        classify(f.ipPacket) === "dhcp4",
        expected.has(f.number),
        `${file} frame ${f.number}`,
      );
    }
  }
  for (const f of readPcap("dhclient6_stateless_inforeq.pcap")) {
    assert.notEqual(classify(f.ipPacket), "dhcp4");
  }
  const packet = capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket;
  assert.equal(classify(packet.subarray(0, 21)), null);
  const fragment = packet.slice();
  fragment[6] = 0x20;
  assert.equal(classify(fragment), null);
});

Deno.test("parseDhcp4Request() explains what is not a DHCPv4 request", () => {
  const packet = capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket;
  const errorOf = (bytes: Uint8Array) => {
    const result = parseDhcp4Request(bytes);
    assert.equal(result.ok, false);
    return result.ok ? "" : result.error;
  };
  assert.match(
    errorOf(capturedFrame("dhclient4_dora_renew_release.pcap", 2).ipPacket),
    /UDP port 68 is not 67/,
  );
  assert.match(
    errorOf(capturedFrame("crafted_dhcp4_huge_hlen.pcap", 1).ipPacket),
    /^Cannot parse DHCPv4 message: hlen 20/,
  );
  assert.match(
    errorOf(capturedFrame("crafted_bootp_truncated_header.pcap", 1).ipPacket),
    /shorter than the 236-byte/,
  );
  assert.match(
    errorOf(packet.subarray(0, 100)),
    /^Cannot parse IPv4 packet: total length 328 exceeds/,
  );
  const tcp = packet.slice();
  tcp[9] = 6;
  tcp[10] = tcp[11] = 0;
  const sum = internetChecksum(tcp, 0, 20);
  [tcp[10], tcp[11]] = [sum >> 8, sum & 0xff];
  assert.match(errorOf(tcp), /^Cannot parse DHCPv4 request: IP protocol 6 is not UDP$/);
});

Deno.test("dhcp4Responder.answer() answers a queued packet and drops one that does not parse", () => {
  const context = contextOf({ binding: BINDING, dhcp: CONFIG, indev: INDEV });
  const offer = dhcp4Responder.answer(
    capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket,
    context,
  );
  assert.equal(offer.why, "DHCPOFFER 10.77.0.95 to 52:54:00:77:00:10 on tap0");
  const fresh = contextOf({ binding: BINDING, dhcp: CONFIG, indev: INDEV });
  const request1 = request("dhclient4_dora_renew_release.pcap", 1);
  assert.deepEqual(offer, answerDhcp4Message(request1.dhcp, fresh));
  const malformed = dhcp4Responder.answer(
    capturedFrame("crafted_dhcp4_huge_hlen.pcap", 2).ipPacket,
    context,
  );
  assertDropped(
    malformed,
    /^Malformed DHCPv4 request on tap0: Cannot parse DHCPv4 message: hlen 255 exceeds/,
  );
});
