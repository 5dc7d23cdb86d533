/** The Prometheus text format: read back by a strict parser, escaping, histogram rules. */
import assert from "node:assert/strict";
import type { StatusReport } from "../../src/metrics/status_report.ts";
import { metricsText } from "../../src/metrics/exposition.ts";
import { formatMetrics, histogramSamples } from "../../src/metrics/prometheus.ts";
import { Histogram } from "../../src/metrics/traffic.ts";
import { parseMetrics, sampleValue } from "./prom_parse.ts";

Deno.test("formatMetrics() escapes label values and HELP text so the parser reads them back", () => {
  const text = formatMetrics([{
    name: "x_total",
    help: "a \\ back\nslash",
    type: "counter",
    samples: [{ labels: { why: 'say "hi"\\\nbye' }, value: 3 }],
  }]);
  assert.equal(
    text,
    '# HELP x_total a \\\\ back\\nslash\n# TYPE x_total counter\nx_total{why="say \\"hi\\"\\\\\\nbye"} 3\n',
  );
  const f = parseMetrics(text).get("x_total")!;
  assert.deepEqual(f.samples[0]!.labels, { why: 'say "hi"\\\nbye' });
});

Deno.test("histogramSamples() gives cumulative buckets ending in +Inf, then _sum and _count", () => {
  const h = new Histogram([0.001, 0.01]);
  for (const v of [0.0005, 0.005, 0.005, 2]) h.observe(v);
  assert.deepEqual(h.counts, [1, 2, 1]);
  const samples = histogramSamples(h.bounds, h.counts, h.sum);
  assert.deepEqual(samples.map((s) => [s.suffix, s.labels?.le, s.value]), [
    ["_bucket", "0.001", 1],
    ["_bucket", "0.01", 3],
    ["_bucket", "+Inf", 4],
    ["_sum", undefined, 2.0105],
    ["_count", undefined, 4],
  ]);
});

Deno.test("Histogram.observe() puts a value equal to a bound in that bound's bucket", () => {
  const h = new Histogram([0.001, 0.01]);
  h.observe(0.001);
  h.observe(0.01);
  assert.deepEqual(h.counts, [1, 1, 0]);
});

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
