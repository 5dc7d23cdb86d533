/** Tests for the RA responder: captured RS in, every field of the RA frame checked; the periodic RA. */
import assert from "node:assert/strict";
import { ReplyMemo } from "../../src/serve/memo.ts";
import { periodicAdvert, ROUTER_LIFETIME } from "../../src/serve/router_advert.ts";
import { formatIpv6 } from "../../src/address.ts";
import { findNdOption, type NdOption, type RouterAdvertisement } from "../../src/wire/ndp.ts";
import {
  assertDrop,
  BINDING,
  binding,
  CONFIG,
  config,
  craftNd,
  decodeNdReply,
  editNd,
  GUEST_LL,
  hex,
  HOST_LL,
  INDEV,
  mac,
  packet,
  replyFrame,
  v6,
} from "./ipv6_setup.ts";
import { answerRouterSolicitation } from "./context.ts";

const KERNEL_RS = packet("kernel_linkup_dad_rs.pcap", 9);
const RDISC6_RS = packet("rdisc6_rs.pcap", 1);

/** The RA inside a reply frame, after checking the frame's addresses. */
function advert(frame: Uint8Array, ethDst: string, dst: string): RouterAdvertisement {
  const { ip, nd } = decodeNdReply(frame, ethDst, dst, "routerAdvertisement");
  assert.equal(ip.flowLabel, 0);
  assert.deepEqual(ip.extensionHeaders, []);
  assert.equal(formatIpv6(ip.src), HOST_LL);
  return nd as RouterAdvertisement;
}

const answer = (bytes: Uint8Array, b = BINDING, c = CONFIG) =>
  answerRouterSolicitation(bytes, b, c, INDEV);

/** The options of the RA for BINDING and CONFIG. */
const OPTIONS: NdOption[] = [
  { kind: "sourceLinkLayer", address: mac("fe:54:00:77:00:01") },
  {
    kind: "prefixInformation",
    prefixLength: 64,
    onLink: true,
    autonomous: true,
    routerAddress: false,
    validLifetime: 0xffffffff,
    preferredLifetime: 0xffffffff,
    prefix: v6("2001:db8:77::"),
  },
  { kind: "rdnss", lifetime: 900, servers: [v6("2001:db8::53")] },
  { kind: "dnssl", lifetime: 900, domains: ["example.test"] },
];

Deno.test("answerRouterSolicitation() answers a captured kernel RS with the original's RA", () => {
  const ra = advert(replyFrame(answer(KERNEL_RS)), "525400770010", GUEST_LL);
  assert.deepEqual(ra, {
    kind: "routerAdvertisement",
    curHopLimit: 0,
    managed: false,
    otherConfig: false,
    homeAgent: false,
    preference: "high",
    proxy: false,
    routerLifetime: ROUTER_LIFETIME,
    reachableTime: 0,
    retransTimer: 0,
    options: OPTIONS,
  });
  assert.equal(ROUTER_LIFETIME, 14400);
});

Deno.test("answerRouterSolicitation() answers a captured rdisc6 RS without SLLAO at the binding's MAC", () => {
  const decision = answer(RDISC6_RS);
  assert.match(decision.why, /RS from fe80::5054:ff:fe77:10 on tap0: RA for 2001:db8:77::\/64/);
  const ra = advert(replyFrame(decision), "525400770010", GUEST_LL);
  assert.deepEqual(ra.options, OPTIONS);
});

Deno.test("answerRouterSolicitation() answers an RS sent unicast to the router's link-local", () => {
  const rs = packet("rdisc6_rs.pcap", 6);
  advert(replyFrame(answer(rs)), "525400770010", GUEST_LL);
});

Deno.test("answerRouterSolicitation() answers a captured networkd RS", () => {
  const rs = packet("networkd_silent_link_discover_rs_solicit.pcap", 3);
  advert(replyFrame(answer(rs)), "525400770010", GUEST_LL);
});

Deno.test("answerRouterSolicitation() multicasts the RA to all nodes for an RS from ::", () => {
  const rs = packet("crafted_icmp6_rs_no_sllao.pcap", 2);
  const ra = advert(replyFrame(answer(rs)), "333300000001", "ff02::1");
  assert.deepEqual(ra.options, OPTIONS);
});

Deno.test("answerRouterSolicitation() answers a crafted RS without SLLAO from the link-local", () => {
  advert(replyFrame(answer(packet("crafted_icmp6_rs_no_sllao.pcap", 1))), "525400770010", GUEST_LL);
});

Deno.test("answerRouterSolicitation() drops an RS whose hop limit is not 255", () => {
  assertDrop(answer(packet("crafted_icmp6_rs_no_sllao.pcap", 3)), /hop limit 64, not 255/);
});

