/** Tests for the DHCPv6 responder's stateful side: Solicit, Request, Renew, Rebind, Confirm, Release, Decline. */
import assert from "node:assert/strict";
import { formatIpv6 } from "../../src/address.ts";
import { DHCP6_MESSAGE, type Dhcp6Message } from "../../src/wire/dhcp6.ts";
import { DHCP6_STATUS, findDhcp6Option } from "../../src/wire/dhcp6_options.ts";
import {
  assertDrop,
  BINDING,
  binding,
  craftDhcp6,
  GUEST_SLAAC,
  replyFrame,
  v6,
} from "./ipv6_setup.ts";
import {
  address,
  answer,
  clientId,
  CONFIRM,
  DNS,
  DOMAINS,
  fqdn,
  leased,
  packet,
  reply,
  request,
  SERVER_ID,
  STATEFUL,
  STATEFUL_CONFIG,
  status,
} from "./dhcp6_setup.ts";
import { DEFAULT_DHCP6_LIFETIMES } from "./context.ts";

Deno.test("answerDhcp6() answers a captured Solicit with an Advertise of the VM's SLAAC address", () => {
  const req = request(STATEFUL, 1);
  const decision = answer(packet(STATEFUL, 1));
  assert.match(decision.why, /solicit .*: advertise with 2001:db8:77:0:5054:ff:fe77:10/);
  const m = reply(replyFrame(decision), DHCP6_MESSAGE.advertise, 0x3e19f8);
  assert.deepEqual(m.options, [
    clientId(req),
    SERVER_ID,
    leased(0x00770010),
    { kind: "preference", value: 255 },
    DNS,
    DOMAINS,
    fqdn(),
  ]);
});

Deno.test("answerDhcp6() answers a captured rapid-commit Solicit with a Reply, IA_PD refused", () => {
  const req = request("networkd_dhcp4_dhcp6_ra.pcap", 3);
  const m = reply(
    replyFrame(answer(packet("networkd_dhcp4_dhcp6_ra.pcap", 3))),
    DHCP6_MESSAGE.reply,
    0x412e14,
  );
  assert.deepEqual(m.options, [
    clientId(req),
    SERVER_ID,
    leased(0x75af0be6),
    {
      kind: "iaPd",
      iaid: 0x75af0be6,
      t1: 0,
      t2: 0,
      options: [status(DHCP6_STATUS.noPrefixAvail, "no prefixes")],
    },
    { kind: "rapidCommit" },
    DNS,
    DOMAINS,
    fqdn(0x06),
  ]);
});

Deno.test("answerDhcp6() answers a captured Request with the binding's address, not the one asked", () => {
  const req = request(STATEFUL, 7);
  const m = reply(replyFrame(answer(packet(STATEFUL, 7))), DHCP6_MESSAGE.reply, 0x9577a6);
  assert.deepEqual(m.options, [clientId(req), SERVER_ID, leased(0x00770010), DNS, DOMAINS, fqdn()]);
  const wide = reply(
    replyFrame(answer(packet("dhcp6c_stateful_release.pcap", 7))),
    DHCP6_MESSAGE.reply,
    0x574b20,
  );
  assert.deepEqual(wide.options.slice(2, 3), [leased(1)]);
});

Deno.test("answerDhcp6() answers a captured Renew, expiring the address the VM should drop", () => {
  const req = request(STATEFUL, 14);
  const m = reply(replyFrame(answer(packet(STATEFUL, 14))), DHCP6_MESSAGE.reply, 0xcecf1b);
  assert.deepEqual(m.options, [
    clientId(req),
    SERVER_ID,
    leased(0x00770010, address("2001:db8:77::12b", 0)),
    DNS,
    DOMAINS,
    fqdn(),
  ]);
});

Deno.test("answerDhcp6() answers a captured Rebind like a Renew", () => {
  const req = request(CONFIRM, 10);
  const m = reply(replyFrame(answer(packet(CONFIRM, 10))), DHCP6_MESSAGE.reply, 0x76ad40);
  assert.deepEqual(m.options, [
    clientId(req),
    SERVER_ID,
    leased(0x00770010, address("2001:db8:77::1fa", 0)),
    DNS,
    DOMAINS,
    fqdn(),
  ]);
  const renew = reply(replyFrame(answer(packet(CONFIRM, 7))), DHCP6_MESSAGE.reply, 0xcc1175);
  assert.equal(renew.options.length, 6);
});

