/** Tests for the DHCPv6 responder's prefix delegation (PREFIX6 in IA_PD) and several addresses (IP6 in IA_NA). */
import assert from "node:assert/strict";
import type { Binding } from "../../src/bindings/binding.ts";
import { DHCP6_MESSAGE, type Dhcp6Message } from "../../src/wire/dhcp6.ts";
import { DHCP6_STATUS, type Dhcp6Option, findDhcp6Option } from "../../src/wire/dhcp6_options.ts";
import { binding, config, craftDhcp6, replyFrame, v6 } from "./ipv6_setup.ts";
import {
  address,
  answer,
  clientId,
  CONFIRM,
  packet,
  reply,
  request,
  SERVER_ID,
  STATEFUL,
  STATEFUL_CONFIG,
  status,
} from "./dhcp6_setup.ts";

const NETWORKD = "networkd_dhcp4_dhcp6_ra.pcap";
/** The VM of the captures with two IP6 addresses and two delegated prefixes. */
const ROUTER: Binding = binding({
  dhcp6: {
    addresses: [v6("2001:db8:77::a"), v6("2001:db8:77::b")],
    prefixes: [
      { prefix: v6("2001:db8:100::"), prefixLength: 56 },
      { prefix: v6("2001:db8:200::"), prefixLength: 64 },
    ],
  },
});
/** Prefix lifetimes 1800/3600 s; addresses keep the defaults (T1 600, lifetime 604800). */
const PD_CONFIG = config({
  mode: "dhcpv6",
  prefixPreferredLifetime: 1800,
  prefixValidLifetime: 3600,
});

const prefix = (text: string, length: number, preferred: number, valid: number): Dhcp6Option => ({
  kind: "iaPrefix",
  preferredLifetime: preferred,
  validLifetime: valid,
  prefixLength: length,
  prefix: v6(text),
  options: [],
});
/** An IA_PD as a client sends it, or as we refuse it: no T1, no T2. */
const pdOf = (iaid: number, ...options: Dhcp6Option[]): Dhcp6Option => ({
  kind: "iaPd",
  iaid,
  t1: 0,
  t2: 0,
  options,
});
/** The IA_PD of ROUTER's prefixes: T2 0.8 × 1800, T1 the renewal time 600. */
const delegated = (iaid: number, ...more: Dhcp6Option[]): Dhcp6Option => ({
  kind: "iaPd",
  iaid,
  t1: 600,
  t2: 1440,
  options: [
    prefix("2001:db8:100::", 56, 1800, 3600),
    prefix("2001:db8:200::", 64, 1800, 3600),
    ...more,
  ],
});
/** The IA_NA of ROUTER's two addresses with the default lifetimes. */
const addressed = (iaid: number, ...more: Dhcp6Option[]): Dhcp6Option => ({
  kind: "iaNa",
  iaid,
  t1: 600,
  t2: 483840,
  options: [address("2001:db8:77::a", 604800), address("2001:db8:77::b", 604800), ...more],
});

/** `m` with its IAs replaced by `ias` (and a server identifier when `ours`). */
function withIas(m: Dhcp6Message, msgType: number, ours: boolean, ...ias: Dhcp6Option[]) {
  const kept = m.options.filter((o) => !["iaNa", "iaTa", "iaPd", "serverId"].includes(o.kind));
  return craftDhcp6({ ...m, msgType, options: [...kept, ...(ours ? [SERVER_ID] : []), ...ias] });
}

Deno.test("answerDhcp6() answers networkd's captured rapid-commit Solicit with IP6 in IA_NA and PREFIX6 in IA_PD", () => {
  const decision = answer(packet(NETWORKD, 3), ROUTER, PD_CONFIG);
  assert.match(
    decision.why,
    /reply with 2001:db8:77::a, 2001:db8:77::b, prefix 2001:db8:100::\/56, prefix 2001:db8:200::\/64$/,
  );
  const m = reply(replyFrame(decision), DHCP6_MESSAGE.reply, 0x412e14);
  assert.deepEqual(m.options.slice(2, 5), [
    addressed(0x75af0be6),
    delegated(0x75af0be6),
    { kind: "rapidCommit" },
  ]);
});

Deno.test("answerDhcp6() leases EUI64 first, then IP6, in the one IA_NA", () => {
  const b = binding({ eui64: v6("2001:db8:77::e"), dhcp6: { addresses: [v6("2001:db8:77::a")] } });
  const m = reply(replyFrame(answer(packet(STATEFUL, 7), b)), DHCP6_MESSAGE.reply, 0x9577a6);
  const ia = findDhcp6Option(m.options, "iaNa")!;
  assert.deepEqual(ia.options, [
    address("2001:db8:77::e", 604800),
    address("2001:db8:77::a", 604800),
  ]);
});

