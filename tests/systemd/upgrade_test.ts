/**
 * The upgrade of GRNET's package in place (make test-systemd): a host with the stand-in of its
 * 0.17 package (tests/systemd/grnet_package.ts), the operator's edits in nfdhcpd.conf (with the
 * OpenNebula fork's datadir) and /etc/default/nfdhcpd (DAEMON_OPTS), then apt-get install of ours:
 * no downgrade refused, the edits kept and used, the init script and its links gone, the daemon
 * serving, and the nfdhcpd_not_to_be_run switch still working.
 */

import assert from "node:assert/strict";
import { bindVm, plugVm, VM1, waitLease } from "../../lab/guest_vm.ts";
import { waitFor } from "../../lab/proc.ts";
import { VERSION } from "../../src/version.ts";
import { buildGrnetPackage, GRNET_CONF, GRNET_DEFAULT, GRNET_VERSION } from "./grnet_package.ts";
import {
  aptInstall,
  inContainer,
  journalAfter,
  journalCursor,
  unitProperties,
  waitServing,
} from "./harness.ts";

/** The operator's nfdhcpd.conf: their server and lease, and the fork's name for datapath. */
const EDITED_CONF = GRNET_CONF
  .replace("datapath = /var/lib/nfdhcpd", "datadir = /var/lib/nfdhcpd")
  .replace("server_ip = 192.0.2.1", "server_ip = 10.7.0.1")
  .replace("lease_lifetime = 604800", "lease_lifetime = 7200");
/** The operator's /etc/default/nfdhcpd: every packet decision logged. */
const EDITED_DEFAULT = GRNET_DEFAULT.replace('DAEMON_OPTS=""', 'DAEMON_OPTS="-d"');
const SWITCH = "/etc/nfdhcpd/nfdhcpd_not_to_be_run";

Deno.test({
  name: "systemd: upgrading GRNET's 0.17 keeps the operator's conffiles and options, removes its " +
    "init script, serves, and keeps the not_to_be_run switch",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    inContainer("nfdhcpd-upgrade", async (c) => {
      assert.ok(EDITED_CONF !== GRNET_CONF && EDITED_DEFAULT !== GRNET_DEFAULT);
      const old = await buildGrnetPackage(c);
      await c.exec(["dpkg", "-i", old], { timeoutMs: 120_000 });
      await waitServing(c);
      const links = "ls /etc/rc?.d/*nfdhcpd 2>/dev/null || true";
      assert.notEqual((await c.sh(links)).stdout.trim(), "", "the stand-in made no rc.d links");
      await c.write("/etc/nfdhcpd/nfdhcpd.conf", EDITED_CONF);
      await c.write("/etc/default/nfdhcpd", EDITED_DEFAULT);

      const cursor = await journalCursor(c);
      const upgrade = await aptInstall(c);
      assert.doesNotMatch(upgrade.stdout + upgrade.stderr, /downgrad|^E: /im, upgrade.stderr);
      const version = await c.exec(["dpkg-query", "-W", "-f", "${Version}", "nfdhcpd"]);
      assert.equal(version.stdout, VERSION);
      const compare = await c.exec(["dpkg", "--compare-versions", VERSION, "gt", GRNET_VERSION], {
        allowFailure: true,
      });
      assert.equal(compare.code, 0);

      // The operator's conffiles are theirs still; the init script, its links and the old
      // program's other files are gone; the ferm file they may include stays.
      assert.equal(await Deno.readTextFile(`${c.root}/etc/nfdhcpd/nfdhcpd.conf`), EDITED_CONF);
      assert.equal(await Deno.readTextFile(`${c.root}/etc/default/nfdhcpd`), EDITED_DEFAULT);
      const gone = await c.sh(
        "ls -d /etc/init.d/nfdhcpd /usr/bin/analyze_pcap 2>/dev/null || true; " + links,
      );
      assert.equal(gone.stdout.trim(), "", `left by the upgrade:\n${gone.stdout}`);
      await c.exec(["test", "-f", "/etc/ferm/nfdhcpd.ferm"]);

      // Ours runs, with DAEMON_OPTS, on the operator's configuration: datadir is a warning.
      const pid = await waitServing(c);
      // The PID is the container's own: read its command line inside.
      const argv = (await c.exec(["cat", `/proc/${pid}/cmdline`])).stdout.split("\0");
      assert.doesNotMatch(argv.join(" "), /sleep/, "the stand-in's daemon still runs");
      assert.deepEqual(argv.slice(-5), ["-f", "-c", "/etc/nfdhcpd/nfdhcpd.conf", "-d", ""]);
      const warnings = await waitFor("the datadir warning", async () => {
        const text = await journalAfter(c, cursor, "warning");
        return /datadir.*read as datapath/.test(text) ? text : undefined;
      }, { timeoutMs: 30_000, intervalMs: 250 });
      assert.doesNotMatch(warnings, /Cannot start/);

      await plugVm(c, VM1);
      await bindVm(c, VM1, "/var/lib/nfdhcpd");
      const lease = await waitLease(c, VM1);
      assert.deepEqual([lease.server, lease.leaseSeconds], ["10.7.0.1", 7200]);
      assert.match(await journalAfter(c, cursor, "debug"), /DEBUG: /, "-d from DAEMON_OPTS");

      // The switch: while it exists the service does not start (and is not failed).
      await c.exec(["touch", SWITCH]);
      await c.exec(["systemctl", "restart", "nfdhcpd"]);
      const held = await unitProperties(c, ["ActiveState", "ConditionResult", "Result"]);
      assert.deepEqual(held, { ActiveState: "inactive", ConditionResult: "no", Result: "success" });
      await c.exec(["rm", SWITCH]);
      await c.exec(["systemctl", "start", "nfdhcpd"]);
      await waitServing(c);
    }),
});
