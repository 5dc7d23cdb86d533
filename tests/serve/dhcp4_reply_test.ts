/**
 * The DHCPv4 reply's choices (src/serve/dhcp4_reply.ts) at their edges: the address an OFFER
 * gives whatever the DISCOVER asks for, and where a reply goes when the broadcast flag and ciaddr
 * disagree (RFC 2131 section 4.1).
 */
import assert from "node:assert/strict";
import { FLAG_BROADCAST } from "../../src/wire/dhcp4.ts";
import { ipv4Option, OPTION } from "../../src/wire/dhcp4_options.ts";
import { hex } from "../hex.ts";
import { answer, edited, ip, replyOf, request } from "./dhcp4_setup.ts";

const GUEST_MAC = "525400770010";
const BROADCAST = 0xffffffff;

/** The captured DISCOVER with option 50 (requested address) set to `wanted`. */
function discoverWanting(wanted: number) {
  const r = request("dhclient4_dora_renew_release.pcap", 1);
  const options = new Map(r.dhcp.options);
  options.set(OPTION.requestedIp, ipv4Option(wanted));
  return { ...r, dhcp: { ...r.dhcp, options } };
}

Deno.test("answerDhcp4Message() OFFERs the binding's address when the DISCOVER's option 50 names another", () => {
  for (const wanted of [ip(10, 77, 0, 96), ip(10, 77, 0, 94), ip(192, 0, 2, 9), 0]) {
    const reply = replyOf(answer(discoverWanting(wanted)));
    // An OFFER, never a NAK: RFC 2131 4.3.1 lets the server offer another address than asked.
    assert.deepEqual(reply.dhcp.options.get(OPTION.messageType), Uint8Array.of(2));
    assert.equal(reply.dhcp.yiaddr, ip(10, 77, 0, 95), `asked for ${wanted}`);
    assert.equal(reply.why, "DHCPOFFER 10.77.0.95 to 52:54:00:77:00:10 on tap0");
    assert.equal(reply.ip.dst, ip(10, 77, 0, 95));
  }
  // Asking for the bound address changes nothing either.
  assert.equal(replyOf(answer(discoverWanting(ip(10, 77, 0, 95)))).dhcp.yiaddr, ip(10, 77, 0, 95));
});

Deno.test("answerDhcp4Message() adds GATEWAY as default route only when ROUTES has no /0 of its own", () => {
  const routesOf = (text: string) => {
    const routes = text.split(",").map((r) => {
      const [dest = "", via = ""] = r.trim().split(" ");
      const [net = "", len = "32"] = dest.split("/");
      const [a, b, c, d] = net.split(".").map(Number) as [number, number, number, number];
      const [e, f, g, h] = via.split(".").map(Number) as [number, number, number, number];
      return { destination: ip(a, b, c, d), prefixLength: Number(len), router: ip(e, f, g, h) };
    });
    const reply = replyOf(answer(request("dhclient4_dora_renew_release.pcap", 1), {
      overrides: { routes },
    }));
    return hex(reply.dhcp.options.get(OPTION.classlessRoutes) ?? new Uint8Array());
  };
  // A /1 is not a default route: GATEWAY (10.77.0.1) is added after it.
  assert.equal(routesOf("0.0.0.0/1 10.77.0.254"), "01000a4d00fe" + "000a4d0001");
  // A listed /0 is: no second default route.
  assert.equal(routesOf("0.0.0.0/0 10.77.0.254"), "000a4d00fe");
});

Deno.test("answerDhcp4Message() sends to ciaddr when the client has one, even with the broadcast flag", () => {
  // RENEWING (frame 7 of the capture): ciaddr 10.77.0.95. With the flag set too, ciaddr wins:
  // the client has an address and can take unicast (RFC 2131 4.1, the ciaddr case comes first).
  for (const flags of [0, FLAG_BROADCAST]) {
    const reply = replyOf(answer(edited("dhclient4_dora_renew_release.pcap", 7, { flags })));
    assert.equal(reply.ip.dst, ip(10, 77, 0, 95), `flags ${flags}`);
    assert.equal(hex(reply.eth.dst), GUEST_MAC, `flags ${flags}`);
    assert.equal(reply.dhcp.ciaddr, ip(10, 77, 0, 95));
    assert.equal(reply.dhcp.flags, flags, "the flags are echoed");
    assert.doesNotMatch(reply.why, /broadcast/);
  }
});

Deno.test("answerDhcp4Message() without ciaddr broadcasts on the flag, else unicasts to yiaddr", () => {
  const unicast = replyOf(answer(edited("dhclient4_dora_renew_release.pcap", 3, { flags: 0 })));
  assert.equal(unicast.ip.dst, ip(10, 77, 0, 95));
  assert.equal(hex(unicast.eth.dst), GUEST_MAC);
  // Only the broadcast bit counts: the other fifteen are reserved (MBZ) and change nothing.
  const reserved = replyOf(
    answer(edited("dhclient4_dora_renew_release.pcap", 3, { flags: 0x7fff })),
  );
  assert.equal(reserved.ip.dst, ip(10, 77, 0, 95));
  assert.equal(hex(reserved.eth.dst), GUEST_MAC);
  for (const flags of [FLAG_BROADCAST, 0xffff]) {
    const broadcast = replyOf(answer(edited("dhclient4_dora_renew_release.pcap", 3, { flags })));
    assert.equal(broadcast.ip.dst, BROADCAST);
    assert.equal(hex(broadcast.eth.dst), "ffffffffffff");
    assert.match(broadcast.why, / \(broadcast\)$/);
  }
});

Deno.test("answerDhcp4Message() broadcasts a NAK even to a client with ciaddr and no broadcast flag", () => {
  const nak = replyOf(
    answer(edited("dhclient4_dora_renew_release.pcap", 7, { flags: 0 }), { ip: ip(10, 77, 0, 50) }),
  );
  assert.deepEqual(nak.dhcp.options.get(OPTION.messageType), Uint8Array.of(6));
  assert.equal(nak.ip.dst, BROADCAST);
  assert.equal(hex(nak.eth.dst), "ffffffffffff");
});

Deno.test("answerDhcp4Message() ACKs an INFORM to its ciaddr, broadcast flag or not", () => {
  for (const flags of [0, FLAG_BROADCAST]) {
    const reply = replyOf(answer(edited("crafted_dhcp4_inform.pcap", 1, { flags })));
    assert.notEqual(reply.dhcp.ciaddr, 0);
    assert.equal(reply.ip.dst, reply.dhcp.ciaddr, `flags ${flags}`);
    assert.equal(reply.dhcp.yiaddr, 0);
  }
});
