/** Root tests of the daemon's lifecycle: detach and pidfile, dropping root, signals, log rotation. */
import assert from "node:assert/strict";
import { currentCapabilities, formatCapabilities, lookupAccount } from "../../ffi/privileges.ts";
import { runUdhcpc } from "../../lab/clients.ts";
import { Daemon, daemonCommand, daemonConfig } from "../../lab/daemon.ts";
import type { IniSections } from "../../lab/lab_files.ts";
import { type Lab, type Vm, withLab } from "../../lab/netns.ts";
import { requireCommands, run, setprivAs, waitFor } from "../../lab/proc.ts";
import { alive, pidIn, startDetached, terminate } from "../../lab/detached.ts";

const SERVER_IP = "10.20.0.1";
const DOMAIN = "example.test";
const FIRST_DNS = ["198.51.100.1"];
const SECOND_DNS = ["198.51.100.2", "198.51.100.3"];

/** The lab's config: DHCPv4 on queue 42 with `nameservers`, IPv6 off; `general` keys override. */
function config(lab: Lab, nameservers: readonly string[], general: IniSections[string] = {}) {
  const base = daemonConfig(lab, { serverIp: SERVER_IP, nameservers, domain: DOMAIN });
  return { ...base, general: { ...base.general, ...general } };
}

/** Binds `vm` to 10.20.`n`.10/24. */
async function bind(lab: Lab, vm: Vm, n: number): Promise<void> {
  await lab.writeBinding(vm.tap, {
    HOSTNAME: `vm${n}.${DOMAIN}`,
    INDEV: vm.tap,
    MAC: vm.mac,
    IP: `10.20.${n}.10`,
    SUBNET: `10.20.${n}.0/24`,
    GATEWAY: `10.20.${n}.1`,
  });
}

/** Runs udhcpc in `vm`; returns the nameservers it was given (null: no lease). */
async function nameserversServed(lab: Lab, vm: Vm, log: () => string): Promise<string[] | null> {
  const result = await runUdhcpc(lab, vm, { timeoutSec: 4 });
  if (result.lease === null) return null;
  assert.equal(result.lease.address, `10.20.${vm.tap.slice(3)}.10`, `${result.log}\n${log()}`);
  return result.lease.dns;
}

/** Runs `body` in a fresh lab with two VMs (tap1, tap2) and the DHCP rule; checks nothing is left. */
async function withBoundLab(body: (lab: Lab, vms: Vm[]) => Promise<void>): Promise<void> {
  requireCommands(["udhcpc"]);
  const vms = [{ name: "vm1", tap: "tap1" }, { name: "vm2", tap: "tap2" }];
  await withLab({ vms }, async (lab) => {
    await lab.addDhcp4Rule();
    const vms = [lab.vm("vm1"), lab.vm("vm2")];
    for (const [i, vm] of vms.entries()) await bind(lab, vm, i + 1);
    await body(lab, vms);
  });
}

Deno.test("SIGHUP with a changed config changes what is served; a broken one keeps it", async () => {
  await withBoundLab(async (lab, [vm1]) => {
    const path = await lab.writeConfig(config(lab, FIRST_DNS));
    const daemon = await Daemon.start(lab, { config: path });
    const log = () => daemon.log;
    assert.deepEqual(await nameserversServed(lab, vm1!, log), FIRST_DNS, log());

    await lab.writeConfig(config(lab, SECOND_DNS));
    let since = daemon.log.length;
    daemon.signal("SIGHUP");
    await daemon.waitForLog(/Configuration reloaded/, 10_000, since);
    assert.deepEqual(await nameserversServed(lab, vm1!, log), SECOND_DNS, log());

    Deno.writeTextFileSync(path, "[dhcp]\nlease_lifetime = forever\n");
    since = daemon.log.length;
    daemon.signal("SIGHUP");
    const failure = await daemon.waitForLog(/Reload failed.*\n/, 10_000, since);
    assert.match(failure, /lease_lifetime/, "the error names the key");
    assert.equal(daemon.status, null, "still running");
    assert.deepEqual(await nameserversServed(lab, vm1!, log), SECOND_DNS, log());
    assert.equal((await daemon.stop()).code, 0, log());
  });
});

