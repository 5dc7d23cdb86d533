/**
 * The Debian package, for real: `make deb`, then dpkg -i into a throw-away copy-on-write view of
 * this host (the host's package database is never touched), every installed path and owner, the
 * installed nfdhcpd's --version and check, the installed daemon serving udhcpc from a binding the
 * installed Ganeti hook wrote, then dpkg --purge and nothing left. Root; a few minutes (lintian).
 */

import assert from "node:assert/strict";
import { VERSION } from "../../src/version.ts";
import { runUdhcpc } from "../../lab/clients.ts";
import { withLab } from "../../lab/netns.ts";
import { ThrowAwayRoot } from "../../lab/package_root.ts";
import { REPO_ROOT, requireCommands, requireRoot, run, waitFor } from "../../lab/proc.ts";

/** Paths the package must install: owner:group, octal mode, and the path (as `stat -c` prints). */
function expectedPaths(compiled: boolean): string[] {
  const daemon = compiled ? [] : [
    "root:root 755 /usr/lib/nfdhcpd/deno",
    "root:root 644 /usr/lib/nfdhcpd/nfdhcpd.js",
  ];
  const firewall = ["nfdhcpd.rules.v4", "nfdhcpd.rules.v6", "nfdhcpd.ferm"].map((f) =>
    `root:root 644 /usr/share/nfdhcpd/firewall/${f}`
  );
  return [
    "root:root 755 /usr/sbin/nfdhcpd",
    ...daemon,
    "root:root 644 /etc/nfdhcpd/nfdhcpd.conf",
    "root:root 644 /etc/default/nfdhcpd",
    "root:root 644 /etc/logrotate.d/nfdhcpd",
    "root:root 644 /lib/systemd/system/nfdhcpd.service",
    ...firewall,
    "root:root 755 /usr/share/nfdhcpd/firewall/nfdhcpd.nft",
    "root:root 755 /usr/share/nfdhcpd/firewall/nfdhcpd-limit.nft",
    "root:root 644 /usr/share/nfdhcpd/hooks/binding.sh",
    "root:root 755 /usr/share/nfdhcpd/hooks/ganeti-kvm-ifup",
    "root:root 755 /usr/share/nfdhcpd/hooks/libvirt-qemu",
    "root:root 755 /usr/share/nfdhcpd/hooks/opennebula-vnm",
    "nfdhcpd:nfdhcpd 755 /var/lib/nfdhcpd",
  ];
}

/** What Ganeti's KVM ifup exports for the lab's VM (see tests/contrib/ganeti_test.ts). */
const GANETI_NIC = {
  INSTANCE: "vm1.example.org",
  MAC: "52:54:00:12:34:01",
  MODE: "routed",
  INTERFACE: "tap0",
  INTERFACE_INDEX: "0",
  TAGS: "",
  IP: "10.7.0.10",
  NETWORK_SUBNET: "10.7.0.0/24",
  NETWORK_GATEWAY: "10.7.0.1",
};

