/** `nfdhcpd metrics`: the daemon's exposition text on stdout as it is; the exit codes. */
import assert from "node:assert/strict";
import { metricsCommand } from "../../src/cli/metrics.ts";
import { capturing } from "../console.ts";
import { withServer } from "../control/with_server.ts";

const TEXT = "# TYPE nfdhcpd_packets_total counter\nnfdhcpd_packets_total 3\n";

Deno.test("metrics asks the daemon for metrics and writes its text unchanged, exit 0", async () => {
  const asked: unknown[] = [];
  await withServer((r) => {
    asked.push(r);
    return { metrics: TEXT };
  }, async (path) => {
    const printed = await capturing(() => metricsCommand(["--socket", path]));
    assert.equal(printed.result, 0);
    assert.equal(printed.written, TEXT);
    assert.deepEqual(printed.out, []);
  });
  assert.deepEqual(asked, [{ command: "metrics", tap: null }]);
});

Deno.test("metrics: a TAP is a usage error (2); no daemon on the socket exits 3", async () => {
  const usage = await capturing(() => metricsCommand(["tap1"]));
  assert.equal(usage.result, 2);
  assert.match(usage.err[0]!, /^nfdhcpd: too many arguments\n\nUsage: nfdhcpd metrics/);
  const absent = await capturing(() => metricsCommand(["--socket", "/nonexistent/c.sock"]));
  assert.equal(absent.result, 3);
  assert.equal(absent.written, "");
});