Deno.test("answerRouterSolicitation() drops an RS whose SLLAO is another MAC", () => {
  const other = binding({ mac: mac("52:54:00:99:99:99"), macText: "52:54:00:99:99:99" });
  assertDrop(
    answer(KERNEL_RS, other),
    /spoofed MAC 52:54:00:77:00:10, the binding's MAC is 52:54:00:99:99:99/,
  );
});

Deno.test("answerRouterSolicitation() drops an RS without SLLAO from another MAC's EUI-64 address", () => {
  const other = binding({ mac: mac("52:54:00:99:99:99"), macText: "52:54:00:99:99:99" });
  assertDrop(answer(RDISC6_RS, other), /spoofed MAC 52:54:00:77:00:10/);
});

Deno.test("answerRouterSolicitation() with MACSPOOF answers another MAC at its SLLAO", () => {
  const other = binding({ mac: mac("52:54:00:99:99:99"), macspoof: true });
  advert(replyFrame(answer(KERNEL_RS, other)), "525400770010", GUEST_LL);
});

Deno.test("answerRouterSolicitation() answers an RS from a random link-local without SLLAO", () => {
  const rs = craftNd(
    { kind: "routerSolicitation", options: [] },
    "fe80::1c2d:3e4f:5a6b:7c8d",
    "ff02::2",
  );
  advert(replyFrame(answer(rs)), "525400770010", "fe80::1c2d:3e4f:5a6b:7c8d");
});

Deno.test("answerRouterSolicitation() sets M, O and the prefix's A flag as the mode says", () => {
  const flags = (mode: "slaac" | "slaac+dhcpv6" | "dhcpv6") => {
    const ra = advert(
      replyFrame(answer(KERNEL_RS, BINDING, config({ mode }))),
      "525400770010",
      GUEST_LL,
    );
    const prefix = findNdOption(ra.options, "prefixInformation")!;
    assert.equal(prefix.onLink, true, mode);
    return { M: ra.managed, O: ra.otherConfig, A: prefix.autonomous };
  };
  assert.deepEqual(flags("slaac"), { M: false, O: false, A: true });
  assert.deepEqual(flags("slaac+dhcpv6"), { M: false, O: true, A: true });
  assert.deepEqual(flags("dhcpv6"), { M: true, O: true, A: false });
});

Deno.test("answerRouterSolicitation() adds the binding's MTU, and none below 1280", () => {
  const with1500 = advert(
    replyFrame(answer(KERNEL_RS, binding({ mtu: 1500 }))),
    "525400770010",
    GUEST_LL,
  );
  assert.deepEqual(with1500.options[1], { kind: "mtu", mtu: 1500 });
  const with576 = advert(
    replyFrame(answer(KERNEL_RS, binding({ mtu: 576 }))),
    "525400770010",
    GUEST_LL,
  );
  assert.equal(findNdOption(with576.options, "mtu"), undefined);
  // The boundary itself: 1280 is the least IPv6 MTU (RFC 8200 section 5), 1279 is below it.
  const mtuOf = (mtu: number) =>
    findNdOption(
      advert(replyFrame(answer(KERNEL_RS, binding({ mtu }))), "525400770010", GUEST_LL).options,
      "mtu",
    );
  assert.deepEqual(mtuOf(1280), { kind: "mtu", mtu: 1280 });
  assert.equal(mtuOf(1279), undefined);
});

Deno.test("answerRouterSolicitation() advertises SUBNET6's network, not GATEWAY6, in the prefix", () => {
  const b = binding({ gateway6: v6("2001:db8:77::1") });
  const ra = advert(replyFrame(answer(KERNEL_RS, b)), "525400770010", GUEST_LL);
  assert.deepEqual(ra.options, OPTIONS);
  const wide = binding({ subnet6: { prefix: v6("2001:db8:4400::"), prefixLength: 40 } });
  const prefix = findNdOption(
    advert(replyFrame(answer(KERNEL_RS, wide)), "525400770010", GUEST_LL).options,
    "prefixInformation",
  )!;
  assert.equal(formatIpv6(prefix.prefix), "2001:db8:4400::");
  assert.equal(prefix.prefixLength, 40);
  assert.equal(prefix.routerAddress, false);
});

Deno.test("answerRouterSolicitation() sends RDNSS and DNSSL for 3 × ra_period, only when set", () => {
  const long = advert(
    replyFrame(answer(KERNEL_RS, BINDING, config({ raPeriod: 600 }))),
    "525400770010",
    GUEST_LL,
  );
  assert.equal(findNdOption(long.options, "rdnss")!.lifetime, 1800);
  assert.equal(findNdOption(long.options, "dnssl")!.lifetime, 1800);
  const bare = advert(
    replyFrame(answer(KERNEL_RS, BINDING, config({ nameservers: [], domains: [] }))),
    "525400770010",
    GUEST_LL,
  );
  assert.deepEqual(bare.options.map((o) => o.kind), ["sourceLinkLayer", "prefixInformation"]);
});

