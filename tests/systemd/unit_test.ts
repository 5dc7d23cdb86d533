/**
 * The package under a real systemd (make test-systemd): in a booted bookworm container, apt-get
 * install enables and starts the unit; through the unit's own sandbox udhcpc gets its lease and
 * rdisc6 its RA; reload re-reads, a broken nfdhcpd.conf fails the reload with its reason at
 * priority err while the daemon keeps serving; kill -9 is restarted; stop and purge leave nothing.
 * The README's status text and security exposure are the ones measured here.
 */

import assert from "node:assert/strict";
import type { Container } from "../../lab/container.ts";
import { bindVm, plugVm, solicitRouter, VM1, waitLease } from "../../lab/guest_vm.ts";
import { REPO_ROOT, waitFor } from "../../lab/proc.ts";
import {
  aptInstall,
  inContainer,
  journalAfter,
  journalCursor,
  unitProperties,
  waitServing,
} from "./harness.ts";

const CONF = "/etc/nfdhcpd/nfdhcpd.conf";
const README = Deno.readTextFileSync(`${REPO_ROOT}/README.md`);

/** The exposure `systemd-analyze security` gives the unit. */
async function exposure(container: Container): Promise<number> {
  const r = await container.exec(["systemd-analyze", "security", "--no-pager", "nfdhcpd.service"]);
  const m = /Overall exposure level for nfdhcpd\.service: (\d+\.\d)/.exec(r.stdout);
  if (!m) throw new Error(`no exposure level in:\n${r.stdout}`);
  return Number(m[1]);
}

