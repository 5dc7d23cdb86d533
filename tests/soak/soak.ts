/**
 * `make soak` (not part of `make test`): one daemon for SOAK_SECONDS (default 180) with the shipped
 * firewall rules, real clients in four VMs (dhclient, udhcpc, rdisc6, dhclient -6 -S) asking again
 * and again, binding files created, rewritten and deleted, and TAPs added and removed. Fails when
 * the daemon dies, a client stops getting answers, or the daemon's resident memory grows by more
 * than RSS_GROWTH_LIMIT_KB from the end of the warm-up to the end.
 *
 * Run as root: `make soak [SOAK_SECONDS=600]`, or
 * `NFDHCPD_CMD=... deno run --allow-all tests/soak/soak.ts [seconds]`.
 */

import { runDhclient, runUdhcpc } from "../../lab/clients.ts";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import { runDhclient6, runRdisc6, waitForLinkLocal } from "../../lab/ipv6_clients.ts";
import { type Lab, type Vm, withLab } from "../../lab/netns.ts";
import { REPO_ROOT, requireCommands, run } from "../../lab/proc.ts";
import { churnBindings, type ChurnCounts, churnTaps } from "./churn.ts";

const CONF = `${REPO_ROOT}/conf`;
/** Memory growth that fails the soak: the median of the last three samples against the median of
 * the first three after the warm-up. V8's heap breathes by a few MB between collections; a leak
 * per request or per binding change grows without bound over thousands of them. */
const RSS_GROWTH_LIMIT_KB = 16 * 1024;
/** A client that fails this many times in a row has stopped getting answers. */
const MAX_FAILURE_STREAK = 3;
const SAMPLE_EVERY_MS = 5000;

/** How one client fared. */
interface ClientStats {
  readonly name: string;
  runs: number;
  ok: number;
  streak: number;
  longestStreak: number;
}

/** One memory sample: seconds since the start and VmRSS in kB. */
interface RssSample {
  readonly at: number;
  readonly kb: number;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The daemon's VmRSS in kB (from /proc/PID/status). */
function readRssKb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
}

/** The daemon's process id: the process in the hypervisor namespace whose command names nfdhcpd
 * (in the foreground it writes no pid file; `ip netns exec` execs it in place). */
