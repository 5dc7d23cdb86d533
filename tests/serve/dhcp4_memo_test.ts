/**
 * The DHCPv4 reply memo: a kept reply is used only for a request with the same facts and settings,
 * and is then byte for byte what a fresh build gives.
 */
import assert from "node:assert/strict";
import type { Binding } from "../../src/bindings/binding.ts";
import type { DhcpConfig } from "../../src/config/types.ts";
import type { Decision, InterfaceInfo } from "../../src/serve/decision.ts";
import { answerDhcp4Message } from "../../src/serve/dhcp4.ts";
import {
  dhcp4FactValues,
  dhcp4MemoKey,
  matchesDhcp4Key,
  readDhcp4Facts,
} from "../../src/serve/dhcp4_facts.ts";
import { ReplyMemo } from "../../src/serve/memo.ts";
import { parseMac } from "../../src/address.ts";
import { type Dhcp4Message, FLAG_BROADCAST } from "../../src/wire/dhcp4.ts";
import { OPTION } from "../../src/wire/dhcp4_options.ts";
import { contextOf } from "./context.ts";
import {
  BINDING as DHCP4_BINDING,
  CONFIG as DHCP4_CONFIG,
  decodeDhcp4Frame,
  INDEV,
  ip,
  message,
  withOption,
} from "./dhcp4_setup.ts";

/** The captures' binding with a few more options in the reply. */
const BINDING: Binding = { ...DHCP4_BINDING, hostname: "testvm.example.test", mtu: 1400 };
/** The same binding, with MACSPOOF: requests from any chaddr and hlen reach the memo. */
const SPOOFABLE: Binding = { ...BINDING, macspoof: true };
const CONFIG: DhcpConfig = { ...DHCP4_CONFIG, nameservers: [ip(192, 0, 2, 2)], domain: null };

const DISCOVER = message("dhclient4_dora_renew_release.pcap", 1);
const SELECTING = message("dhclient4_dora_renew_release.pcap", 3);

const u32 = (n: number) => Uint8Array.of(n >>> 24, n >>> 16, n >>> 8, n);

interface Settings {
  readonly binding: Binding;
  readonly dhcp: DhcpConfig;
  readonly indev: InterfaceInfo;
}

/** The decision for `m` from `memo`, and from a new memo (a build from scratch). */
function answerBoth(m: Dhcp4Message, memo: ReplyMemo, s: Settings) {
  const kept = answerDhcp4Message(m, contextOf({ ...s, memo }));
  const fresh = answerDhcp4Message(m, contextOf({ ...s, memo: new ReplyMemo() }));
  return { kept, fresh };
}

function frameOf(d: Decision): Uint8Array {
  if (d.kind !== "reply") assert.fail(`expected a reply: ${d.why}`);
  return d.frame;
}

function assertSame(kept: Decision, fresh: Decision, what: string): void {
  assert.deepEqual([...frameOf(kept)], [...frameOf(fresh)], `${what}: frame`);
  assert.equal(kept.why, fresh.why, `${what}: why`);
}