Deno.test("SIGUSR2 logs every bound client", async () => {
  await withBoundLab(async (lab, vms) => {
    const daemon = await Daemon.start(lab, {
      config: await lab.writeConfig(config(lab, FIRST_DNS)),
    });
    const since = daemon.log.length;
    daemon.signal("SIGUSR2");
    const table = await daemon.waitForLog(
      /TAP +IFINDEX +MAC +IPV4 +IPV6 +HOSTNAME[^]*?tap2 .*\n/,
      10_000,
      since,
    );
    for (const [i, vm] of vms.entries()) {
      const n = i + 1;
      assert.match(
        table,
        new RegExp(`${vm.tap} +\\d+ +${vm.mac} +10\\.20\\.${n}\\.10 +- +vm${n}\\.${DOMAIN}`),
        table,
      );
    }
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});

/**
 * A DHCPDISCOVER flood: python3 writes the same broadcast frame from MAC argv[2] on a raw socket
 * bound to argv[1] for argv[3] seconds, argv[4] frames a second (0: as fast as it can).
 */
const FLOOD = `
import socket, struct, sys, time
iface, mac, seconds, pps = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
hw = bytes.fromhex(mac.replace(":", ""))
zero = bytes(4)
bootp = struct.pack("!4BIHH4s4s4s4s16s64s128sI", 1, 1, 6, 0, 0x6e666474, 0, 0x8000,
                    zero, zero, zero, zero, hw, b"", b"", 0x63825363)
bootp = (bootp + bytes([53, 1, 1, 255])).ljust(300, b"\\0")
udp = struct.pack("!4H", 68, 67, 8 + len(bootp), 0) + bootp
ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, zero, b"\\xff" * 4))
total = sum(struct.unpack("!10H", ip))
total = (total & 0xffff) + (total >> 16)
ip[10:12] = struct.pack("!H", ~total & 0xffff)
frame = b"\\xff" * 6 + hw + b"\\x08\\x00" + bytes(ip) + udp
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((iface, 0))
print("flooding", flush=True)
end = time.monotonic() + seconds
while time.monotonic() < end:
    for _ in range(64 if pps == 0 else 1):
        try:
            sock.send(frame)
        except OSError:
            pass  # ENOBUFS: the link is full, which is the point
    if pps > 0:
        time.sleep(1 / pps)
`;

/** One line of /proc/net/netfilter/nfnetlink_queue. */
interface KernelQueue {
  /** Packets waiting for their verdict. */
  readonly total: number;
  /** Packets the kernel dropped because the queue was full. */
  readonly dropped: number;
  /** Packets the kernel dropped because the daemon's socket buffer was full. */
  readonly userDropped: number;
  /** Packets queued so far (the last packet id). */
  readonly idSequence: number;
}

/**
 * Queue `num` as the kernel of the lab's hypervisor namespace sees it (the file is per
 * namespace), or null when no process binds it.
 */
async function kernelQueue(lab: Lab, num: number): Promise<KernelQueue | null> {
  const { stdout } = await run(["cat", "/proc/net/netfilter/nfnetlink_queue"], { ns: lab.hv });
  for (const line of stdout.split("\n")) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f[0] === num) {
      return { total: f[2]!, dropped: f[5]!, userDropped: f[6]!, idSequence: f[7]! };
    }
  }
  return null;
}

/** A queue for an assertion message. */
function formatQueue(q: KernelQueue | null): string {
  return q === null
    ? "gone"
    : `total ${q.total}, id ${q.idSequence}, dropped ${q.dropped}/${q.userDropped}`;
}

