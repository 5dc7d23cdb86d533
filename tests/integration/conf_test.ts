/** Root tests: the shipped systemd unit, logrotate file and firewall rules are valid for their tools. */
import assert from "node:assert/strict";
import { REPO_ROOT, requireCommands, requireRoot, run } from "../../lab/proc.ts";

const CONF = `${REPO_ROOT}/conf`;

/** Runs `cmd` (bounded in time); returns its exit code and its stdout and stderr together. */
async function exec(cmd: string[], stdin?: string): Promise<{ code: number; out: string }> {
  const r = await run(cmd, { allowFailure: true, stdin });
  return { code: r.code, out: r.stdout + r.stderr };
}

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "nfdhcpd-conf-" });
}

Deno.test("conf/nfdhcpd.service passes systemd-analyze verify", async () => {
  requireCommands(["systemd-analyze"]);
  // verify checks that ExecStart= exists: check a copy whose binary is one that does.
  const unit = Deno.readTextFileSync(`${CONF}/nfdhcpd.service`);
  const exec0 = /^ExecStart=(\S+) /m.exec(unit)?.[1];
  assert.equal(exec0, "/usr/local/sbin/nfdhcpd", "make install rewrites exactly this path");
  const dir = tempDir();
  try {
    Deno.writeTextFileSync(
      `${dir}/nfdhcpd.service`,
      unit.replaceAll("=/usr/local/sbin/nfdhcpd ", `=${Deno.execPath()} `),
    );
    const r = await exec(["systemd-analyze", "verify", `${dir}/nfdhcpd.service`]);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out, "", "no warnings either");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("conf/nfdhcpd.service keeps only CAP_NET_ADMIN and CAP_NET_RAW, as a notify service", () => {
  const unit = Deno.readTextFileSync(`${CONF}/nfdhcpd.service`);
  const settings = new Map<string, string>();
  for (const line of unit.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) settings.set(m[1]!, m[2]!);
  }
  assert.equal(settings.get("Type"), "notify");
  assert.match(settings.get("ExecStart") ?? "", / -f( |$)/, "foreground: no detach, no pidfile");
  assert.equal(settings.get("AmbientCapabilities"), "CAP_NET_ADMIN CAP_NET_RAW");
  assert.equal(settings.get("CapabilityBoundingSet"), "CAP_NET_ADMIN CAP_NET_RAW");
  assert.equal(settings.get("NoNewPrivileges"), "yes");
  assert.equal(settings.get("ProtectSystem"), "strict");
  assert.equal(settings.get("User"), "nfdhcpd");
  assert.equal(settings.has("MemoryDenyWriteExecute"), false, "V8 needs W+X pages");
  // Defence in depth against anything opening a network socket (Deno's inspector on SIGUSR1).
  assert.equal(settings.get("RestrictAddressFamilies"), "AF_UNIX AF_NETLINK AF_PACKET");
  assert.equal(settings.get("IPAddressDeny"), "any");
  assert.match(unit, /^SystemCallFilter=@system-service$/m);
});

Deno.test("conf/nfdhcpd.rules.v4 and .v6 load with iptables-restore into a namespace", async () => {
  requireRoot();
  requireCommands([
    "ip",
    "iptables-restore",
    "ip6tables-restore",
    "iptables-save",
    "ip6tables-save",
  ]);
  const ns = `nfdt-conf-${Deno.pid}`;
  await run(["ip", "netns", "add", ns]);
  try {
    const inNs = (cmd: string[]) => ["ip", "netns", "exec", ns, ...cmd];
    for (const [restore, file] of [["iptables-restore", "v4"], ["ip6tables-restore", "v6"]]) {
      const r = await exec(
        inNs([restore!, "--noflush"]),
        Deno.readTextFileSync(`${CONF}/nfdhcpd.rules.${file}`),
      );
      assert.equal(r.code, 0, `${restore} nfdhcpd.rules.${file}: ${r.out}`);
    }
    const rules = async (save: string) =>
      (await exec(inNs([save, "-t", "mangle"]))).out.split("\n").filter((l) => l.startsWith("-A"));
    assert.deepEqual(await rules("iptables-save"), [
      "-A PREROUTING -i tap+ -p udp -m udp --dport 67 -j NFQUEUE --queue-num 42 --queue-bypass",
      "-A PREROUTING -p udp -m physdev --physdev-in tap+ -m udp --dport 67 -j NFQUEUE --queue-num 42 --queue-bypass",
    ]);
    assert.deepEqual(await rules("ip6tables-save"), [
      "-A PREROUTING -i tap+ -p ipv6-icmp -m icmp6 --icmpv6-type 133 -j NFQUEUE --queue-num 43 --queue-bypass",
      "-A PREROUTING -i tap+ -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j NFQUEUE --queue-num 44 --queue-bypass",
      "-A PREROUTING -i tap+ -p udp -m udp --dport 547 -j NFQUEUE --queue-num 45 --queue-bypass",
    ]);
  } finally {
    await run(["ip", "netns", "del", ns]);
  }
});

Deno.test("conf/nfdhcpd.ferm gives the same rules through ferm", async () => {
  requireCommands(["ferm"]);
  const r = await exec(["ferm", "--noexec", "--lines", "--slow", `${CONF}/nfdhcpd.ferm`]);
  assert.equal(r.code, 0, r.out);
  const rules = r.out.split("\n").filter((l) => l.includes(" -A PREROUTING "))
    .map((l) => l.replace(/^\S+\/(ip6?tables)(-legacy|-nft)? /, "$1 "));
  assert.deepEqual(rules, [
    "iptables -t mangle -A PREROUTING --protocol udp --dport 67 --in-interface tap+ --jump NFQUEUE --queue-num 42 --queue-bypass",
    "iptables -t mangle -A PREROUTING --protocol udp --dport 67 --match physdev --physdev-in tap+ --jump NFQUEUE --queue-num 42 --queue-bypass",
    "ip6tables -t mangle -A PREROUTING --in-interface tap+ --protocol icmpv6 --icmpv6-type router-solicitation --jump NFQUEUE --queue-num 43 --queue-bypass",
    "ip6tables -t mangle -A PREROUTING --in-interface tap+ --protocol icmpv6 --icmpv6-type neighbour-solicitation --jump NFQUEUE --queue-num 44 --queue-bypass",
    "ip6tables -t mangle -A PREROUTING --in-interface tap+ --protocol udp --dport 547 --jump NFQUEUE --queue-num 45 --queue-bypass",
  ]);
});

Deno.test("conf/nfdhcpd.nft passes nft --check, or fails only for a kernel without the queue expression", async () => {
  requireRoot();
  requireCommands(["nft"]);
  const file = `${CONF}/nfdhcpd.nft`;
  const probe = await exec(
    ["nft", "-c", "-f", "-"],
    // Statements on lines of their own: nft 1.0.6 rejects `queue ...;` inside a one-line chain.
    "table inet nfdhcpd_probe {\n\tchain c {\n\t\ttype filter hook prerouting priority 0;\n" +
      "\t\tqueue num 1 bypass\n\t}\n}\n",
  );
  const r = await exec(["nft", "-c", "-f", file]);
  if (probe.code === 0) {
    assert.equal(r.code, 0, r.out);
    return;
  }
  // This kernel has no nft_queue: every error must be on a queue statement, and the file with the
  // queue statements turned into accept must pass.
  const errors = r.out.split("\n").filter((l) => l.includes("Error:"));
  assert.ok(errors.length > 0, r.out);
  assert.equal(
    r.out.split("\n").filter((l) => l.includes("Could not process rule")).length,
    4,
    r.out,
  );
  const queueLines = r.out.split("\n").filter((l) =>
    /^\s+iifname .* queue num \d+ bypass$/.test(l)
  );
  assert.equal(queueLines.length, 4, r.out);
  const dir = tempDir();
  try {
    const text = Deno.readTextFileSync(file);
    assert.equal(text.match(/queue num \d+ bypass/g)?.length, 4);
    Deno.writeTextFileSync(`${dir}/q.nft`, text.replaceAll(/queue num \d+ bypass/g, "accept"));
    const without = await exec(["nft", "-c", "-f", `${dir}/q.nft`]);
    assert.equal(without.code, 0, without.out);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("conf/nfdhcpd-limit.nft loads with nft into a namespace: one limit per TAP and protocol", async () => {
  requireRoot();
  requireCommands(["ip", "nft"]);
  const ns = `nfdt-conf-limit-${Deno.pid}`;
  await run(["ip", "netns", "add", ns]);
  try {
    const load = () => exec(["ip", "netns", "exec", ns, "nft", "-f", `${CONF}/nfdhcpd-limit.nft`]);
    const first = await load();
    assert.equal(first.code, 0, first.out);
    const again = await load();
    assert.equal(again.code, 0, `reloading must replace the tables: ${again.out}`);
    const listed = (await exec(["ip", "netns", "exec", ns, "nft", "list", "ruleset"])).out;
    const rules = listed.split("\n").map((l) => l.trim()).filter((l) => l.includes(" drop"));
    const perTap =
      "{ iifname limit rate over 10/second burst 50 packets } counter packets 0 bytes 0 drop";
    assert.deepEqual(rules, [
      `iifname "tap*" meta nfproto ipv4 udp dport 67 update @dhcp4 ${perTap}`,
      `iifname "tap*" icmpv6 type nd-router-solicit update @rs ${perTap}`,
      `iifname "tap*" icmpv6 type nd-neighbor-solicit update @ns ${perTap}`,
      `iifname "tap*" meta nfproto ipv6 udp dport 547 update @dhcp6 ${perTap}`,
      `iifname "tap*" ether type ip udp dport 67 update @dhcp4 ${perTap}`,
    ]);
    // Before iptables' mangle PREROUTING (-150) and br_netfilter (0): the excess never reaches a queue.
    assert.match(listed, /type filter hook prerouting priority mangle - 10; policy accept;/);
    assert.match(listed, /type filter hook prerouting priority dstnat; policy accept;/);
  } finally {
    await run(["ip", "netns", "del", ns]);
  }
});

Deno.test("conf/nfdhcpd.logrotate parses with logrotate", async () => {
  requireCommands(["logrotate"]);
  const dir = tempDir();
  try {
    const r = await exec([
      "logrotate",
      "--debug",
      "--state",
      `${dir}/state`,
      `${CONF}/nfdhcpd.logrotate`,
    ]);
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /error/i);
    assert.match(r.out, /rotating pattern: \/var\/log\/nfdhcpd\/nfdhcpd\.log\s+weekly/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("make install puts every file under DESTDIR and PREFIX, keeping an existing config", async () => {
  requireCommands(["make", "systemd-analyze"]);
  const dir = tempDir();
  try {
    const fake = `${dir}/nfdhcpd-binary`;
    Deno.writeTextFileSync(fake, "#!/bin/sh\nexit 0\n");
    Deno.chmodSync(fake, 0o755);
    const dest = `${dir}/root`;
    const install = (...vars: string[]) =>
      exec([
        "make",
        "-s",
        "-C",
        REPO_ROOT,
        "install",
        `DESTDIR=${dest}`,
        `BINARY=${fake}`,
        ...vars,
      ]);
    const first = await install("PREFIX=/usr");
    assert.equal(first.code, 0, `make install failed:\n${first.out}`);
    const installed = (() => {
      try {
        return Deno.statSync(dest).isDirectory;
      } catch {
        return false;
      }
    })();
    assert.ok(installed, `make install installed nothing: is its recipe in the Makefile?`);
    const files = [
      ["usr/sbin/nfdhcpd", 0o755],
      ["etc/nfdhcpd/nfdhcpd.conf", 0o644],
      ["etc/logrotate.d/nfdhcpd", 0o644],
      ["usr/lib/systemd/system/nfdhcpd.service", 0o644],
      ["usr/share/nfdhcpd/firewall/nfdhcpd.rules.v4", 0o644],
      ["usr/share/nfdhcpd/firewall/nfdhcpd.rules.v6", 0o644],
      ["usr/share/nfdhcpd/firewall/nfdhcpd.ferm", 0o644],
      ["usr/share/nfdhcpd/firewall/nfdhcpd.nft", 0o755],
      ["usr/share/nfdhcpd/firewall/nfdhcpd-limit.nft", 0o755],
    ] as const;
    for (const [file, mode] of files) {
      assert.equal(Deno.statSync(`${dest}/${file}`).mode! & 0o777, mode, file);
    }
    // The compiled daemon sits in LIBDIR behind a launcher that starts it with SIGUSR1 blocked
    // (else the inspector guard executes it a second time).
    assert.equal(Deno.readTextFileSync(`${dest}/usr/lib/nfdhcpd/nfdhcpd`), "#!/bin/sh\nexit 0\n");
    assert.match(
      Deno.readTextFileSync(`${dest}/usr/sbin/nfdhcpd`),
      /^exec env --block-signal=USR1 \/usr\/lib\/nfdhcpd\/nfdhcpd "\$@"$/m,
    );
    const unit = Deno.readTextFileSync(`${dest}/usr/lib/systemd/system/nfdhcpd.service`);
    assert.match(
      unit,
      /^ExecStart=\/usr\/sbin\/nfdhcpd -f -c \/etc\/nfdhcpd\/nfdhcpd.conf \$NFDHCPD_OPTS \$DAEMON_OPTS$/m,
    );
    // The installed unit verifies once its ExecStart= is looked up inside DESTDIR.
    Deno.writeTextFileSync(
      `${dir}/nfdhcpd.service`,
      unit.replaceAll("=/usr/sbin/nfdhcpd ", `=${dest}/usr/sbin/nfdhcpd `),
    );
    const verify = await exec(["systemd-analyze", "verify", `${dir}/nfdhcpd.service`]);
    assert.equal(verify.code, 0, verify.out);

    Deno.writeTextFileSync(`${dest}/etc/nfdhcpd/nfdhcpd.conf`, "# edited by the admin\n");
    const again = await install("PREFIX=/usr");
    assert.equal(again.code, 0, again.out);
    assert.equal(
      Deno.readTextFileSync(`${dest}/etc/nfdhcpd/nfdhcpd.conf`),
      "# edited by the admin\n",
    );
    assert.equal(
      Deno.readTextFileSync(`${dest}/etc/nfdhcpd/nfdhcpd.conf.dist`),
      Deno.readTextFileSync(`${CONF}/nfdhcpd.conf`),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