Deno.test("answerDhcp6() keeps the binding's address alone when a Renew lists only it", () => {
  const renew: Dhcp6Message = {
    ...request(STATEFUL, 14),
    options: [clientId(request(STATEFUL, 14)), SERVER_ID, {
      kind: "iaNa",
      iaid: 5,
      t1: 0,
      t2: 0,
      options: [address(GUEST_SLAAC, 0)],
    }],
  };
  const m = reply(replyFrame(answer(craftDhcp6(renew))), DHCP6_MESSAGE.reply, 0xcecf1b);
  assert.deepEqual(m.options[2], leased(5));
});

Deno.test("answerDhcp6() answers a captured Confirm for a foreign address with NotOnLink", () => {
  const req = request(CONFIRM, 1);
  const decision = answer(packet(CONFIRM, 1));
  assert.match(decision.why, /with status 4 \(not this VM's address\)/);
  const m = reply(replyFrame(decision), DHCP6_MESSAGE.reply, 0xa2d737);
  assert.deepEqual(m.options, [
    clientId(req),
    SERVER_ID,
    status(DHCP6_STATUS.notOnLink, "not this VM's address"),
  ]);
});

Deno.test("answerDhcp6() answers a Confirm of the VM's address with Success", () => {
  const req = request(CONFIRM, 1);
  const confirm: Dhcp6Message = {
    ...req,
    options: [clientId(req), {
      kind: "iaNa",
      iaid: 1,
      t1: 0,
      t2: 0,
      options: [address(GUEST_SLAAC, 0)],
    }],
  };
  const m = reply(replyFrame(answer(craftDhcp6(confirm))), DHCP6_MESSAGE.reply, 0xa2d737);
  assert.deepEqual(m.options.slice(1), [
    SERVER_ID,
    status(DHCP6_STATUS.success, "all addresses still on link"),
  ]);
  const empty: Dhcp6Message = {
    ...req,
    options: [clientId(req), { kind: "iaNa", iaid: 1, t1: 0, t2: 0, options: [] }],
  };
  assertDrop(answer(craftDhcp6(empty)), /no addresses to confirm, no reply/);
});

Deno.test("answerDhcp6() Confirms on-link only when every address, of every IA, is the VM's", () => {
  const req = request(CONFIRM, 1);
  const foreign = "2001:db8:77::dead";
  const confirm = (...ias: string[][]): Dhcp6Message => ({
    ...req,
    options: [
      clientId(req),
      ...ias.map((addresses, i) => ({
        kind: "iaNa" as const,
        iaid: i + 1,
        t1: 0,
        t2: 0,
        options: addresses.map((a) => address(a, 0)),
      })),
    ],
  });
  const statusOf = (m: Dhcp6Message) =>
    findDhcp6Option(
      reply(replyFrame(answer(craftDhcp6(m))), DHCP6_MESSAGE.reply, 0xa2d737).options,
      "statusCode",
    )
      ?.status;
  assert.equal(statusOf(confirm([GUEST_SLAAC, GUEST_SLAAC])), DHCP6_STATUS.success);
  assert.equal(statusOf(confirm([GUEST_SLAAC], [GUEST_SLAAC])), DHCP6_STATUS.success);
  // One foreign address among the VM's, first or last, in the same IA or another: NotOnLink.
  assert.equal(statusOf(confirm([GUEST_SLAAC, foreign])), DHCP6_STATUS.notOnLink);
  assert.equal(statusOf(confirm([foreign, GUEST_SLAAC])), DHCP6_STATUS.notOnLink);
  assert.equal(statusOf(confirm([GUEST_SLAAC], [foreign])), DHCP6_STATUS.notOnLink);
  assert.equal(statusOf(confirm([], [GUEST_SLAAC])), DHCP6_STATUS.success);
});

Deno.test("answerDhcp6() answers captured Releases with Success", () => {
  const req = request(STATEFUL, 20);
  const m = reply(replyFrame(answer(packet(STATEFUL, 20))), DHCP6_MESSAGE.reply, 0x1484dd);
  assert.deepEqual(m.options, [
    clientId(req),
    SERVER_ID,
    status(DHCP6_STATUS.success, "release received"),
  ]);
  const wide = reply(
    replyFrame(answer(packet("dhcp6c_stateful_release.pcap", 14))),
    DHCP6_MESSAGE.reply,
    0x75a713,
  );
  assert.deepEqual(wide.options.slice(2), [status(DHCP6_STATUS.success, "release received")]);
});

Deno.test("answerDhcp6() answers a Decline with Success", () => {
  const decline: Dhcp6Message = { ...request(STATEFUL, 20), msgType: DHCP6_MESSAGE.decline };
  const m = reply(replyFrame(answer(craftDhcp6(decline))), DHCP6_MESSAGE.reply, 0x1484dd);
  assert.deepEqual(m.options.slice(2), [status(DHCP6_STATUS.success, "decline received")]);
});

Deno.test("answerDhcp6() leases EUI64 when the binding has one", () => {
  const b = binding({ eui64: v6("2001:db8:77::abcd") });
  const m = reply(replyFrame(answer(packet(STATEFUL, 1), b)), DHCP6_MESSAGE.advertise, 0x3e19f8);
  const ia = findDhcp6Option(m.options, "iaNa")!;
  assert.equal(formatIpv6(findDhcp6Option(ia.options, "iaAddress")!.address), "2001:db8:77::abcd");
});

Deno.test("answerDhcp6() sets T1, T2 and lifetimes from the lease settings", () => {
  const m = reply(
    replyFrame(
      answer(packet(STATEFUL, 7), BINDING, STATEFUL_CONFIG, { lifetime: 3600, renewal: 1800 }),
    ),
    DHCP6_MESSAGE.reply,
    0x9577a6,
  );
  assert.deepEqual(findDhcp6Option(m.options, "iaNa"), {
    kind: "iaNa",
    iaid: 0x00770010,
    t1: 1800,
    t2: 2880,
    options: [address(GUEST_SLAAC, 3600)],
  });
  const short = reply(
    replyFrame(
      answer(packet(STATEFUL, 7), BINDING, STATEFUL_CONFIG, { lifetime: 1000, renewal: 900 }),
    ),
    DHCP6_MESSAGE.reply,
    0x9577a6,
  );
  const ia = findDhcp6Option(short.options, "iaNa")!;
  assert.deepEqual([ia.t1, ia.t2], [800, 800]);
});

Deno.test("answerDhcp6() gives one address per VM: later IAs get NoAddrsAvail", () => {
  const req = request(STATEFUL, 1);
  const two: Dhcp6Message = {
    ...req,
    options: [...req.options, { kind: "iaNa", iaid: 2, t1: 0, t2: 0, options: [] }, {
      kind: "iaTa",
      iaid: 3,
      options: [],
    }],
  };
  const m = reply(replyFrame(answer(craftDhcp6(two))), DHCP6_MESSAGE.advertise, 0x3e19f8);
  const none = status(DHCP6_STATUS.noAddrsAvail, "one IA_NA per VM");
  assert.deepEqual(m.options.slice(2, 5), [
    leased(0x00770010),
    { kind: "iaNa", iaid: 2, t1: 0, t2: 0, options: [none] },
    { kind: "iaTa", iaid: 3, options: [none] },
  ]);
});

Deno.test("answerDhcp6() without an address to give advertises NoAddrsAvail and refuses the IA", () => {
  const b = binding({ subnet6: { prefix: v6("2001:db8:77::"), prefixLength: 80 } });
  const adv = reply(replyFrame(answer(packet(STATEFUL, 1), b)), DHCP6_MESSAGE.advertise, 0x3e19f8);
  assert.deepEqual(adv.options.slice(1), [
    SERVER_ID,
    status(DHCP6_STATUS.noAddrsAvail, "no addresses for this client"),
    DNS,
    DOMAINS,
    fqdn(),
  ]);
  const rapid = reply(
    replyFrame(answer(packet("networkd_dhcp4_dhcp6_ra.pcap", 3), b)),
    DHCP6_MESSAGE.advertise,
    0x412e14,
  );
  assert.equal(findDhcp6Option(rapid.options, "rapidCommit"), undefined);
  const req = reply(replyFrame(answer(packet(STATEFUL, 7), b)), DHCP6_MESSAGE.reply, 0x9577a6);
  assert.deepEqual(req.options[2], {
    kind: "iaNa",
    iaid: 0x00770010,
    t1: 0,
    t2: 0,
    options: [status(DHCP6_STATUS.noAddrsAvail, "no addresses for this client")],
  });
  const renew = reply(replyFrame(answer(packet(STATEFUL, 14), b)), DHCP6_MESSAGE.reply, 0xcecf1b);
  assert.deepEqual(findDhcp6Option(renew.options, "iaNa")!.options, [
    status(DHCP6_STATUS.noBinding, "no binding for this IA"),
  ]);
});

Deno.test("answerDhcp6() logs a Renew with the address it gives, not the one it expires", () => {
  const { why } = answer(packet(STATEFUL, 14));
  assert.match(why, /: reply with 2001:db8:77:0:5054:ff:fe77:10$/);
  assert.doesNotMatch(why, /2001:db8:77::12b/);
});

Deno.test("answerDhcp6() names an address of a 1-second lifetime in its log line: only 0 means none", () => {
  const decision = answer(packet(STATEFUL, 1), BINDING, STATEFUL_CONFIG, {
    ...DEFAULT_DHCP6_LIFETIMES,
    lifetime: 1,
    renewal: 1,
  });
  assert.match(decision.why, /advertise with 2001:db8:77:0:5054:ff:fe77:10/);
});