Deno.test("SIGTERM under load leaves no queued packet without a verdict and exits 0", async () => {
  requireCommands(["python3"]);
  await withBoundLab(async (lab, [vm1, vm2]) => {
    // vm1 floods its bound TAP (answered: DROP); vm2 trickles into an unbound one (ACCEPT).
    await lab.removeBinding(vm2!.tap);
    const daemon = await Daemon.start(lab, {
      config: await lab.writeConfig(config(lab, FIRST_DNS)),
      debug: false,
    });
    const flood = (vm: Vm, pps: number) =>
      lab.spawn(["python3", "-c", FLOOD, vm.iface, vm.mac, "5", `${pps}`], vm.ns);
    const queued = async (atLeast: number, empty = false) => {
      const q = await kernelQueue(lab, 42);
      return q !== null && q.idSequence >= atLeast && (!empty || q.total === 0);
    };
    // A full queue leaves the trickle little room: let some of it through before the flood.
    const flooders = [flood(vm2!, 1000)];
    const options = { timeoutMs: 5000, intervalMs: 20 };
    await waitFor("the trickle to pass queue 42", () => queued(10, true), options);
    flooders.push(flood(vm1!, 0));
    await waitFor("the flood to reach queue 42", () => queued(2000), options);
    const samples: KernelQueue[] = [];
    for (let i = 0; i < 10; i++) {
      const q = await kernelQueue(lab, 42);
      if (q !== null) samples.push(q);
    }
    const load = `queue 42 mid-flood: ${samples.map((q) => `${q.total}`).join(" ")} waiting; ` +
      `last: ${formatQueue(samples.at(-1) ?? null)}`;
    const flooding = () => flooders.every((f) => f.status === null);
    assert.ok(flooding(), `the flood runs at SIGTERM: ${flooders.map((f) => f.stderr).join("")}`);
    assert.ok(Math.max(...samples.map((q) => q.total)) <= 4096, `queue length 4096: ${load}`);

    const signalled = Date.now();
    const status = await daemon.stop(10_000);
    const why = `\n${load}\nexited in ${Date.now() - signalled} ms\n--- nfdhcpd log\n` +
      daemon.log.slice(-3000);
    assert.ok(flooding(), `the flood lasted through the shutdown${why}`);
    assert.equal(status.code, 0, `exit code${why}`);
    // The last line but "Stopped": nothing went wrong while closing.
    const released =
      /Released the queues after (\d+) packets, each with its verdict: (\d+) dropped \(answered or refused\), (\d+) passed on\n.*Stopped\n$/
        .exec(daemon.log);
    assert.ok(released, `no "Released the queues" line before "Stopped"${why}`);
    const [packets, dropped, accepted] = released.slice(1).map(Number) as [number, number, number];
    assert.equal(packets, dropped + accepted, `every packet has one verdict${why}`);
    assert.ok(dropped > 0 && accepted > 0, `both verdicts under load${why}`);
    const left = await waitFor("queue 42 to be released or empty", async () => {
      const q = await kernelQueue(lab, 42);
      return (q === null || q.total === 0) && { q };
    }, { timeoutMs: 2000 }).catch(async () => ({ q: await kernelQueue(lab, 42) }));
    assert.ok(left.q === null || left.q.total === 0, `after exit: ${formatQueue(left.q)}${why}`);
    for (const f of flooders) await f.stop(1000);
  });
});

Deno.test("without -f: detaches once ready, writes the pidfile, and SIGTERM exits 0 removing it", async () => {
  await withBoundLab(async (lab, [vm1]) => {
    const pidfile = `${lab.dir}/nfdhcpd.pid`;
    const path = await lab.writeConfig(config(lab, FIRST_DNS));
    const started = await startDetached(lab, path, pidfile);
    assert.equal(started.code, 0, started.output);
    const pid = started.pid;
    assert.ok(pid !== null && alive(pid), `pidfile ${pidfile}: ${pid}`);
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]!.split(" ");
    assert.equal(Number(stat[3]), pid, "the daemon leads its own session");
    const logFile = `${lab.dir}/nfdhcpd.log`;
    const log = () => Deno.readTextFileSync(logFile);
    assert.match(log(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO {5}/m, "the original's format");
    assert.deepEqual(await nameserversServed(lab, vm1!, log), FIRST_DNS, log());

    await terminate(pid, pidfile);
  });
});

Deno.test("without -f: a pidfile held by a live daemon is refused, a stale one is replaced", async () => {
  await withBoundLab(async (lab, [vm1]) => {
    const pidfile = `${lab.dir}/nfdhcpd.pid`;
    const path = await lab.writeConfig(config(lab, FIRST_DNS));

    const dead = new Deno.Command("true").spawn();
    await dead.status;
    Deno.writeTextFileSync(pidfile, `${dead.pid}\n`);
    const first = await startDetached(lab, path, pidfile);
    assert.equal(first.code, 0, first.output);
    assert.ok(first.pid !== null && first.pid !== dead.pid, "the stale pidfile was replaced");

    const second = await startDetached(lab, path, pidfile);
    assert.notEqual(second.code, 0);
    assert.match(second.output, new RegExp(`already running as pid ${first.pid}`));
    assert.equal(pidIn(pidfile), first.pid, "the pidfile is left alone");
    assert.ok(alive(first.pid!));
    const log = () => Deno.readTextFileSync(`${lab.dir}/nfdhcpd.log`);
    assert.deepEqual(await nameserversServed(lab, vm1!, log), FIRST_DNS, log());
  });
});

