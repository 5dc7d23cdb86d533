/** Traffic and Histogram: counts by protocol and type or reason, each TAP's latest, the latency. */
import assert from "node:assert/strict";
import { countsObject, Histogram, LATENCY_BUCKETS, Traffic } from "../../src/metrics/traffic.ts";

Deno.test("Histogram.observe() puts a value equal to a bound in that bound's bucket", () => {
  const h = new Histogram([0.001, 0.01]);
  h.observe(0.001);
  h.observe(0.01);
  assert.deepEqual(h.counts, [1, 1, 0]);
});

Deno.test("Histogram counts a value above every bound in the last (+Inf) bucket, with sum and count", () => {
  const h = new Histogram([1, 2]);
  h.observe(0);
  h.observe(1.5);
  h.observe(2.0001);
  h.observe(99);
  assert.deepEqual(h.counts, [1, 1, 2]);
  assert.equal(h.count, 4);
  assert.equal(h.sum, 102.5001);
  assert.equal(new Histogram().counts.length, LATENCY_BUCKETS.length + 1);
});

Deno.test("Traffic counts requests, replies and refusals by protocol, and the reply latency", () => {
  const t = new Traffic();
  const a = t.request("tap1", "dhcp4", "DISCOVER", 1000);
  t.replied(a, "OFFER", 0x0a000005, "DHCPOFFER", 1001, 0.00003);
  t.request("tap1", "dhcp4", "REQUEST", 2000);
  t.replied(a, "ACK", 0x0a000005, "DHCPACK", 2001, 0.2);
  const b = t.request("tap2", "rs", "RS", 3000);
  t.refusedOne(b, "spoofed-mac", "spoofed MAC x", 3001);
  t.request("tap2", "rs", "RS", 4000);
  assert.deepEqual(countsObject(t.requests), { dhcp4: { DISCOVER: 1, REQUEST: 1 }, rs: { RS: 2 } });
  assert.deepEqual(countsObject(t.replies), { dhcp4: { OFFER: 1, ACK: 1 } });
  assert.deepEqual(countsObject(t.refused), { rs: { "spoofed-mac": 1 } });
  assert.equal(t.latency.count, 2);
  assert.equal(t.latency.counts[0], 1, "30 µs is in the first bucket (50 µs)");
  assert.equal(t.latency.counts[LATENCY_BUCKETS.length - 1], 1, "0.2 s is under 0.25 s");
});

Deno.test("Traffic keeps each TAP's latest request, reply and refusal, and how many of each", () => {
  const t = new Traffic();
  const a = t.request("tap1", "dhcp4", "DISCOVER", 1000);
  assert.equal(t.request("tap1", "dhcp4", "REQUEST", 2000), a, "one record a TAP");
  t.replied(a, "ACK", 0x0a000005, "DHCPACK", 2001, 0.001);
  t.refusedOne(a, "no-reply", "RELEASE", 3000);
  assert.deepEqual(t.activity("tap1"), {
    tap: "tap1",
    logKey: "refused tap1",
    requestProtocol: "dhcp4",
    requestType: "REQUEST",
    requestAt: 2000,
    replyType: "ACK",
    replyAddress: 0x0a000005,
    replyWhy: "DHCPACK",
    replyAt: 2001,
    refusalReason: "no-reply",
    refusalWhy: "RELEASE",
    refusalAt: 3000,
    requests: 2,
    replies: 1,
    refusals: 1,
  });
  assert.equal(t.activity("tap2"), undefined);
});

Deno.test("Traffic counts a reply under its request's protocol", () => {
  const t = new Traffic();
  const a = t.request("tap1", "dhcp6", "SOLICIT", 1);
  t.replied(a, "ADVERTISE", 0, "advertise", 2, 0.001);
  t.refusedOne(t.request("tap1", "ns", "NS", 3), "not-ours", "not our address", 4);
  assert.deepEqual(countsObject(t.replies), { dhcp6: { ADVERTISE: 1 } });
  assert.deepEqual(countsObject(t.refused), { ns: { "not-ours": 1 } });
});

Deno.test("Traffic.prune() forgets the TAPs not kept; their counts stay", () => {
  const t = new Traffic();
  t.request("tap1", "rs", "RS", 1);
  t.request("tap2", "rs", "RS", 2);
  t.prune((tap) => tap === "tap2");
  assert.equal(t.activity("tap1"), undefined);
  assert.equal(t.activity("tap2")!.requests, 1);
  assert.deepEqual(countsObject(t.requests), { rs: { RS: 2 } });
});

Deno.test("countsObject() of no counts is an empty object", () => {
  assert.deepEqual(countsObject(new Map()), {});
});
