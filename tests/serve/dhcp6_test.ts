/** Tests for the DHCPv6 responder: stateless replies, the reply's addressing, and what it refuses. */
import assert from "node:assert/strict";
import { serverDuid } from "../../src/serve/dhcp6.ts";
import { pseudoHeaderSum6 } from "../../src/wire/checksum.ts";
import { DHCP6_MESSAGE, type Dhcp6Message } from "../../src/wire/dhcp6.ts";
import { DHCP6_STATUS, type Dhcp6Option } from "../../src/wire/dhcp6_options.ts";
import { parseIpv6Packet } from "../../src/wire/ipv6.ts";
import { isUdpChecksumValid, parseUdp } from "../../src/wire/udp.ts";
import {
  assertDrop,
  BINDING,
  binding,
  config,
  craftDhcp6,
  decodeDhcp6Frame,
  GUEST_LL,
  INDEV,
  replyFrame,
  v6,
} from "./ipv6_setup.ts";
import {
  answer,
  clientId,
  CONFIRM,
  DNS,
  DOMAINS,
  fqdn,
  packet,
  REFRESH,
  reply,
  request,
  SERVER_ID,
  STATEFUL,
} from "./dhcp6_setup.ts";

Deno.test("serverDuid() is the DUID-LL of INDEV's MAC", () => {
  assert.deepEqual(serverDuid(INDEV), { type: "ll", hardwareType: 1, linkLayerAddress: INDEV.mac });
});

Deno.test("answerDhcp6() answers a captured Information-Request with DNS servers and search list", () => {
  const req = request("dhclient6_stateless_inforeq.pcap", 1);
  const decision = answer(packet("dhclient6_stateless_inforeq.pcap", 1));
  assert.match(decision.why, /DHCPv6 informationRequest from fe80::5054:ff:fe77:10 on tap0: reply/);
  const m = reply(replyFrame(decision), DHCP6_MESSAGE.reply, 0x7b23c6);
  assert.deepEqual(m.options, [clientId(req), SERVER_ID, DNS, DOMAINS, fqdn(), REFRESH]);
});

Deno.test("answerDhcp6() answers a captured Information-Request without option request", () => {
  const req = request("dhcp6c_inforeq.pcap", 1);
  const m = reply(
    replyFrame(answer(packet("dhcp6c_inforeq.pcap", 1))),
    DHCP6_MESSAGE.reply,
    0xb42748,
  );
  assert.deepEqual(m.options, [clientId(req), SERVER_ID, DNS, DOMAINS, REFRESH]);
});

Deno.test("answerDhcp6() answers the captured requests although their UDP checksums are partial", () => {
  const ip = parseIpv6Packet(packet("dhcp6c_inforeq.pcap", 1));
  assert.ok(ip.ok);
  const udp = parseUdp(ip.value.payload);
  assert.ok(udp.ok);
  const pseudo = pseudoHeaderSum6(ip.value.src, ip.value.dst, 17, udp.value.length);
  assert.equal(isUdpChecksumValid(udp.value, pseudo), false);
  assert.equal(answer(packet("dhcp6c_inforeq.pcap", 1)).kind, "reply");
});

Deno.test("answerDhcp6() answers an Information-Request with the hostname's domain, and no empty options", () => {
  const b = binding({ hostname: "testvm.example.org" });
  const c = config({ nameservers: [], domains: [] });
  const m = reply(
    replyFrame(answer(packet("dhcp6c_inforeq.pcap", 1), b, c)),
    DHCP6_MESSAGE.reply,
    0xb42748,
  );
  assert.deepEqual(m.options.slice(1), [SERVER_ID, {
    kind: "domainList",
    domains: ["example.org"],
  }, REFRESH]);
  const bare = reply(
    replyFrame(answer(packet("dhcp6c_inforeq.pcap", 1), BINDING, c)),
    DHCP6_MESSAGE.reply,
    0xb42748,
  );
  assert.deepEqual(bare.options.slice(1), [SERVER_ID, REFRESH]);
});

Deno.test("answerDhcp6() answers to the request's source address and port", () => {
  const req = request("dhcp6c_inforeq.pcap", 1);
  const m = reply(
    replyFrame(answer(craftDhcp6(req, "fe80::1c2d:3e4f:5a6b:7c8d", 546))),
    DHCP6_MESSAGE.reply,
    0xb42748,
    "fe80::1c2d:3e4f:5a6b:7c8d",
  );
  assert.equal(m.options.length, 5);
  // From another port than 546, the reply goes back to that port.
  const other = decodeDhcp6Frame(replyFrame(answer(craftDhcp6(req, GUEST_LL, 10546))));
  assert.deepEqual([other.udp.srcPort, other.udp.dstPort], [547, 10546]);
  assert.equal(other.ip.dst.join(), v6(GUEST_LL).join());
});