Deno.test("without -f: after logrotate renames the log, lines go to a new file", async () => {
  await withBoundLab(async (lab) => {
    const pidfile = `${lab.dir}/nfdhcpd.pid`;
    const started = await startDetached(
      lab,
      await lab.writeConfig(config(lab, FIRST_DNS)),
      pidfile,
    );
    assert.equal(started.code, 0, started.output);
    const logFile = `${lab.dir}/nfdhcpd.log`;
    Deno.renameSync(logFile, `${logFile}.1`);
    // The daemon checks the path at most once a second, when it logs: SIGUSR2 makes it log, so
    // ask again until a new file holds the table.
    const text = await waitFor("a new nfdhcpd.log with the client table", () => {
      try {
        const t = Deno.readTextFileSync(logFile);
        if (/TAP +IFINDEX/.test(t)) return t;
      } catch {
        // not reopened yet
      }
      Deno.kill(started.pid!, "SIGUSR2");
      return null;
    }, { timeoutMs: 10_000, intervalMs: 250 });
    assert.match(text, /tap1 /);
  });
});

Deno.test("from root with user = nobody: serves as nobody with only CAP_NET_ADMIN and CAP_NET_RAW", async () => {
  requireCommands(["setpriv"]);
  await withBoundLab(async (lab, [vm1]) => {
    // nobody must read the config and bindings, and write the pid and log dirs the daemon creates.
    for (const dir of [lab.dir, lab.datapath]) Deno.chmodSync(dir, 0o755);
    const pidfile = `${lab.dir}/run/nfdhcpd.pid`;
    const logdir = `${lab.dir}/log`;
    const path = await lab.writeConfig(
      config(lab, FIRST_DNS, { user: "nobody", pidfile, logdir }),
    );
    const started = await startDetached(lab, path, pidfile);
    assert.equal(started.code, 0, started.output);
    const pid = started.pid!;
    const nobody = lookupAccount("nobody");
    assert.equal(Deno.statSync(`${lab.dir}/run`).uid, nobody.uid);
    const threads = currentCapabilities(pid);
    assert.ok(threads.length > 1);
    for (const t of threads) {
      assert.deepEqual(t.uids, [nobody.uid, nobody.uid, nobody.uid, nobody.uid], `thread ${t.tid}`);
      for (const mask of [t.effective, t.permitted, t.bounding]) {
        assert.equal(formatCapabilities(mask), "0000000000003000", `thread ${t.tid}`);
      }
    }
    const log = () => Deno.readTextFileSync(`${logdir}/nfdhcpd.log`);
    assert.deepEqual(await nameserversServed(lab, vm1!, log), FIRST_DNS, log());
    await terminate(pid, pidfile);
  });
});

Deno.test("as systemd starts it (-f, User=nobody, ambient capabilities): serves without re-executing", async () => {
  requireCommands(["setpriv"]);
  await withBoundLab(async (lab, [vm1]) => {
    for (const dir of [lab.dir, lab.datapath]) Deno.chmodSync(dir, 0o755);
    const nobody = lookupAccount("nobody");
    const caps = "-all,+net_admin,+net_raw";
    const path = await lab.writeConfig(config(lab, FIRST_DNS, { user: "nobody" }));
    const proc = lab.spawn(
      [...setprivAs(nobody, caps), ...daemonCommand(), "-f", "-c", path],
      lab.hv,
    );
    await waitFor("nfdhcpd to be ready", () => {
      if (proc.status !== null) throw new Error(`nfdhcpd exited:\n${proc.stderr}`);
      return /\bready\b/i.test(proc.stderr);
    }, { timeoutMs: 20_000 });
    assert.deepEqual(await nameserversServed(lab, vm1!, () => proc.stderr), FIRST_DNS, proc.stderr);
    const status = await proc.stop(5000);
    assert.equal(status.code, 0, proc.stderr);
  });
});
