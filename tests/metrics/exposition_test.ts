/** The status report as Prometheus families: names, types, labels, and the overruns known. */
import assert from "node:assert/strict";
import { metricFamilies, metricsText } from "../../src/metrics/exposition.ts";
import type { StatusReport } from "../../src/metrics/status_report.ts";
import { parseMetrics, sampleValue } from "./prom_parse.ts";

/** A status with one of each kind of count. */
const STATUS: StatusReport = {
  version: "1.2.3",
  pid: 42,
  startedAt: 1_700_000_000_500,
  now: 1_700_000_100_000,
  configPath: "/etc/nfdhcpd/nfdhcpd.conf",
  queues: [{
    queue: 42,
    service: "dhcp4",
    copy: "packet 65535",
    maxLength: 4096,
    failOpen: false,
    waiting: 0,
    queueDropped: 5,
    socketDropped: 1,
  }],
  bindings: { loaded: 3, rejected: 1 },
  packets: { received: 10, accepted: 2, dropped: 8, enobufs: 0 },
  requests: { dhcp4: { DISCOVER: 4, REQUEST: 3 } },
  replies: { dhcp4: { OFFER: 4, ACK: 2 } },
  refused: { dhcp4: { "spoofed-mac": 1 } },
  passed: 2,
  errors: 0,
  latency: { bounds: [0.001, 0.01], counts: [5, 1, 0], sum: 0.004, count: 6 },
  lastReload: null,
};

Deno.test("metricsText() names every family by the conventions and parses back", () => {
  const families = parseMetrics(metricsText(STATUS));
  assert.deepEqual([...families.values()].map((f) => `${f.name} ${f.type}`), [
    "nfdhcpd_build_info gauge",
    "nfdhcpd_start_time_seconds gauge",
    "nfdhcpd_bindings gauge",
    "nfdhcpd_binding_errors gauge",
    "nfdhcpd_requests_total counter",
    "nfdhcpd_replies_total counter",
    "nfdhcpd_refused_total counter",
    "nfdhcpd_queue_overruns_total counter",
    "nfdhcpd_reply_duration_seconds histogram",
  ]);
  assert.equal(sampleValue(families, "nfdhcpd_build_info", { version: "1.2.3" }), 1);
  assert.equal(sampleValue(families, "nfdhcpd_start_time_seconds"), 1_700_000_000.5);
  assert.equal(sampleValue(families, "nfdhcpd_binding_errors"), 1);
  assert.equal(
    sampleValue(families, "nfdhcpd_requests_total", { protocol: "dhcp4", type: "REQUEST" }),
    3,
  );
  assert.equal(
    sampleValue(families, "nfdhcpd_refused_total", { protocol: "dhcp4", reason: "spoofed-mac" }),
    1,
  );
  assert.equal(
    sampleValue(families, "nfdhcpd_queue_overruns_total", { queue: "42", cause: "queue-full" }),
    5,
  );
  const d = "nfdhcpd_reply_duration_seconds";
  assert.equal(sampleValue(families, d, { le: "+Inf" }, `${d}_bucket`), 6);
  assert.equal(sampleValue(families, d, {}, `${d}_count`), 6);
});

Deno.test("metricFamilies() labels every count by protocol and type or reason, each protocol apart", () => {
  const families = metricFamilies({
    ...STATUS,
    requests: { dhcp4: { DISCOVER: 4 }, rs: { RS: 2 } },
    refused: { dhcp6: { "other-server": 1, malformed: 2 } },
  });
  const samples = (name: string) => families.find((f) => f.name === name)!.samples;
  assert.deepEqual(samples("nfdhcpd_requests_total"), [
    { labels: { protocol: "dhcp4", type: "DISCOVER" }, value: 4 },
    { labels: { protocol: "rs", type: "RS" }, value: 2 },
  ]);
  assert.deepEqual(samples("nfdhcpd_refused_total"), [
    { labels: { protocol: "dhcp6", reason: "other-server" }, value: 1 },
    { labels: { protocol: "dhcp6", reason: "malformed" }, value: 2 },
  ]);
  assert.deepEqual(samples("nfdhcpd_bindings"), [{ value: 3 }]);
});

Deno.test("metricFamilies() gives ENOBUFS for all queues, and a queue's drops only where they are known", () => {
  const families = metricFamilies({
    ...STATUS,
    packets: { ...STATUS.packets, enobufs: 7 },
    queues: [
      { ...STATUS.queues[0]!, queue: 42, queueDropped: null, socketDropped: 2 },
      { ...STATUS.queues[0]!, queue: 43, queueDropped: 4, socketDropped: null },
      { ...STATUS.queues[0]!, queue: 44, queueDropped: null, socketDropped: null },
    ],
  });
  assert.deepEqual(families.find((f) => f.name === "nfdhcpd_queue_overruns_total")!.samples, [
    { labels: { queue: "all", cause: "enobufs" }, value: 7 },
    { labels: { queue: "42", cause: "socket-full" }, value: 2 },
    { labels: { queue: "43", cause: "queue-full" }, value: 4 },
  ]);
});
