/** The Prometheus text format: read back by a strict parser, escaping, histogram rules. */
import assert from "node:assert/strict";
import { formatMetrics, histogramSamples } from "../../src/metrics/prometheus.ts";
import { Histogram } from "../../src/metrics/traffic.ts";
import { parseMetrics } from "./prom_parse.ts";

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
