/** Tests for the NA responder: captured NS and DAD probes in, every field of the NA frame checked. */
import assert from "node:assert/strict";
import { formatIpv6 } from "../../src/address.ts";
import type { NdOption, NeighbourAdvertisement } from "../../src/wire/ndp.ts";
import {
  assertDrop,
  BINDING,
  binding,
  CONFIG,
  craftNd,
  decodeNdReply,
  editNd,
  GUEST_LL,
  GUEST_SLAAC,
  HOST_LL,
  INDEV,
  mac,
  packet,
  replyFrame,
  v6,
} from "./ipv6_setup.ts";
import { answerNeighbourSolicitation } from "./context.ts";

const answer = (bytes: Uint8Array, b = BINDING) =>
  answerNeighbourSolicitation(bytes, b, CONFIG, INDEV);

const SLLAO: NdOption = { kind: "sourceLinkLayer", address: BINDING.mac };
const NONCE: NdOption = { kind: "unknown", type: 14, data: Uint8Array.of(1, 2, 3, 4, 5, 6) };
const ns = (target: string, options: NdOption[] = [SLLAO]) => ({
  kind: "neighbourSolicitation" as const,
  target: v6(target),
  options,
});

/**
 * The NA inside a reply frame, after checking the frame's addresses and the NA's fixed parts:
 * the NA comes from its target address, as the target's owner would send it.
 */
function advert(
  frame: Uint8Array,
  ethDst: string,
  dst: string,
  target: string,
): NeighbourAdvertisement {
  const { ip, nd } = decodeNdReply(frame, ethDst, dst, "neighbourAdvertisement");
  assert.equal(formatIpv6(ip.src), target, "the NA is sent from its target");
  const na = nd as NeighbourAdvertisement;
  assert.deepEqual(na.target, v6(target));
  assert.equal(na.router, true);
  assert.equal(na.override, false);
  assert.deepEqual(na.options, [{ kind: "targetLinkLayer", address: mac("fe:54:00:77:00:01") }]);
  return na;
}

Deno.test("answerNeighbourSolicitation() answers a captured NS for the gateway address", () => {
  const decision = answer(packet("kernel_ns_gateway_ping.pcap", 1));
  assert.match(
    decision.why,
    /NS for 2001:db8:77::1 from 2001:db8:77::10 on tap0: NA with tap0's MAC/,
  );
  const na = advert(replyFrame(decision), "525400770010", "2001:db8:77::10", "2001:db8:77::1");
  assert.equal(na.solicited, true);
  // What the traffic counters and `clients` record: an NA gives no DHCPv4 address.
  assert.deepEqual(decision.kind === "reply" && decision.wrote, {
    type: "NA",
    address: 0,
    options: [2],
  });
});

Deno.test("answerNeighbourSolicitation() answers a captured NS for the router's link-local", () => {
  const na = advert(
    replyFrame(answer(packet("ndisc6_router_linklocal.pcap", 1))),
    "525400770010",
    GUEST_LL,
    HOST_LL,
  );
  assert.equal(na.solicited, true);
});

Deno.test("answerNeighbourSolicitation() answers captured unicast NUD probes", () => {
  advert(
    replyFrame(answer(packet("kernel_ns_gateway_ping.pcap", 9))),
    "525400770010",
    GUEST_LL,
    "2001:db8:77::1",
  );
  advert(
    replyFrame(answer(packet("kernel_ns_gateway_ping.pcap", 11))),
    "525400770010",
    GUEST_LL,
    HOST_LL,
  );
});

Deno.test("answerNeighbourSolicitation() answers for any address of SUBNET6, as the original", () => {
  advert(
    replyFrame(answer(packet("ndisc6_router_global.pcap", 5))),
    "525400770010",
    GUEST_LL,
    "2001:db8:77::99",
  );
});

Deno.test("answerNeighbourSolicitation() drops an NS for an address outside SUBNET6", () => {
  assertDrop(
    answer(craftNd(ns("2001:db8:99::1"), GUEST_LL, "ff02::1:ff00:1")),
    /neither the router's nor in SUBNET6/,
  );
});

Deno.test("answerNeighbourSolicitation() leaves captured DAD probes for the VM's addresses unanswered", () => {
  const probes: [string, number, RegExp][] = [
    ["kernel_linkup_dad_rs.pcap", 7, /DAD probe for fe80::5054:ff:fe77:10 from ::.*not answered/],
    ["kernel_linkup_dad_rs.pcap", 14, /DAD probe for 2001:db8:77::10 .*an address the VM may take/],
    ["dhclient6_stateful_solicit_request_renew_release.pcap", 10, /2001:db8:77::12b/],
    ["dhcp6c_stateful_release.pcap", 11, /2001:db8:77::16d/],
    ["networkd_dhcp4_dhcp6_ra.pcap", 13, /2001:db8:77::1c5/],
  ];
  for (const [file, frame, why] of probes) assertDrop(answer(packet(file, frame)), why);
});