Deno.test("answerDhcp4Message() misses the memo when any request field the reply depends on changes", () => {
  const settings = { binding: SPOOFABLE, dhcp: CONFIG, indev: INDEV };
  const changes: [string, (m: Dhcp4Message) => Dhcp4Message][] = [
    ["client identifier", (m) => withOption(m, OPTION.clientId, Uint8Array.of(1, 2, 3))],
    [
      "client identifier left out or added",
      (m) =>
        withOption(m, OPTION.clientId, m.options.has(OPTION.clientId) ? null : Uint8Array.of(9)),
    ],
    ["ciaddr", (m) => ({ ...m, ciaddr: ip(10, 77, 0, 95) })],
    ["broadcast flag", (m) => ({ ...m, flags: m.flags ^ FLAG_BROADCAST })],
    ["giaddr", (m) => ({ ...m, giaddr: ip(10, 77, 0, 254) })],
    ["chaddr", (m) => ({ ...m, chaddr: parseMac("52:54:00:77:00:99")! })],
    // The same chaddr bytes, so that only hlen tells the requests apart.
    ["hlen", (m) => ({ ...m, hlen: 7 })],
    ["htype", (m) => ({ ...m, htype: 6 })],
    ["hops", (m) => ({ ...m, hops: 1 })],
    ["requested IP", (m) => withOption(m, OPTION.requestedIp, u32(ip(10, 77, 0, 96)))],
    ["server identifier", (m) => withOption(m, OPTION.serverId, u32(ip(192, 0, 2, 9)))],
    ["message type", (m) => withOption(m, OPTION.messageType, Uint8Array.of(8))],
    // The reply's options follow the parameter request list's order (RFC 2131 section 4.3.1).
    [
      "parameter request list order",
      (m) => withOption(m, OPTION.parameterList, m.options.get(OPTION.parameterList)!.toReversed()),
    ],
    ["parameter request list left out", (m) => withOption(m, OPTION.parameterList, null)],
    // How much of the reply fits (option 57).
    ["maximum message size", (m) => withOption(m, OPTION.maxMessageSize, Uint8Array.of(5, 0xdc))],
  ];
  for (const request of [DISCOVER, SELECTING]) {
    for (const [what, change] of changes) {
      const memo = new ReplyMemo();
      answerBoth(request, memo, settings);
      // The same request with another xid is a hit: the memo works for this request at all.
      const again = answerBoth({ ...request, xid: request.xid ^ 0x5a5a }, memo, settings);
      assert.equal(memo.dhcp4Replies.hits, 1, what);
      assertSame(again.kept, again.fresh, `${what}: another xid`);
      const { kept, fresh } = answerBoth(change(request), memo, settings);
      assert.equal(memo.dhcp4Replies.hits, 1, `${what}: a kept reply was reused`);
      assert.deepEqual(kept, fresh, what);
    }
  }
});

Deno.test("dhcp4MemoKey() holds every fact but the xid, a fact added later too", () => {
  const facts = readDhcp4Facts(DISCOVER, 68);
  const matches = (key: object, other: object) =>
    matchesDhcp4Key(dhcp4MemoKey({ ...facts, ...key }), dhcp4FactValues({ ...facts, ...other }));
  assert.equal(matches({}, {}), true);
  assert.equal(matches({}, { xid: facts.xid + 1 }), true);
  assert.equal(matches({}, { ciaddr: 1 }), false);
  // A later fact need not be named anywhere to be part of the key.
  for (
    const [one, other] of [
      [1, 2],
      [Uint8Array.of(1), Uint8Array.of(2)],
      [Uint8Array.of(1), Uint8Array.of(1, 0)],
      [Uint8Array.of(1), null],
      [0, null],
    ] as const
  ) {
    assert.equal(matches({ later: one }, { later: one }), true, `${one}`);
    assert.equal(matches({ later: one }, { later: other }), false, `${one}, ${other}`);
    assert.equal(matches({ later: one }, {}), false, `${one}, none`);
    assert.equal(matches({}, { later: one }), false, `none, ${one}`);
  }
  // The key holds copies: the packet's buffer is reused for the next one.
  const bytes = { ...facts, later: Uint8Array.of(1) };
  const kept = dhcp4MemoKey(bytes);
  bytes.later[0] = 2;
  assert.equal(matchesDhcp4Key(kept, dhcp4FactValues(bytes)), false);
});