Deno.test("answerRouterSolicitation() takes the search domain from the hostname when domains is unset", () => {
  const b = binding({ hostname: "testvm.example.org" });
  const ra = advert(
    replyFrame(answer(KERNEL_RS, b, config({ domains: [] }))),
    "525400770010",
    GUEST_LL,
  );
  assert.deepEqual(findNdOption(ra.options, "dnssl")!.domains, ["example.org"]);
  const bad = advert(
    replyFrame(answer(KERNEL_RS, BINDING, config({ domains: ["a..b", "ok.test"] }))),
    "525400770010",
    GUEST_LL,
  );
  assert.deepEqual(findNdOption(bad.options, "dnssl")!.domains, ["ok.test"]);
});

Deno.test("answerRouterSolicitation() drops an RS when the binding has no SUBNET6", () => {
  assertDrop(answer(KERNEL_RS, binding({ subnet6: null })), /the binding has no SUBNET6/);
});

Deno.test("answerRouterSolicitation() drops invalid solicitations with a reason", () => {
  const badSum = KERNEL_RS.slice();
  badSum[badSum.length - 1]! ^= 1;
  assertDrop(answer(badSum), /bad ICMPv6 checksum/);
  const code = editNd(KERNEL_RS, (b) => b[41] = 1);
  assertDrop(answer(code), /ICMP code 1/);
  const fromUnspecified = craftNd(
    { kind: "routerSolicitation", options: [{ kind: "sourceLinkLayer", address: BINDING.mac }] },
    "::",
    "ff02::2",
  );
  assertDrop(answer(fromUnspecified), /link-layer address option from ::/);
  const zeroOption = editNd(KERNEL_RS, (b) => b[49] = 0);
  assertDrop(answer(zeroOption), /option 1 at 0 has length 0/);
  const longSllao = craftNd(
    {
      kind: "routerSolicitation",
      options: [{ kind: "sourceLinkLayer", address: new Uint8Array(14) }],
    },
    GUEST_LL,
    "ff02::2",
  );
  assertDrop(answer(longSllao), /link-layer address of 14 bytes/);
  assertDrop(answer(KERNEL_RS.subarray(0, 50)), /Cannot parse IPv6 packet/);
});

Deno.test("answerRouterSolicitation() drops, never passes on, what is not an RS", () => {
  const ns = answer(packet("ndisc6_router_global.pcap", 1));
  assertDrop(ns, /ICMPv6 type 135 is not 133/, "unsupported");
  assertDrop(answer(packet("dhcp6c_inforeq.pcap", 1)), /protocol 17 is not ICMPv6/, "unsupported");
});

Deno.test("periodicAdvert() builds the RA to all nodes at the binding's MAC", () => {
  const memo = new ReplyMemo();
  const frame = periodicAdvert(BINDING, config({ mode: "slaac+dhcpv6" }), INDEV, memo);
  assert.ok(frame);
  const ra = advert(frame, "525400770010", "ff02::1");
  assert.equal(ra.managed, false);
  assert.equal(ra.otherConfig, true);
  assert.equal(ra.routerLifetime, 14400);
  assert.equal(ra.preference, "high");
  assert.deepEqual(ra.options, OPTIONS);
  assert.equal(periodicAdvert(binding({ subnet6: null }), CONFIG, INDEV, memo), null);
  const spoofable = periodicAdvert(binding({ macspoof: true }), CONFIG, INDEV, memo);
  assert.ok(spoofable);
  advert(spoofable, "333300000001", "ff02::1");
});

Deno.test("periodicAdvert() reuses its frame until the config or INDEV's MAC changes", () => {
  const memo = new ReplyMemo();
  const fresh = (
    c: typeof CONFIG,
    indev: typeof INDEV,
  ) => [...periodicAdvert(BINDING, c, indev, new ReplyMemo())!];
  const first = periodicAdvert(BINDING, CONFIG, INDEV, memo);
  assert.equal(memo.periodicAdverts.hits, 0);
  assert.equal(periodicAdvert(BINDING, CONFIG, INDEV, memo), first);
  assert.equal(memo.periodicAdverts.hits, 1);
  const shorter = config({ raPeriod: 100 });
  const reconfigured = periodicAdvert(BINDING, shorter, INDEV, memo)!;
  assert.equal(memo.periodicAdverts.hits, 1);
  assert.deepEqual([...reconfigured], fresh(shorter, INDEV));
  assert.notDeepEqual([...reconfigured], [...first!]);
  const moved = { ...INDEV, mac: mac("fe:54:00:77:00:02") };
  const remade = periodicAdvert(BINDING, shorter, moved, memo)!;
  assert.equal(memo.periodicAdverts.hits, 1);
  assert.deepEqual([...remade], fresh(shorter, moved));
  assert.equal(hex(remade.subarray(6, 12)), "fe5400770002");
  assert.equal(periodicAdvert(BINDING, shorter, moved, memo), remade);
  assert.equal(memo.periodicAdverts.hits, 2);
});
