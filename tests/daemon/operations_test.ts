/**
 * Operations: the control socket and the metrics file opened, moved and closed as the
 * configuration asks, and each control answer; on real files and a unix socket in a temp dir.
 */
import assert from "node:assert/strict";
import { parseBinding } from "../../src/bindings/binding.ts";
import { parseConfig } from "../../src/config/config.ts";
import type { Config } from "../../src/config/types.ts";
import { ask } from "../../src/control/client.ts";
import type { DaemonView } from "../../src/control/reports.ts";
import { TraceHub } from "../../src/control/trace.ts";
import { Logger } from "../../src/daemon/log.ts";
import { Operations } from "../../src/daemon/operations.ts";
import { Traffic } from "../../src/metrics/traffic.ts";
import { inTempDir } from "../temp_dir.ts";

const parsed = parseBinding("tap1", "MAC=52:54:00:00:00:01\nIP=10.0.0.5\n");
if (!parsed.ok) throw new Error(parsed.errors.join("; "));
const BINDING = parsed.binding;

/** Operations over a daemon with one binding (tap1); `lines` gets what it logs. */
function operations() {
  const traffic = new Traffic();
  const lines: string[] = [];
  const view: DaemonView = {
    startedAt: 1_700_000_000_000,
    configPath: "/etc/nfdhcpd/nfdhcpd.conf",
    queues: [],
    kernelQueues: () => null,
    packets: () => ({ packets: 0, accepted: 0, dropped: 0, enobufs: 0 }),
    dispatcher: { stats: { replies: 0, drops: 0, passes: 0, errors: 0 }, traffic },
    bindings: () => [BINDING],
    bindingCount: () => 1,
    rejectedBindings: () => 0,
    tapExists: () => true,
    lastReload: () => null,
  };
  const ops = new Operations({
    view: () => view,
    traffic,
    bound: (tap) => tap === "tap1",
    trace: new TraceHub(() => {}),
    log: new Logger({ write: (l, m) => lines.push(`${l}: ${m}`), reopen() {}, close() {} }, "info"),
  });
  return { ops, traffic, lines };
}

/** The [general] section of `text`. */
function general(text: string): Config["general"] {
  const r = parseConfig(`[general]\n${text}\n[dhcp]\nserver_ip = 192.0.2.1\n`, "t.conf");
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.config.general;
}

Deno.test("Operations.answer() gives status, clients (pruning unbound TAPs' traffic), metrics", () => {
  const { ops, traffic } = operations();
  traffic.request("tap1", "dhcp4", "DISCOVER", 1);
  traffic.request("tap9", "dhcp4", "DISCOVER", 1);
  const status = ops.answer("status", null) as { configPath: string; bindings: unknown };
  assert.equal(status.configPath, "/etc/nfdhcpd/nfdhcpd.conf");
  assert.deepEqual(status.bindings, { loaded: 1, rejected: 0 });
  const clients = ops.answer("clients", null) as { clients: { tap: string }[] };
  assert.deepEqual(clients.clients.map((c) => c.tap), ["tap1"]);
  assert.equal(traffic.activity("tap9"), undefined, "an unbound TAP's traffic is forgotten");
  assert.notEqual(traffic.activity("tap1"), undefined);
  const metrics = ops.answer("metrics", null) as { metrics: string };
  assert.match(metrics.metrics, /^nfdhcpd_bindings 1$/m);
  assert.deepEqual(ops.answer("nope", null), { error: "Unknown command nope" });
});

Deno.test("Operations.follow() opens the control socket, moves it when the path changes, closes it", async () => {
  await inTempDir(async (dir) => {
    const { ops, lines } = operations();
    const first = general(`control_socket = ${dir}/a.sock`);
    await ops.follow(null, first);
    try {
      assert.deepEqual(lines, [`info: Control socket: ${dir}/a.sock`]);
      const answer = await ask(`${dir}/a.sock`, { command: "status", tap: null });
      assert.equal((answer as { pid: number }).pid, Deno.pid);
      await ops.follow(first, first);
      assert.equal(lines.length, 1, "the same path: left open, not reopened");
      const moved = general(`control_socket = ${dir}/b.sock`);
      await ops.follow(first, moved);
      assert.throws(() => Deno.lstatSync(`${dir}/a.sock`), Deno.errors.NotFound);
      assert.ok(Deno.lstatSync(`${dir}/b.sock`).isSocket);
      await ops.follow(moved, general("control_socket ="));
      assert.throws(() => Deno.lstatSync(`${dir}/b.sock`), Deno.errors.NotFound);
    } finally {
      await ops.close();
    }
  });
});

Deno.test("Operations.follow() logs a socket it cannot open, and goes on", async () => {
  await inTempDir(async (dir) => {
    const { ops, lines } = operations();
    Deno.writeTextFileSync(`${dir}/taken`, "");
    try {
      await ops.follow(
        null,
        general(`control_socket = ${dir}/taken\nmetrics_file = ${dir}/m.prom`),
      );
      assert.deepEqual(lines, [
        `error: No control socket: Cannot open the control socket: ${dir}/taken exists and is not a socket`,
      ]);
      assert.match(
        Deno.readTextFileSync(`${dir}/m.prom`),
        /^nfdhcpd_bindings 1$/m,
        "metrics go on",
      );
    } finally {
      await ops.close();
    }
  });
});

Deno.test("Operations.follow() writes the metrics file at once, and stops it when unset", async () => {
  await inTempDir(async (dir) => {
    const { ops } = operations();
    const on = general(`control_socket =\nmetrics_file = ${dir}/m.prom\nmetrics_interval = 60`);
    await ops.follow(null, on);
    try {
      assert.match(Deno.readTextFileSync(`${dir}/m.prom`), /^nfdhcpd_build_info\{/m);
      const moved = general(
        `control_socket =\nmetrics_file = ${dir}/n.prom\nmetrics_interval = 60`,
      );
      await ops.follow(on, moved);
      assert.ok(Deno.statSync(`${dir}/n.prom`).isFile, "a new path is written at once");
      await ops.follow(moved, general("control_socket ="));
    } finally {
      await ops.close();
    }
  });
});
