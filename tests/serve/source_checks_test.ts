/** Source checks across the responders: whose request it is, and which server it is for. */
import assert from "node:assert/strict";
import type { Dhcp6Message } from "../../src/wire/dhcp6.ts";
import type { NeighbourSolicitation } from "../../src/wire/ndp.ts";
import { capturedFrame } from "../pcap.ts";
import {
  answerDhcp4Packet,
  answerDhcp6 as answerDhcp6Raw,
  answerNeighbourSolicitation,
  answerRouterSolicitation,
} from "./context.ts";
import {
  addressedToUs,
  BINDING as DHCP4_BINDING,
  CONFIG as DHCP4_CONFIG,
  INDEV as DHCP4_INDEV,
} from "./dhcp4_setup.ts";
import { answer as answerDhcp6, request, STATEFUL } from "./dhcp6_setup.ts";
import {
  assertDrop,
  binding,
  CONFIG,
  craftDhcp6,
  craftNd,
  GUEST_LL,
  HOST_LL,
  INDEV,
  mac,
  replyFrame,
  v6,
} from "./ipv6_setup.ts";

const SELECTING = capturedFrame("dhclient4_dora_renew_release.pcap", 3).ipPacket;

Deno.test("answerDhcp4Packet() stays silent to a REQUEST that names another server", () => {
  // The capture names 10.77.0.1; the tests' server is 192.0.2.1 (RFC 2131 section 4.3.2).
  const decision = answerDhcp4Packet(SELECTING, DHCP4_BINDING, DHCP4_CONFIG, DHCP4_INDEV);
  assertDrop(decision, /for server 10\.77\.0\.1, not ours/, "other-server");
  const ours = answerDhcp4Packet(
    addressedToUs(SELECTING),
    DHCP4_BINDING,
    DHCP4_CONFIG,
    DHCP4_INDEV,
  );
  assert.equal(ours.kind, "reply");
});

Deno.test("answerDhcp4Packet() refuses a chaddr that agrees with the binding when the frame came from another MAC", () => {
  const request = addressedToUs(SELECTING);
  const other = mac("52:54:00:77:00:11");
  const spoofed = answerDhcp4Packet(request, DHCP4_BINDING, DHCP4_CONFIG, DHCP4_INDEV, other);
  assertDrop(spoofed, /spoofed MAC 52:54:00:77:00:11/, "spoofed-mac");
  const macspoof = { ...DHCP4_BINDING, macspoof: true };
  assert.equal(
    answerDhcp4Packet(request, macspoof, DHCP4_CONFIG, DHCP4_INDEV, other).kind,
    "reply",
  );
});

const ns = (target: string, src: string): Uint8Array => {
  const message: NeighbourSolicitation = {
    kind: "neighbourSolicitation",
    target: v6(target),
    options: [],
  };
  return craftNd(message, src, HOST_LL);
};

Deno.test("answerNeighbourSolicitation() refuses an NS from another VM's EUI-64 address, as an RS", () => {
  const neighbourLl = "fe80::5054:ff:fe77:11";
  const neighbourGlobal = "2001:db8:77::5054:ff:fe77:11";
  for (const src of [neighbourLl, neighbourGlobal]) {
    assertDrop(
      answerNeighbourSolicitation(ns(HOST_LL, src), binding(), CONFIG, INDEV),
      /source address is 52:54:00:77:00:11's/,
      "spoofed-address",
    );
  }
  // The binding's own link-local, a random identifier (stable privacy) and MACSPOOF are served.
  for (const src of [GUEST_LL, "fe80::1c2d:3e4f:5a6b:7c8d"]) {
    replyFrame(answerNeighbourSolicitation(ns(HOST_LL, src), binding(), CONFIG, INDEV));
  }
  const macspoof = binding({ macspoof: true });
  replyFrame(answerNeighbourSolicitation(ns(HOST_LL, neighbourLl), macspoof, CONFIG, INDEV));
  // An address the binding gives the VM is its own, whatever MAC its identifier looks made of.
  const own = binding({ eui64: v6(neighbourGlobal) });
  replyFrame(answerNeighbourSolicitation(ns(HOST_LL, neighbourGlobal), own, CONFIG, INDEV));
});

Deno.test("answerNeighbourSolicitation() refuses an NS whose frame came from another MAC", () => {
  const other = mac("52:54:00:77:00:11");
  assertDrop(
    answerNeighbourSolicitation(ns(HOST_LL, GUEST_LL), binding(), CONFIG, INDEV, other),
    /spoofed MAC 52:54:00:77:00:11/,
    "spoofed-mac",
  );
});