Deno.test("answerDhcp6() delegates PREFIX6 in slaac+dhcpv6 mode too, while IA_NA gets NoAddrsAvail", () => {
  const m = reply(
    replyFrame(answer(packet(NETWORKD, 3), ROUTER, { ...PD_CONFIG, mode: "slaac+dhcpv6" })),
    DHCP6_MESSAGE.reply,
    0x412e14,
  );
  assert.deepEqual(m.options.slice(2, 4), [
    {
      kind: "iaNa",
      iaid: 0x75af0be6,
      t1: 0,
      t2: 0,
      options: [status(DHCP6_STATUS.noAddrsAvail, "no addresses for this client")],
    },
    delegated(0x75af0be6),
  ]);
});

Deno.test("answerDhcp6() gives one IA_PD per VM: a second one gets NoPrefixAvail", () => {
  const solicit = request(NETWORKD, 3);
  const second = pdOf(9);
  const m = reply(
    replyFrame(answer(
      craftDhcp6({ ...solicit, options: [...solicit.options, second] }),
      ROUTER,
      PD_CONFIG,
    )),
    DHCP6_MESSAGE.reply,
    0x412e14,
  );
  assert.deepEqual(
    findDhcp6Option(m.options.slice(4), "iaPd"),
    pdOf(9, status(DHCP6_STATUS.noPrefixAvail, "one IA_PD per VM")),
  );
});

Deno.test("answerDhcp6() renews and rebinds the prefixes, expiring a prefix the VM should drop", () => {
  const renew = request(STATEFUL, 14);
  const pd = pdOf(7, prefix("2001:db8:100::", 56, 0, 0), prefix("2001:db8:999::", 48, 100, 200));
  for (const [msgType, ours] of [[DHCP6_MESSAGE.renew, true], [DHCP6_MESSAGE.rebind, false]]) {
    const m = reply(
      replyFrame(answer(withIas(renew, Number(msgType), Boolean(ours), pd), ROUTER, PD_CONFIG)),
      DHCP6_MESSAGE.reply,
      0xcecf1b,
    );
    assert.deepEqual(
      m.options.slice(2, 3),
      [delegated(7, prefix("2001:db8:999::", 48, 0, 0))],
      `message type ${msgType}`,
    );
  }
});

Deno.test("answerDhcp6() answers a Renew for prefixes of a binding without PREFIX6 with NoBinding", () => {
  const pd = pdOf(7, prefix("2001:db8:100::", 56, 0, 0));
  const m = reply(
    replyFrame(answer(withIas(request(STATEFUL, 14), DHCP6_MESSAGE.renew, true, pd))),
    DHCP6_MESSAGE.reply,
    0xcecf1b,
  );
  assert.deepEqual(m.options[2], pdOf(7, status(DHCP6_STATUS.noBinding, "no binding for this IA")));
});

Deno.test("answerDhcp6() confirms all of IP6's addresses, and any other one is NotOnLink", () => {
  const confirm = request(CONFIRM, 1);
  const ia = (...addresses: string[]): Dhcp6Option => ({
    kind: "iaNa",
    iaid: 1,
    t1: 0,
    t2: 0,
    options: addresses.map((a) => address(a, 0)),
  });
  const answerOf = (...addresses: string[]) =>
    reply(
      replyFrame(answer(
        withIas(confirm, DHCP6_MESSAGE.confirm, false, ia(...addresses)),
        ROUTER,
        STATEFUL_CONFIG,
      )),
      DHCP6_MESSAGE.reply,
      0xa2d737,
    ).options.slice(1);
  assert.deepEqual(answerOf("2001:db8:77::a", "2001:db8:77::b"), [
    SERVER_ID,
    status(DHCP6_STATUS.success, "all addresses still on link"),
  ]);
  assert.deepEqual(answerOf("2001:db8:77::a", "2001:db8:77::c"), [
    SERVER_ID,
    status(DHCP6_STATUS.notOnLink, "not this VM's address"),
  ]);
});

Deno.test("answerDhcp6() answers a Release of the prefixes with Success; they stay the VM's", () => {
  const release = request(STATEFUL, 20);
  const m = reply(
    replyFrame(answer(withIas(release, DHCP6_MESSAGE.release, true, delegated(7)), ROUTER)),
    DHCP6_MESSAGE.reply,
    0x1484dd,
  );
  assert.deepEqual(m.options, [
    clientId(release),
    SERVER_ID,
    status(DHCP6_STATUS.success, "release received"),
  ]);
  // The next Request gets them again: the binding file, not the client, says what the VM has.
  const again = reply(
    replyFrame(answer(
      withIas(request(STATEFUL, 7), DHCP6_MESSAGE.request, true, pdOf(7)),
      ROUTER,
      PD_CONFIG,
    )),
    DHCP6_MESSAGE.reply,
    0x9577a6,
  );
  assert.deepEqual(findDhcp6Option(again.options, "iaPd"), delegated(7));
});
