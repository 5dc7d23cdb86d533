/**
 * The operator's tools against a real daemon in namespaces: `status`, `clients`, `metrics` and
 * `trace` through the control socket, compared with what real clients got.
 */
import assert from "node:assert/strict";
import { lookupAccount } from "../../ffi/privileges.ts";
import type { ClientReport } from "../../src/control/protocol.ts";
import type { StatusReport } from "../../src/metrics/status_report.ts";
import { stream } from "../../src/control/client.ts";
import type { TraceLine } from "../../src/control/trace.ts";
import { parseMetrics, sampleValue } from "../metrics/prom_parse.ts";
import { runUdhcpc } from "../../lab/clients.ts";
import { Daemon, daemonCommand, daemonConfig } from "../../lab/daemon.ts";
import { withLab } from "../../lab/netns.ts";
import { requireCommands, run, waitFor } from "../../lab/proc.ts";

const CONFIG = { serverIp: "10.40.0.1", nameservers: ["198.51.100.1"], domain: "example.test" };

/** Runs `nfdhcpd <args>` (the bundle, as the daemon runs) and returns its exit code and output. */
async function cli(args: readonly string[]) {
  return await run([...daemonCommand(), ...args], { allowFailure: true, timeoutMs: 20_000 });
}

async function cliJson<T>(args: readonly string[]): Promise<T> {
  const r = await cli([...args, "--json"]);
  assert.equal(r.code, 0, `nfdhcpd ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

Deno.test("status, clients, metrics and trace tell what real clients got, through a 0660 socket of the daemon's user", async () => {
  requireCommands(["udhcpc"]);
  await withLab(
    { vms: [{ name: "vm1", tap: "tap1" }, { name: "vm2", tap: "tap2" }] },
    async (lab) => {
      await lab.addDhcp4Rule();
      const [vm1, vm2] = [lab.vm("vm1"), lab.vm("vm2")];
      await lab.writeBinding(vm1.tap, {
        HOSTNAME: "web1",
        INDEV: vm1.tap,
        MAC: vm1.mac,
        IP: "10.40.1.10",
        SUBNET: "10.40.1.0/24",
        GATEWAY: "10.40.1.1",
      });
      // tap2's binding names another MAC than vm2's: its requests are spoofed.
      await lab.writeBinding(vm2.tap, {
        INDEV: vm2.tap,
        MAC: "52:54:00:aa:bb:cc",
        IP: "10.40.2.10",
        SUBNET: "10.40.2.0/24",
      });
      // The daemon drops to nobody, who reads the config and bindings and owns the socket's dir.
      const nobody = lookupAccount("nobody");
      for (const dir of [lab.dir, lab.datapath]) Deno.chmodSync(dir, 0o755);
      const runDir = `${lab.dir}/run`;
      Deno.mkdirSync(runDir);
      Deno.chownSync(runDir, nobody.uid, nobody.gid);
      const socket = `${runDir}/control.sock`;
      const metricsFile = `${runDir}/nfdhcpd.prom`;
      const base = daemonConfig(lab, CONFIG);
      const config = await lab.writeConfig({
        ...base,
        general: {
          ...base.general,
          user: "nobody",
          control_socket: socket,
          metrics_file: metricsFile,
          metrics_interval: 1,
        },
      });
      const daemon = await Daemon.start(lab, { config, debug: false });

      const info = Deno.lstatSync(socket);
      assert.ok(info.isSocket);
      assert.equal(info.mode! & 0o777, 0o660, "socket mode");
      assert.equal(info.uid, nobody.uid, "socket owner");
      assert.equal(info.gid, nobody.gid, "socket group");

      // A trace client listens while the VMs ask.
      const traced: TraceLine[] = [];
      const stop = new AbortController();
      const tracing = stream(socket, { command: "trace", tap: null }, (v) => {
        traced.push(v as TraceLine);
      }, stop.signal);
      const lease = await runUdhcpc(lab, vm1, { timeoutSec: 5 });
      assert.equal(lease.lease?.address, "10.40.1.10", `${lease.log}\n${daemon.log}`);
      const spoofed = await runUdhcpc(lab, vm2, { timeoutSec: 1 });
      assert.equal(spoofed.lease, null);

      await waitFor(
        "the trace to show the ACK",
        () => traced.some((t) => t.tap === "tap1" && t.reply === "ACK"),
        { timeoutMs: 5000 },
      );
      stop.abort();
      await tracing;
      const tap1 = traced.filter((t) => t.tap === "tap1");
      assert.deepEqual(
        tap1.map((t) => `${t.request} ${t.outcome} ${t.reply} ${t.address} ${t.mac}`).slice(0, 2),
        [
          `DISCOVER reply OFFER 10.40.1.10 ${vm1.mac}`,
          `REQUEST reply ACK 10.40.1.10 ${vm1.mac}`,
        ],
      );
      const tap2 = traced.find((t) => t.tap === "tap2");
      assert.equal(tap2?.outcome, "drop");
      assert.equal(tap2?.reason, "spoofed-mac");
      assert.equal(tap2?.mac, vm2.mac);

      const clients = await cliJson<ClientReport[]>(["clients", "--socket", socket]);
      const [c1, c2] = clients;
      assert.equal(c1?.tap, "tap1");
      assert.equal(c1.present, true);
      assert.equal(c1.hostname, "web1");
      assert.equal(c1.ipv4, "10.40.1.10");
      assert.equal(c1.lastRequest?.type, "REQUEST");
      assert.deepEqual([c1.lastReply?.type, c1.lastReply?.address], ["ACK", lease.lease?.address]);
      assert.equal(c1.lastRefusal, null);
      assert.equal(c2?.tap, "tap2");
      assert.equal(c2.lastReply, null);
      assert.equal(c2.lastRefusal?.reason, "spoofed-mac");

      const status = await cliJson<StatusReport>(["status", "--socket", socket]);
      assert.equal(status.pid, daemon.pid);
      assert.deepEqual(status.bindings, { loaded: 2, rejected: 0 });
      assert.deepEqual(status.queues.map((q) => [q.queue, q.service, q.failOpen]), [[
        42,
        "dhcp4",
        false,
      ]]);
      const dhcp4 = (counts: StatusReport["requests"], key: string) => counts.dhcp4?.[key] ?? 0;
      assert.ok(dhcp4(status.requests, "DISCOVER") >= 2, JSON.stringify(status.requests));
      assert.equal(dhcp4(status.replies, "OFFER"), 1);
      assert.equal(dhcp4(status.replies, "ACK"), 1);
      assert.equal(dhcp4(status.refused, "spoofed-mac"), spoofedCount(traced));

      const metrics = await cli(["metrics", "--socket", socket]);
      assert.equal(metrics.code, 0, metrics.stderr);
      const families = parseMetrics(metrics.stdout);
      const replies = { protocol: "dhcp4", type: "ACK" };
      assert.equal(sampleValue(families, "nfdhcpd_replies_total", replies), 1);
      assert.equal(
        sampleValue(families, "nfdhcpd_refused_total", {
          protocol: "dhcp4",
          reason: "spoofed-mac",
        }),
        dhcp4(status.refused, "spoofed-mac"),
      );
      assert.equal(
        sampleValue(
          families,
          "nfdhcpd_reply_duration_seconds",
          {},
          "nfdhcpd_reply_duration_seconds_count",
        ),
        2,
      );
      assert.equal(sampleValue(families, "nfdhcpd_bindings"), 2);
      // As nobody the daemon cannot read the kernel's per-queue counters (0440): ENOBUFS alone.
      assert.deepEqual(
        families.get("nfdhcpd_queue_overruns_total")?.samples.map((x) => [x.labels, x.value]),
        [[{ queue: "all", cause: "enobufs" }, 0]],
      );
      const fromFile = await waitFor("the metrics file to count the ACK", () => {
        try {
          const f = parseMetrics(Deno.readTextFileSync(metricsFile));
          return sampleValue(f, "nfdhcpd_replies_total", replies) === 1 ? f : null;
        } catch {
          return null;
        }
      }, { timeoutMs: 5000 });
      assert.equal(sampleValue(fromFile, "nfdhcpd_build_info", { version: status.version }), 1);

      const human = await cli(["status", "--socket", socket]);
      assert.match(
        human.stdout,
        /^queue 42 +dhcp4: copy packet 65535, max 4096, fail-closed; \? waiting, overruns: 0 ENOBUFS, \? queue full, \? socket full$/m,
      );

      await daemon.stop();
      assert.throws(() => Deno.lstatSync(socket), Deno.errors.NotFound, "socket removed on exit");
      const down = await cli(["status", "--socket", socket]);
      assert.equal(down.code, 3);
      assert.equal(
        down.stderr.trim(),
        `nfdhcpd is not running: cannot connect to ${socket} (No such file or directory)`,
      );
    },
  );
});

function spoofedCount(traced: readonly TraceLine[]): number {
  return traced.filter((t) => t.reason === "spoofed-mac").length;
}
