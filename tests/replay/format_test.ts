/** How `nfdhcpd replay` writes a record: the time, the request, the answer, where a packet breaks. */
import assert from "node:assert/strict";
import type { PacketSummary } from "../../src/replay/describe.ts";
import {
  outcomeText,
  recordJson,
  recordText,
  replyText,
  requestText,
  timeOfDay,
} from "../../src/replay/format.ts";
import type { ReplayRecord } from "../../src/replay/replay.ts";

const DISCOVER: PacketSummary = {
  protocol: "DHCPv4",
  type: "DISCOVER",
  source: "0.0.0.0",
  destination: "255.255.255.255",
  xid: "0xa83e8246",
  fields: {
    chaddr: "52:54:00:77:00:10",
    requested: "10.77.0.95",
    hostname: "testvm",
    requests: ["1", "3"],
    options: ["55"],
  },
  malformed: null,
};

const OFFER: PacketSummary = {
  protocol: "DHCPv4",
  type: "OFFER",
  source: "10.77.0.1",
  destination: "10.77.0.95",
  xid: "0xa83e8246",
  fields: {
    chaddr: "52:54:00:77:00:10",
    yiaddr: "10.77.0.95",
    server: "10.77.0.1",
    lease: 120,
    mask: "255.255.255.0",
    dns: ["10.77.0.1", "10.77.0.2"],
    router: ["10.77.0.1"],
    broadcast: true,
  },
  malformed: null,
};

/** 2024-01-01T00:00:00.1234Z. */
const TIME = { seconds: 1_704_067_200, nanoseconds: 123_456_789 };

const RECORD: ReplayRecord = {
  number: 1,
  time: TIME,
  mac: "52:54:00:77:00:10",
  request: DISCOVER,
  tap: "tap0",
  kind: "reply",
  reason: null,
  why: "DHCPOFFER",
  reply: OFFER,
  report: { request: "DISCOVER", clientId: null, requested: [1, 3], reply: "OFFER", sent: [53] },
};

Deno.test("timeOfDay() is UTC to the millisecond (truncated); dashes without a time", () => {
  assert.equal(timeOfDay(TIME), "00:00:00.123");
  assert.equal(timeOfDay({ seconds: 1_704_110_399, nanoseconds: 999_999_999 }), "11:59:59.999");
  assert.equal(timeOfDay(null), "--:--:--.---");
});

Deno.test("requestText() names protocol, type, MAC and xid; the fields but chaddr, requests, options", () => {
  assert.equal(
    requestText(RECORD),
    "DHCPv4 DISCOVER from 52:54:00:77:00:10 xid 0xa83e8246 (requested 10.77.0.95, hostname testvm)",
  );
});

Deno.test("requestText() shows chaddr when it is not the frame's MAC, and the IP source without one", () => {
  assert.equal(
    requestText({ ...RECORD, mac: "52:54:00:00:00:99" }),
    "DHCPv4 DISCOVER from 52:54:00:00:00:99 xid 0xa83e8246 " +
      "(chaddr 52:54:00:77:00:10, requested 10.77.0.95, hostname testvm)",
  );
  const rs: PacketSummary = {
    ...DISCOVER,
    protocol: "ICMPv6",
    type: "RS",
    source: "fe80::1",
    xid: null,
    fields: {},
  };
  assert.equal(requestText({ ...RECORD, mac: null, request: rs }), "ICMPv6 RS from fe80::1");
});

Deno.test("requestText() of a broken message names the MAC only; of no IP packet says so", () => {
  const broken = { ...DISCOVER, malformed: "Cannot parse (the DHCPv4 message starts at 42)" };
  assert.equal(
    requestText({ ...RECORD, request: broken }),
    "DHCPv4 message from 52:54:00:77:00:10",
  );
  assert.equal(
    requestText({ ...RECORD, mac: null, request: broken }),
    "DHCPv4 message from an unknown MAC",
  );
  assert.equal(requestText({ ...RECORD, request: null }), "(no IP packet)");
});

Deno.test("replyText() heads with the address, then router, dns, lease, mask first; seconds marked", () => {
  assert.equal(
    replyText(OFFER),
    "OFFER 10.77.0.95 (router 10.77.0.1, dns 10.77.0.1 10.77.0.2, lease 120s, " +
      "mask 255.255.255.0, server 10.77.0.1, broadcast) to 10.77.0.95",
  );
});

Deno.test("replyText() heads with a DHCPv6 address or an NA target; a bare type without either", () => {
  const reply6: PacketSummary = {
    ...OFFER,
    protocol: "DHCPv6",
    type: "REPLY",
    destination: "fe80::10",
    fields: { address: ["2001:db8::5"], status: ["0 success"], renewal: 60 },
  };
  assert.equal(
    replyText(reply6),
    "REPLY 2001:db8::5 (status 0 success, renewal 60s) to fe80::10",
  );
  const na: PacketSummary = {
    ...OFFER,
    protocol: "ICMPv6",
    type: "NA",
    destination: "fe80::10",
    fields: { target: "fe80::1", flags: ["router", "solicited"] },
  };
  assert.equal(replyText(na), "NA fe80::1 (flags router solicited) to fe80::10");
  assert.equal(
    replyText({ ...na, type: "RA", fields: {} }),
    "RA to fe80::10",
  );
});

Deno.test("outcomeText() of each decision: the reply, a drop with its reason, a pass, a skip", () => {
  assert.match(outcomeText(RECORD), /^OFFER 10\.77\.0\.95 /);
  assert.equal(
    outcomeText({
      ...RECORD,
      kind: "drop",
      reason: "spoofed-mac",
      why: "spoofed MAC x",
      reply: null,
    }),
    "dropped (spoofed-mac): spoofed MAC x",
  );
  assert.equal(
    outcomeText({ ...RECORD, kind: "ignore", why: "no binding for 52:54:00:77:00:10" }),
    "passed on: no binding for 52:54:00:77:00:10",
  );
  assert.equal(
    outcomeText({ ...RECORD, kind: "skip", why: "sent by the capturing host" }),
    "not a request: sent by the capturing host",
  );
});

Deno.test("recordText() is one line `#N time request  ->  outcome`, and where a broken packet breaks", () => {
  assert.equal(
    recordText({ ...RECORD, number: 7, kind: "skip", why: "x" }),
    "#7 00:00:00.123 DHCPv4 DISCOVER from 52:54:00:77:00:10 xid 0xa83e8246 " +
      "(requested 10.77.0.95, hostname testvm)  ->  not a request: x",
  );
  const broken = { ...DISCOVER, malformed: "cut (the DHCPv4 message starts at offset 42)" };
  assert.equal(
    recordText({ ...RECORD, request: broken, kind: "drop", reason: "malformed", why: "cut" }),
    "#1 00:00:00.123 DHCPv4 message from 52:54:00:77:00:10  ->  dropped (malformed): cut\n" +
      "    where: cut (the DHCPv4 message starts at offset 42)",
  );
});

Deno.test("recordJson() is one JSON object with an ISO time, the decision and the reports", () => {
  assert.deepEqual(JSON.parse(recordJson(RECORD)), {
    number: 1,
    time: "2024-01-01T00:00:00.123Z",
    mac: "52:54:00:77:00:10",
    tap: "tap0",
    request: DISCOVER,
    decision: "reply",
    reason: null,
    why: "DHCPOFFER",
    reply: OFFER,
    report: RECORD.report,
  });
  assert.equal(JSON.parse(recordJson({ ...RECORD, time: null })).time, null);
  assert.ok(!recordJson(RECORD).includes("\n"));
});