async function daemonPid(lab: Lab): Promise<number> {
  const { stdout } = await run(["ip", "netns", "pids", lab.hv]);
  const pids = stdout.split("\n").map(Number).filter((pid) => pid > 0).filter((pid) => {
    const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
    return cmdline.includes("nfdhcpd");
  });
  if (pids.length !== 1) throw new Error(`Cannot tell the daemon's pid among ${pids.join(", ")}`);
  return pids[0]!;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Runs `attempt` again and again (a second apart, a client's pace) until `stop()`. */
async function clientLoop(
  stats: ClientStats,
  attempt: () => Promise<boolean>,
  stop: () => boolean,
): Promise<void> {
  while (!stop()) {
    const ok = await attempt().catch((error) => {
      console.error(`${stats.name}: ${error instanceof Error ? error.message : error}`);
      return false;
    });
    stats.runs++;
    if (ok) {
      stats.ok++;
      stats.streak = 0;
    } else {
      stats.streak++;
      stats.longestStreak = Math.max(stats.longestStreak, stats.streak);
    }
    await delay(1000);
  }
}

/** The four VMs' binding files: DHCPv4 and IPv6 (SLAAC + stateless DHCPv6) for each. */
async function writeVmBindings(lab: Lab): Promise<void> {
  for (const [n, vm] of lab.vms.entries()) {
    await lab.writeBinding(vm.tap, {
      HOSTNAME: `${vm.name}.example.test`,
      INDEV: vm.tap,
      MAC: vm.mac,
      IP: `10.60.${n}.10`,
      SUBNET: `10.60.${n}.0/24`,
      GATEWAY: `10.60.${n}.1`,
      SUBNET6: `2001:db8:60:${n}::/64`,
      GATEWAY6: `2001:db8:60:${n}::1`,
    });
  }
}

/** Loads the shipped rules: the queues (iptables, ip6tables) and the per-TAP limit (nft). */
async function loadShippedRules(lab: Lab): Promise<void> {
  for (const [restore, file] of [["iptables-restore", "v4"], ["ip6tables-restore", "v6"]]) {
    await run([restore!, "--noflush"], {
      ns: lab.hv,
      stdin: Deno.readTextFileSync(`${CONF}/nfdhcpd.rules.${file}`),
    });
  }
  await run(["nft", "-f", `${CONF}/nfdhcpd-limit.nft`], { ns: lab.hv });
}

async function soak(seconds: number): Promise<boolean> {
  requireCommands(["ip", "iptables-restore", "ip6tables-restore", "nft", "dhclient", "udhcpc"]);
  requireCommands(["rdisc6"]);
  const warmup = Math.min(30, Math.max(10, seconds / 6));
  return await withLab({
    vms: [
      { name: "dhclient", tap: "tap0" },
      { name: "udhcpc", tap: "tap1" },
      { name: "rdisc6", tap: "tap2" },
      { name: "dhclient6", tap: "tap3" },
    ],
  }, async (lab) => {
    await writeVmBindings(lab);
    await loadShippedRules(lab);
    const config = await lab.writeConfig(daemonConfig(lab, {
      serverIp: "10.60.255.1",
      nameservers: ["198.51.100.53"],
      domain: "example.test",
      ipv6: {
        enable_ipv6: true,
        mode: "slaac+dhcpv6",
        rs_queue: 43,
        ns_queue: 44,
        dhcpv6_queue: 45,
        nameservers: ["2001:db8:53::1"],
        domains: ["example.test"],
        ra_period: 10,
      },
    }));
    const daemon = await Daemon.start(lab, { config, debug: false });
    const pid = await daemonPid(lab);
    for (const vm of lab.vms) await waitForLinkLocal(vm.ns, vm.iface, 10_000);

    const started = Date.now();
    const end = started + seconds * 1000;
    const stop = () => Date.now() >= end || daemon.status !== null;
    const [v4a, v4b, ra, v6] = lab.vms as [Vm, Vm, Vm, Vm];
    const attempts: [Vm, () => Promise<boolean>][] = [
      [v4a, async () => (await runDhclient(lab, v4a, { timeoutSec: 5 })).lease !== null],
      [v4b, async () => (await runUdhcpc(lab, v4b, { timeoutSec: 5 })).lease !== null],
      [ra, async () => (await runRdisc6(ra, 3, 1000)).advert !== null],
      [
        v6,
        async () => (await runDhclient6(lab, v6, { stateless: true, timeoutSec: 5 })).vars !== null,
      ],
    ];
    const clients = attempts.map(([vm, attempt]): [ClientStats, () => Promise<boolean>] => [
      { name: vm.name, runs: 0, ok: 0, streak: 0, longestStreak: 0 },
      attempt,
    ]);
    const counts: ChurnCounts = { written: 0, deleted: 0, tapsAdded: 0, tapsRemoved: 0 };
    const samples: RssSample[] = [];
    const sampler = (async () => {
      while (!stop()) {
        samples.push({ at: (Date.now() - started) / 1000, kb: readRssKb(pid) });
        await delay(Math.min(SAMPLE_EVERY_MS, Math.max(1, end - Date.now())));
      }
      if (daemon.status === null) {
        samples.push({ at: (Date.now() - started) / 1000, kb: readRssKb(pid) });
      }
    })();
    await Promise.all([
      ...clients.map(([stats, attempt]) => clientLoop(stats, attempt, stop)),
      churnBindings(lab, 32, 20, stop, counts),
      churnTaps(lab, 8, 250, stop, counts),
      sampler,
    ]);

    const failures: string[] = [];
    if (daemon.status !== null) {
      failures.push(`nfdhcpd died (exit ${daemon.status.code}):\n${daemon.log.slice(-4000)}`);
    }
    for (const [s] of clients) {
      console.log(
        `${s.name}: ${s.ok}/${s.runs} runs answered, longest failure streak ` +
          `${s.longestStreak}`,
      );
      if (s.runs === 0 || s.longestStreak >= MAX_FAILURE_STREAK || s.streak > 0) {
        failures.push(
          `${s.name} stopped getting answers (${s.ok}/${s.runs}, ` +
            `${s.longestStreak} failures in a row, ${s.streak} at the end)`,
        );
      }
    }
    console.log(
      `churn: ${counts.written} binding writes, ${counts.deleted} deletes, ` +
        `${counts.tapsAdded} TAPs added, ${counts.tapsRemoved} removed`,
    );
    const measured = samples.filter((s) => s.at >= warmup);
    const first = median(measured.slice(0, 3).map((s) => s.kb));
    const last = median(measured.slice(-3).map((s) => s.kb));
    const peak = Math.max(...measured.map((s) => s.kb));
    console.log(
      `VmRSS after ${warmup} s warm-up ${first} kB, at the end ${last} kB ` +
        `(growth ${last - first} kB, limit ${RSS_GROWTH_LIMIT_KB} kB), peak ${peak} kB; samples: ` +
        measured.map((s) => `${s.at.toFixed(0)}s=${s.kb}`).join(" "),
    );
    if (measured.length < 6) failures.push(`too few memory samples (${measured.length})`);
    if (!(last - first <= RSS_GROWTH_LIMIT_KB)) {
      failures.push(`VmRSS grew by ${last - first} kB (limit ${RSS_GROWTH_LIMIT_KB} kB)`);
    }
    for (const f of failures) console.error(`FAIL: ${f}`);
    console.log(failures.length === 0 ? "soak passed" : "soak FAILED");
    return failures.length === 0;
  });
}

if (import.meta.main) {
  const seconds = Number(Deno.args[0] ?? Deno.env.get("SOAK_SECONDS") ?? 180);
  if (!(seconds >= 60)) {
    console.error("soak: seconds must be a number, at least 60 (warm-up and samples)");
    Deno.exit(2);
  }
  Deno.exit(await soak(seconds) ? 0 : 1);
}