Deno.test({
  name: "package: make deb, dpkg -i in a throw-away root, serve udhcpc, purge leaves nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    requireRoot();
    requireCommands(["dpkg-deb", "dh", "lintian", "unshare", "nsenter", "udhcpc"]);
    const started = Date.now();
    const built = await run(["make", "-C", REPO_ROOT, "--no-print-directory", "deb"], {
      timeoutMs: 600_000,
    });
    const arch = (await run(["dpkg", "--print-architecture"])).stdout.trim();
    const deb = `${REPO_ROOT}/bin/nfdhcpd_${VERSION}_${arch}.deb`;
    assert.doesNotMatch(built.stdout + built.stderr, /^E: /m, "lintian reports errors");
    const compiled = await Deno.stat(`${REPO_ROOT}/bin/nfdhcpd`).then(() => true, () => false);
    const builtMs = Date.now() - started;

    await withLab({ vms: [{ name: "vm1", tap: "tap0" }] }, async (lab) => {
      await using root = await ThrowAwayRoot.create(`${lab.dir}-root`);
      const inside = (cmd: string[], timeoutMs = 60_000) => root.exec(cmd, { timeoutMs });
      // The throw-away root has a /tmp of its own (and the tree may live under the host's /tmp).
      await root.outside(["cp", deb, `${root.merged}/tmp/nfdhcpd.deb`]);
      const installed = await inside(["dpkg", "-i", "/tmp/nfdhcpd.deb"], 300_000);
      assert.doesNotMatch(installed.stderr, /error/i, installed.stderr);

      // Every path, its owner and mode; the user; the conffiles; the unit and the config.
      const stat = await inside([
        "stat",
        "-c",
        "%U:%G %a %n",
        ...expectedPaths(compiled).map((l) => l.split(" ")[2] ?? ""),
      ]);
      assert.deepEqual(stat.stdout.trim().split("\n"), expectedPaths(compiled));
      const user = (await inside(["getent", "passwd", "nfdhcpd"])).stdout.split(":");
      assert.ok(Number(user[2]) < 1000, `nfdhcpd is not a system user: ${user.join(":")}`);
      await inside(["getent", "group", "nfdhcpd"]);
      const conffiles = await inside(["dpkg-query", "-W", "-f", "${Conffiles}", "nfdhcpd"]);
      for (
        const f of ["/etc/nfdhcpd/nfdhcpd.conf", "/etc/default/nfdhcpd", "/etc/logrotate.d/nfdhcpd"]
      ) {
        assert.match(conffiles.stdout, new RegExp(` ${f} [0-9a-f]{32}`), `${f} is not a conffile`);
      }
      const unit = (await inside(["cat", "/lib/systemd/system/nfdhcpd.service"])).stdout;
      assert.match(unit, /^ExecStart=\/usr\/sbin\/nfdhcpd -f -c \/etc\/nfdhcpd\/nfdhcpd\.conf /m);
      assert.match(unit, /^RuntimeDirectory=nfdhcpd$/m);
      assert.doesNotMatch(unit, /\/usr\/local\//, "the unit names a path outside the package");
      assert.match(
        (await inside(["cat", "/etc/nfdhcpd/nfdhcpd.conf"])).stdout,
        /^user = nfdhcpd /m,
      );
      if (!compiled) {
        const launcher = (await inside(["cat", "/usr/sbin/nfdhcpd"])).stdout;
        assert.match(
          launcher,
          /^exec env --block-signal=USR1 \/usr\/lib\/nfdhcpd\/deno run --no-prompt --allow-ffi .* \/usr\/lib\/nfdhcpd\/nfdhcpd\.js "\$@"$/m,
        );
      }

      // The installed program, on the installed configuration.
      assert.equal((await inside(["nfdhcpd", "--version"])).stdout.trim(), `nfdhcpd ${VERSION}`);
      const help = (await inside(["nfdhcpd", "help"])).stdout;
      const hasCheck = /^\s+check\s/m.test(help);
      if (hasCheck) await inside(["nfdhcpd", "check", "-c", "/etc/nfdhcpd/nfdhcpd.conf"]);

      // The installed Ganeti hook writes the binding where the installed configuration says.
      const ifup = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"];
      for (const [k, v] of Object.entries(GANETI_NIC)) ifup.push(`${k}=${v}`);
      await inside([...ifup, "/usr/share/nfdhcpd/hooks/ganeti-kvm-ifup", "tap0"]);
      if (hasCheck) await inside(["nfdhcpd", "check", "-c", "/etc/nfdhcpd/nfdhcpd.conf"]);

      // The installed daemon, as root in the hypervisor namespace: it drops to user nfdhcpd.
      await lab.addDhcp4Rule(42);
      const daemon = lab.spawn(
        root.argv(["nfdhcpd", "-f", "-d", "-c", "/etc/nfdhcpd/nfdhcpd.conf"]),
        lab.hv,
      );
      await waitFor("the installed nfdhcpd to be ready", () => {
        if (daemon.status !== null) throw new Error(`nfdhcpd exited:\n${daemon.stderr}`);
        return /\bready\b/i.test(daemon.stderr);
      }, { timeoutMs: 30_000 });
      const lease = await runUdhcpc(lab, lab.vm("vm1"));
      assert.equal(lease.lease?.address, GANETI_NIC.IP, `no lease:\n${daemon.stderr}`);
      assert.match(daemon.stderr, /nfdhcpd/);
      await daemon.stop(5000);

      // Purge: the hook's ifdown first (else the binding directory is not empty and stays).
      await inside([...ifup, "/usr/share/nfdhcpd/hooks/ganeti-kvm-ifup", "--down", "tap0"]);
      await inside(["dpkg", "--purge", "nfdhcpd"], 120_000);
      const left = await inside([
        "sh",
        "-c",
        "ls -d /etc/nfdhcpd /etc/default/nfdhcpd /etc/logrotate.d/nfdhcpd /usr/lib/nfdhcpd /usr/sbin/nfdhcpd /usr/share/nfdhcpd /var/lib/nfdhcpd /var/log/nfdhcpd /lib/systemd/system/nfdhcpd.service 2>/dev/null; grep -l '^nfdhcpd:' /etc/passwd /etc/group /etc/shadow /etc/gshadow; true",
      ]);
      assert.equal(left.stdout.trim(), "", `left after purge:\n${left.stdout}`);
      const written = await root.outside(["find", root.upper, "-name", "*nfdhcpd*"]);
      assert.equal(
        written.stdout.trim(),
        "",
        `files left in the throw-away root:\n${written.stdout}`,
      );
      console.log(
        `package: ${(await Deno.stat(deb)).size} bytes; make deb ${builtMs} ms, ` +
          `install + serve + purge ${Date.now() - started - builtMs} ms`,
      );
    });
  },
});