Deno.test("answerDhcp6() drops what RFC 8415 section 16 says to discard", () => {
  const solicit = request(STATEFUL, 1);
  const req = request(STATEFUL, 7);
  const info = request("dhcp6c_inforeq.pcap", 1);
  const foreign: Dhcp6Option = {
    kind: "serverId",
    duid: { type: "ll", hardwareType: 1, linkLayerAddress: Uint8Array.of(2, 0, 0, 0, 0, 1) },
  };
  const without = (m: Dhcp6Message, kind: string) => m.options.filter((o) => o.kind !== kind);
  const swap = (m: Dhcp6Message, o: Dhcp6Option) => ({
    ...m,
    options: [...without(m, "serverId"), o],
  });
  const cases: [string, Dhcp6Message, RegExp][] = [
    [
      "Solicit without client id",
      { ...solicit, options: without(solicit, "clientId") },
      /no client identifier/,
    ],
    ["Solicit with server id", swap(solicit, SERVER_ID), /carries a server identifier/],
    [
      "Request without server id",
      { ...req, options: without(req, "serverId") },
      /no server identifier/,
    ],
    ["Request for another server", swap(req, foreign), /for another server/],
    [
      "Release without client id",
      { ...req, msgType: 8, options: without(req, "clientId") },
      /no client identifier/,
    ],
    ["Information-Request for another server", swap(info, foreign), /for another server/],
    ["Information-Request with an IA", {
      ...info,
      options: [...info.options, { kind: "iaNa", iaid: 1, t1: 0, t2: 0, options: [] }],
    }, /carries an IA/],
    [
      "Advertise from a client",
      { ...solicit, msgType: DHCP6_MESSAGE.advertise },
      /not a client message/,
    ],
  ];
  for (const [what, m, why] of cases) {
    const d = answer(craftDhcp6(m));
    assert.equal(d.kind, "drop", what);
    assert.match(d.why, why, what);
  }
  const withOurs = swap(info, SERVER_ID);
  assert.equal(answer(craftDhcp6(withOurs)).kind, "reply");
});

Deno.test("answerDhcp6() drops relayed, malformed and unanswerable messages", () => {
  const relayed = craftDhcp6({
    kind: "relay",
    msgType: DHCP6_MESSAGE.relayForward,
    hopCount: 0,
    linkAddress: v6("2001:db8:77::1"),
    peerAddress: v6(GUEST_LL),
    options: [{ kind: "unknown", code: 9, data: Uint8Array.of(11, 0, 0, 1) }],
  });
  assertDrop(answer(relayed), /relayed messages are not served/);
  const broken = craftDhcp6({
    kind: "message",
    msgType: DHCP6_MESSAGE.solicit,
    transactionId: 1,
    options: [{ kind: "unknown", code: 14, data: Uint8Array.of(1) }],
  });
  assertDrop(answer(broken), /Cannot parse DHCPv6 message: option 14 has 1 bytes, not 0/);
  assertDrop(answer(craftDhcp6(request("dhcp6c_inforeq.pcap", 1), "::")), /no source to answer/);
  assertDrop(answer(packet("dhcp6c_inforeq.pcap", 1).subarray(0, 44)), /Cannot parse IPv6 packet/);
  const cut = packet("dhcp6c_inforeq.pcap", 1).slice();
  cut[40 + 5] = 200;
  assertDrop(answer(cut), /Cannot parse UDP datagram/);
  assertDrop(answer(packet("dhcp6c_inforeq.pcap", 1), binding({ subnet6: null })), /no SUBNET6/);
});

Deno.test("answerDhcp6() drops, never passes on, what is not for the DHCPv6 server port", () => {
  const toClient = answer(craftDhcp6(request("dhcp6c_inforeq.pcap", 1), GUEST_LL, 547, 546));
  assertDrop(toClient, /UDP port 546 is not 547/, "unsupported");
  assertDrop(answer(packet("rdisc6_rs.pcap", 1)), /protocol 58 is not UDP/, "unsupported");
});

Deno.test("answerDhcp6() leases no address unless the mode advertises it (M flag: mode = dhcpv6)", () => {
  const noAddrs = { kind: "statusCode", status: DHCP6_STATUS.noAddrsAvail };
  for (const mode of ["slaac", "slaac+dhcpv6"] as const) {
    const c = config({ mode });
    // Solicit: an Advertise holding only NoAddrsAvail (RFC 8415 section 18.3.1), no IA at all.
    const solicit = request(STATEFUL, 1);
    const advertise = reply(
      replyFrame(answer(packet(STATEFUL, 1), BINDING, c)),
      DHCP6_MESSAGE.advertise,
      solicit.transactionId,
    );
    assert.equal(advertise.options.some((o) => o.kind === "iaNa"), false, mode);
    assert.deepEqual(
      advertise.options.filter((o) => o.kind === "statusCode").map((o) => ({
        kind: o.kind,
        status: (o as { status: number }).status,
      })),
      [noAddrs],
      mode,
    );
    // Request: the IA_NA comes back holding NoAddrsAvail, no address.
    const req = request(STATEFUL, 7);
    const m = reply(
      replyFrame(answer(packet(STATEFUL, 7), BINDING, c)),
      DHCP6_MESSAGE.reply,
      req.transactionId,
    );
    const ias = m.options.filter((o) => o.kind === "iaNa");
    assert.equal(ias.length, 1, mode);
    const inner = (ias[0] as { options: readonly Dhcp6Option[] }).options;
    assert.equal(inner.some((o) => o.kind === "iaAddress"), false, mode);
    assert.equal((inner[0] as { status: number }).status, DHCP6_STATUS.noAddrsAvail, mode);
    // Confirm: no Reply (section 18.3.3), so the client keeps no address of ours.
    assertDrop(answer(packet(CONFIRM, 1), BINDING, c), /no addresses to confirm/);
  }
  // mode = dhcpv6 leases.
  const leased = reply(
    replyFrame(answer(packet(STATEFUL, 7), BINDING, config({ mode: "dhcpv6" }))),
    DHCP6_MESSAGE.reply,
    request(STATEFUL, 7).transactionId,
  );
  const ia = leased.options.find((o) => o.kind === "iaNa") as { options: readonly Dhcp6Option[] };
  assert.equal(ia.options[0]?.kind, "iaAddress");
});