Deno.test("answerDhcp4Message() from the memo is byte for byte a fresh build over a client's life", () => {
  const memo = new ReplyMemo();
  const otherMac: InterfaceInfo = { ...INDEV, mac: parseMac("fe:54:00:77:00:02")! };
  const longer: DhcpConfig = { ...CONFIG, leaseLifetime: 3600 };
  const bound = ip(10, 77, 0, 95);
  const renewing = withOption({ ...SELECTING, ciaddr: bound }, OPTION.requestedIp, null);
  const steps: [string, Dhcp4Message, Settings][] = [
    ["DISCOVER", DISCOVER, { binding: BINDING, dhcp: CONFIG, indev: INDEV }],
    ["REQUEST (selecting)", SELECTING, { binding: BINDING, dhcp: CONFIG, indev: INDEV }],
    ["REQUEST (renewing)", withOption(renewing, OPTION.serverId, null), {
      binding: BINDING,
      dhcp: CONFIG,
      indev: INDEV,
    }],
    [
      "REQUEST (rebinding)",
      { ...withOption(renewing, OPTION.serverId, null), flags: FLAG_BROADCAST },
      { binding: BINDING, dhcp: CONFIG, indev: INDEV },
    ],
    [
      "DISCOVER (another client identifier)",
      withOption(DISCOVER, OPTION.clientId, Uint8Array.of(255, 1, 2, 3, 4)),
      { binding: BINDING, dhcp: CONFIG, indev: INDEV },
    ],
    ["REQUEST (config changed)", SELECTING, { binding: BINDING, dhcp: longer, indev: INDEV }],
    ["REQUEST (INDEV MAC changed)", SELECTING, { binding: BINDING, dhcp: longer, indev: otherMac }],
    ["DISCOVER (INDEV MAC changed)", DISCOVER, { binding: BINDING, dhcp: longer, indev: otherMac }],
  ];
  let previous: Uint8Array | null = null;
  for (const [what, request, settings] of steps) {
    const hits = memo.dhcp4Replies.hits;
    for (const xid of [request.xid, 0x01020304, 0xfffefdfc, 0]) {
      const { kept, fresh } = answerBoth({ ...request, xid }, memo, settings);
      assertSame(kept, fresh, `${what}, xid ${xid}`);
      assert.equal(decodeDhcp4Frame(frameOf(kept)).dhcp.xid, xid);
    }
    // Each step is first built (a miss), then its three other xids come from the memo.
    assert.equal(memo.dhcp4Replies.hits, hits + 3, what);
    const frame = frameOf(answerDhcp4Message(request, contextOf({ ...settings, memo })));
    assert.notDeepEqual(frame, previous, `${what} differs from the step before`);
    previous = frame;
  }
});

Deno.test("ReplyMemo.clear() forgets every kept reply", () => {
  const memo = new ReplyMemo();
  const settings = { binding: BINDING, dhcp: CONFIG, indev: INDEV };
  answerBoth(DISCOVER, memo, settings);
  answerBoth(DISCOVER, memo, settings);
  assert.equal(memo.dhcp4Replies.hits, 1);
  memo.clear();
  answerBoth(DISCOVER, memo, settings);
  assert.equal(memo.dhcp4Replies.hits, 1);
});

Deno.test("ReplyMemo.forget(tap) forgets that TAP's kept replies alone: another VM keeps its own", () => {
  const memo = new ReplyMemo();
  const other: Binding = { ...BINDING, tap: "tap9" };
  const mine = { binding: BINDING, dhcp: CONFIG, indev: INDEV };
  const theirs = { binding: other, dhcp: CONFIG, indev: INDEV };
  answerBoth(DISCOVER, memo, mine);
  answerBoth(DISCOVER, memo, theirs);
  memo.forget(BINDING.tap);
  answerBoth(DISCOVER, memo, theirs);
  assert.equal(memo.dhcp4Replies.hits, 1, "the other TAP's reply is still kept");
  answerBoth(DISCOVER, memo, mine);
  assert.equal(memo.dhcp4Replies.hits, 1, "the forgotten TAP's reply was built again");
  assert.equal(memo.dhcp4Options.hits, 0, "and its options were encoded again too");
});

Deno.test("a kept reply is never used for a changed binding of the same TAP, even before forget()", () => {
  const memo = new ReplyMemo();
  answerBoth(DISCOVER, memo, { binding: BINDING, dhcp: CONFIG, indev: INDEV });
  const changed: Binding = { ...BINDING, mtu: 1300 };
  answerBoth(DISCOVER, memo, { binding: changed, dhcp: CONFIG, indev: INDEV });
  assert.equal(memo.dhcp4Replies.hits, 0);
});