Deno.test("answerNeighbourSolicitation() on a shared bridge answers only the router and leaves neighbours to their owners", () => {
  const bridge = { name: "br0", mac: INDEV.mac };
  const bridged = binding({ indev: "br0", gateway6: v6("2001:db8:77::1") });
  const neighbour = answerNeighbourSolicitation(
    ns("2001:db8:77::99", GUEST_LL),
    bridged,
    CONFIG,
    bridge,
  );
  assert.equal(neighbour.kind, "ignore", neighbour.why);
  assert.match(neighbour.why, /left to its owner on br0/);
  for (const router of [HOST_LL, "2001:db8:77::1"]) {
    replyFrame(answerNeighbourSolicitation(ns(router, GUEST_LL), bridged, CONFIG, bridge));
  }
  // On the TAP itself the host routes SUBNET6 and answers for it.
  replyFrame(
    answerNeighbourSolicitation(ns("2001:db8:77::99", GUEST_LL), binding(), CONFIG, INDEV),
  );
});

/** The captured Solicit with its client identifier replaced. */
function solicitFrom(duid: Uint8Array): Uint8Array {
  const req = request(STATEFUL, 1);
  const parsedDuid = duid[1] === 3
    ? { type: "ll" as const, hardwareType: 1, linkLayerAddress: duid.subarray(4) }
    : { type: "en" as const, enterpriseNumber: 43793, identifier: duid.subarray(6) };
  const message: Dhcp6Message = {
    ...req,
    options: req.options.map((o) =>
      o.kind === "clientId" ? { kind: "clientId", duid: parsedDuid } : o
    ),
  };
  return craftDhcp6(message);
}

Deno.test("answerDhcp6() refuses a frame from another MAC unless MACSPOOF, whatever the DUID", () => {
  const other = mac("52:54:00:77:00:11");
  const solicit = craftDhcp6(request(STATEFUL, 1));
  const fromOther = answerDhcp6Raw(solicit, binding(), CONFIG, INDEV, undefined, other);
  assertDrop(fromOther, /spoofed MAC 52:54:00:77:00:11/, "spoofed-mac");
  const spoofAllowed = answerDhcp6Raw(
    solicit,
    binding({ macspoof: true }),
    CONFIG,
    INDEV,
    undefined,
    other,
  );
  assert.equal(spoofAllowed.kind, "reply");
  // A DUID names the client, not the link (RFC 8415 section 11): a DUID-LL of another MAC (the
  // VM's other NIC, or an image cloned with its DUID) is served when the frame is the VM's.
  const otherLl = Uint8Array.of(0, 3, 0, 1, 0x52, 0x54, 0, 0x77, 0, 0x11);
  replyFrame(answerDhcp6(solicitFrom(otherLl)));
  const en = Uint8Array.of(0, 2, 0, 0, 0xab, 0x11, 1, 2, 3, 4);
  replyFrame(answerDhcp6(solicitFrom(en)));
});

Deno.test("RS and NS from a multicast source address are dropped, not answered (RFC 4291 2.7)", () => {
  const rs = craftNd({ kind: "routerSolicitation", options: [] }, "ff02::1", "ff02::2");
  assertDrop(
    answerRouterSolicitation(rs, binding(), CONFIG, INDEV),
    /multicast source/,
    "malformed",
  );
  assertDrop(
    answerNeighbourSolicitation(ns(HOST_LL, "ff02::1"), binding({ macspoof: true }), CONFIG, INDEV),
    /multicast source/,
    "malformed",
  );
});

Deno.test("DHCPv6 from a multicast source address is dropped, not answered (RFC 4291 2.7)", () => {
  const solicit = request(STATEFUL, 1);
  for (const source of ["ff02::1", "ff02::1:2", "ff05::1:3"]) {
    assertDrop(
      answerDhcp6(craftDhcp6(solicit, source)),
      /from ff0.*: no source to answer/,
      "malformed",
    );
  }
  assertDrop(
    answerDhcp6(craftDhcp6(solicit, "::")),
    /from :: on tap0: no source to answer/,
    "malformed",
  );
  // The same Solicit from the VM's link-local address is answered.
  assert.equal(answerDhcp6(craftDhcp6(solicit)).kind, "reply");
});

Deno.test("an ND link-layer address option holding a group MAC is refused, even with MACSPOOF", () => {
  const message: NeighbourSolicitation = {
    kind: "neighbourSolicitation",
    target: v6(HOST_LL),
    options: [{ kind: "sourceLinkLayer", address: mac("49:54:00:77:00:10") }],
  };
  const request = craftNd(message, GUEST_LL, HOST_LL);
  assertDrop(
    answerNeighbourSolicitation(request, binding({ macspoof: true }), CONFIG, INDEV),
    /group address/,
    "malformed",
  );
});

Deno.test("answerDhcp4Packet() with MACSPOOF never sends to a group chaddr: the binding's MAC instead", () => {
  const request = addressedToUs(SELECTING).slice();
  // chaddr sits at DHCP offset 28, after the 20-byte IPv4 and 8-byte UDP headers.
  request[20 + 8 + 28] = 0x49;
  const macspoof = { ...DHCP4_BINDING, macspoof: true };
  const decision = answerDhcp4Packet(request, macspoof, DHCP4_CONFIG, DHCP4_INDEV);
  assert.equal(decision.kind, "reply");
  if (decision.kind !== "reply") return;
  assert.deepEqual(decision.frame.subarray(0, 6), DHCP4_BINDING.mac);
});