Deno.test("answerNeighbourSolicitation() never claims the VM's own address", () => {
  const dad = craftNd(ns(GUEST_SLAAC, [NONCE]), "::", "ff02::1:ff77:10");
  assertDrop(answer(dad), /the VM's own address, not answered/);
  const probe = craftNd(ns(GUEST_SLAAC), GUEST_LL, "ff02::1:ff77:10");
  assertDrop(answer(probe), /the VM's own address/);
  const eui64 = binding({ eui64: v6("2001:db8:77::abcd") });
  assertDrop(
    answer(craftNd(ns("2001:db8:77::abcd"), GUEST_LL, "ff02::1:ff00:abcd"), eui64),
    /own address/,
  );
  // With an EUI64 of its own the VM still forms the SLAAC address of its MAC (slaac modes).
  assertDrop(answer(probe, eui64), /the VM's own address/);
  assertDrop(answer(dad, eui64), /the VM's own address/);
  // Other addresses of SUBNET6 are still answered, from the target.
  advert(
    replyFrame(answer(craftNd(ns("2001:db8:77::abce"), GUEST_LL, "ff02::1:ff00:abce"), eui64)),
    "525400770010",
    GUEST_LL,
    "2001:db8:77::abce",
  );
});

Deno.test("answerNeighbourSolicitation() never claims an address of the binding's IP6 either", () => {
  const b = binding({ dhcp6: { addresses: [v6("2001:db8:77::a"), v6("2001:db8:77::b")] } });
  for (const target of ["2001:db8:77::a", "2001:db8:77::b"]) {
    const dad = craftNd(ns(target, [NONCE]), "::", `ff02::1:ff00:${target.slice(-1)}`);
    assertDrop(answer(dad, b), /the VM's own address, not answered/);
  }
  advert(
    replyFrame(answer(craftNd(ns("2001:db8:77::c"), GUEST_LL, "ff02::1:ff00:c"), b)),
    "525400770010",
    GUEST_LL,
    "2001:db8:77::c",
  );
});

Deno.test("answerNeighbourSolicitation() defends the router's link-local against a DAD probe", () => {
  const dad = craftNd(ns(HOST_LL, [NONCE]), "::", "ff02::1:ff77:1");
  const na = advert(replyFrame(answer(dad)), "333300000001", "ff02::1", HOST_LL);
  assert.equal(na.solicited, false);
});

Deno.test("answerNeighbourSolicitation() defends GATEWAY6 against a DAD probe", () => {
  const dad = craftNd(ns("2001:db8:77::1", []), "::", "ff02::1:ff00:1");
  assertDrop(answer(dad), /an address the VM may take/);
  const withGateway = binding({ gateway6: v6("2001:db8:77::1") });
  const na = advert(
    replyFrame(answer(dad, withGateway)),
    "333300000001",
    "ff02::1",
    "2001:db8:77::1",
  );
  assert.equal(na.solicited, false);
});

Deno.test("answerNeighbourSolicitation() drops a DAD probe not sent to the solicited-node group", () => {
  const dad = craftNd(ns(HOST_LL, []), "::", "ff02::1");
  assertDrop(answer(dad), /not to the target's solicited-node group/);
});

Deno.test("answerNeighbourSolicitation() answers an NS without SLLAO at the binding's MAC", () => {
  const probe = craftNd(ns(HOST_LL, []), GUEST_LL, HOST_LL);
  const na = advert(replyFrame(answer(probe)), "525400770010", GUEST_LL, HOST_LL);
  assert.equal(na.solicited, true);
});

Deno.test("answerNeighbourSolicitation() drops an NS whose SLLAO is another MAC, unless MACSPOOF", () => {
  const spoofed = craftNd(
    ns(HOST_LL, [{ kind: "sourceLinkLayer", address: mac("52:54:00:99:99:99") }]),
    GUEST_LL,
    HOST_LL,
  );
  assertDrop(
    answer(spoofed),
    /spoofed MAC 52:54:00:99:99:99, the binding's MAC is 52:54:00:77:00:10/,
  );
  advert(
    replyFrame(answer(spoofed, binding({ macspoof: true }))),
    "525400999999",
    GUEST_LL,
    HOST_LL,
  );
});

Deno.test("answerNeighbourSolicitation() drops invalid solicitations with a reason", () => {
  const ok = packet("ndisc6_router_linklocal.pcap", 1);
  assertDrop(answer(editNd(ok, (b) => b[7] = 64)), /hop limit 64, not 255/);
  assertDrop(answer(editNd(ok, (b) => b[41] = 3)), /ICMP code 3/);
  const badSum = ok.slice();
  badSum[50]! ^= 0x10;
  assertDrop(answer(badSum), /bad ICMPv6 checksum/);
  assertDrop(answer(craftNd(ns("ff02::1"), GUEST_LL, "ff02::1")), /multicast target/);
  assertDrop(answer(editNd(ok, (b) => b[40 + 25] = 0)), /has length 0/);
  assertDrop(
    answer(craftNd(ns(HOST_LL), "::", "ff02::1:ff77:1")),
    /link-layer address option from ::/,
  );
  assertDrop(answer(ok.subarray(0, 60)), /Cannot parse IPv6 packet/);
  assertDrop(answer(editNd(ok.subarray(0, 60), (b) => b[5] = 20)), /shorter than 20/);
});

Deno.test("answerNeighbourSolicitation() drops an NS when the binding has no SUBNET6", () => {
  assertDrop(
    answer(packet("ndisc6_router_linklocal.pcap", 1), binding({ subnet6: null })),
    /no SUBNET6/,
  );
});

Deno.test("answerNeighbourSolicitation() drops, never passes on, what is not an NS", () => {
  assertDrop(answer(packet("rdisc6_rs.pcap", 1)), /ICMPv6 type 133 is not 135/, "unsupported");
  assertDrop(answer(packet("dhcp6c_inforeq.pcap", 1)), /is not ICMPv6/, "unsupported");
});