Deno.test({
  name: "systemd: install, serve DHCPv4 and an RS in the sandbox, reload, bad reload, kill -9, " +
    "stop, purge",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    inContainer("nfdhcpd-unit", async (c) => {
      const installed = await aptInstall(c);
      assert.doesNotMatch(installed.stderr, /^E: /m, installed.stderr);
      assert.equal((await c.exec(["systemctl", "is-enabled", "nfdhcpd"])).stdout.trim(), "enabled");
      await waitServing(c);

      // The status text, exactly as the README shows it.
      const promised = /Status: "(queues [^"]*N bindings)"/.exec(README)?.[1];
      assert.ok(promised, "the README shows no status text");
      const status = (await unitProperties(c, ["StatusText"])).StatusText;
      assert.equal(status?.replace(/\d+ bindings$/, "N bindings"), promised);

      // The sandbox's exposure: at most 3.4, and what the README quotes.
      const level = await exposure(c);
      assert.ok(level <= 3.4, `exposure ${level} > 3.4`);
      const quoted = /systemd-analyze security nfdhcpd`[^.]*?(\d+\.\d)/.exec(README)?.[1];
      assert.equal(quoted, level.toFixed(1), "the README's exposure figure");

      // The filters the packet path below goes through are in force, as loaded by systemd.
      const sandbox = await unitProperties(c, [
        "RestrictAddressFamilies",
        "SystemCallFilter",
        "IPAddressDeny",
        "AmbientCapabilities",
      ]);
      assert.equal(sandbox.RestrictAddressFamilies, "AF_NETLINK AF_PACKET AF_UNIX");
      assert.notEqual(sandbox.SystemCallFilter, "");
      assert.match(sandbox.IPAddressDeny ?? "", /0\.0\.0\.0\/0/);
      assert.equal(sandbox.AmbientCapabilities, "cap_net_admin cap_net_raw");

      // A VM behind tap0: its DHCPv4 lease and its RA, through the unit's sandbox.
      await plugVm(c, VM1);
      await bindVm(c, VM1, "/var/lib/nfdhcpd");
      const first = await waitLease(c, VM1);
      assert.equal(first.server, "192.0.2.1");
      assert.equal(first.leaseSeconds, 604800);
      const ra = await waitFor("rdisc6 to get an RA", async () => {
        const { advert } = await solicitRouter(c, VM1);
        return advert ?? undefined;
      }, { timeoutMs: 60_000, intervalMs: 500 });
      assert.deepEqual(ra.prefixes.map((p) => p.prefix), [VM1.subnet6]);
      assert.match(ra.from, /^fe80::/);

      // systemctl reload re-reads nfdhcpd.conf: the next lease has the new lifetime.
      const pid = await waitServing(c);
      await c.exec(["sed", "-i", "s/^lease_lifetime = 604800 /lease_lifetime = 3600 /", CONF]);
      let cursor = await journalCursor(c);
      await c.exec(["systemctl", "reload", "nfdhcpd"]);
      await waitFor("the reload to be logged", async () => {
        return /Configuration reloaded: queues 42/.test(await journalAfter(c, cursor));
      }, { timeoutMs: 30_000, intervalMs: 250 });
      assert.equal((await waitLease(c, VM1)).leaseSeconds, 3600);

      // A broken nfdhcpd.conf: the reload fails, its reason is at priority err, the daemon serves.
      await c.exec(["sed", "-i", "s/^dhcp_queue = 42$/dhcp_queue = abc/", CONF]);
      const line = (await c.exec(["grep", "-n", "^dhcp_queue = abc$", CONF])).stdout.split(":")[0];
      cursor = await journalCursor(c);
      const reload = await c.exec(["systemctl", "reload", "nfdhcpd"], { allowFailure: true });
      assert.notEqual(reload.code, 0, "a reload with a broken nfdhcpd.conf succeeded");
      const reason = `${CONF}:${line}: [dhcp] dhcp_queue: not a non-negative integer: "abc"`;
      const errors = await waitFor("the reason at priority err", async () => {
        const text = await journalAfter(c, cursor, "err");
        return text.includes(reason) ? text : undefined;
      }, { timeoutMs: 30_000, intervalMs: 250 });
      assert.doesNotMatch(errors, /Configuration reloaded/);
      assert.equal(await waitServing(c), pid, "the daemon was restarted by a failed reload");
      assert.equal((await waitLease(c, VM1)).leaseSeconds, 3600);
      await c.exec(["sed", "-i", "s/^dhcp_queue = abc$/dhcp_queue = 42/", CONF]);

      // kill -9: systemd restarts it (Restart=on-failure), and the new one serves.
      await c.exec(["kill", "-9", String(pid)]);
      const restarted = await waitFor("a new main PID", async () => {
        const next = await waitServing(c);
        return next !== pid ? next : undefined;
      }, { timeoutMs: 60_000, intervalMs: 250 });
      assert.equal((await unitProperties(c, ["NRestarts"])).NRestarts, "1");
      assert.equal((await waitLease(c, VM1)).address, VM1.ip);

      // stop: quick, clean (not failed), nothing of it left running, its runtime directory gone.
      const stopAt = Date.now();
      await c.exec(["systemctl", "stop", "nfdhcpd"]);
      const stopMs = Date.now() - stopAt;
      const stopped = await unitProperties(c, ["ActiveState", "Result", "MainPID"]);
      assert.deepEqual(stopped, { ActiveState: "inactive", Result: "success", MainPID: "0" });
      const left = await c.exec([
        "sh",
        "-c",
        `test ! -e /proc/${restarted} && test ! -e /run/nfdhcpd`,
      ], {
        allowFailure: true,
      });
      assert.equal(left.code, 0, "the daemon or /run/nfdhcpd is left after stop");

      // A bad option in /etc/default/nfdhcpd: the start fails, and says why at priority err.
      await c.write("/etc/default/nfdhcpd", 'NFDHCPD_OPTS="--no-such-option"\n');
      cursor = await journalCursor(c);
      const start = await c.exec(["systemctl", "start", "nfdhcpd"], { allowFailure: true });
      assert.notEqual(start.code, 0, "nfdhcpd started with an unknown option");
      await waitFor("the bad option's reason at priority err", async () => {
        return /^nfdhcpd: .*--no-such-option/m.test(await journalAfter(c, cursor, "err"));
      }, { timeoutMs: 30_000, intervalMs: 250 });
      await c.exec(["systemctl", "stop", "nfdhcpd"]);

      // purge: the binding first (else datapath stays, as it should), then nothing is left.
      await c.exec(["rm", `/var/lib/nfdhcpd/${VM1.tap}`]);
      await c.exec([
        "env",
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "purge",
        "-y",
        "-q",
        "nfdhcpd",
      ], {
        timeoutMs: 120_000,
      });
      const remains = await c.sh(
        "ls -d /etc/nfdhcpd /etc/default/nfdhcpd /etc/logrotate.d/nfdhcpd /usr/lib/nfdhcpd " +
          "/usr/sbin/nfdhcpd /usr/share/nfdhcpd /var/lib/nfdhcpd /var/log/nfdhcpd " +
          "/lib/systemd/system/nfdhcpd.service /etc/systemd/system/multi-user.target.wants/nfdhcpd.service " +
          "2>/dev/null || true; getent passwd nfdhcpd || true; getent group nfdhcpd || true",
      );
      assert.equal(remains.stdout.trim(), "", `left after purge:\n${remains.stdout}`);
      // systemctl exits 1 when no unit file matches.
      const unit = await c.exec(
        ["systemctl", "list-unit-files", "--no-legend", "nfdhcpd.service"],
        {
          allowFailure: true,
        },
      );
      assert.deepEqual([unit.code, unit.stdout.trim()], [1, ""]);
      console.log(`systemd: exposure ${level}, systemctl stop ${stopMs} ms`);
    }),
});
