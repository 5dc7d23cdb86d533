/**
 * Fairness under flood: two VMs flood DHCPDISCOVERs far above what the daemon answers while a third
 * VM keeps getting leases, with the shipped rules (nfdhcpd.rules.v4 and nfdhcpd-limit.nft). The
 * same flood without the per-TAP limit is measured and printed beside it.
 */

import assert from "node:assert/strict";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import { type Lab, type Vm, withLab } from "../../lab/netns.ts";
import { REPO_ROOT, requireCommands, run, waitFor } from "../../lab/proc.ts";

const SERVER_IP = "10.30.0.1";
const CONF = `${REPO_ROOT}/conf`;
/** How long each flood lasts. */
const FLOOD_SECONDS = 8;
/** Exchanges each flooder keeps in flight, and how soon it gives one up: with the limit in front,
 * nearly all time out, so each flooder offers about 256 / 5 ms = 50,000 DISCOVERs a second. */
const FLOOD_CONCURRENCY = 256;
const FLOOD_TIMEOUT_MS = 5;
/** The victim's pace: a new lease attempt every 200 ms, a real client's worst case many times over
 * but within the per-TAP limit (each attempt is a DISCOVER and a REQUEST). */
const VICTIM_INTERVAL_MS = 200;
/** A victim attempt fails when its DISCOVER or REQUEST has no answer within this. */
const VICTIM_TIMEOUT_S = 1;

/** The IPv4 address bound to the VM with index `n`. */
function vmAddress(n: number): string {
  return `10.30.${n}.10`;
}

/** Builds bench/loadgen.c (the flooder) into `dir`. */
async function buildLoadgen(dir: string): Promise<string> {
  requireCommands(["cc"]);
  const out = `${dir}/loadgen`;
  await run(["cc", "-O2", "-o", out, `${REPO_ROOT}/bench/loadgen.c`, "-lm"], { timeoutMs: 60_000 });
  return out;
}

/** loadgen's options for the one client `vm` (its eth0, MAC and bound address). */
function clientArgs(vm: Vm, n: number): string[] {
  return [
    ...["--ifprefix", "eth", "--first", "0", "--count", "1"],
    ...["--mac-base", vm.mac, "--ip-base", vmAddress(n), "--server-id", SERVER_IP],
  ];
}

/**
 * One lease attempt by the victim, as a real client at boot: busybox udhcpc sends one DISCOVER and
 * one REQUEST (-t 1), each given up after 1 s (-T 1) without retransmission; the script does
 * nothing. Returns the run's wall time in ms (udhcpc's start included), or null without a lease.
 */
async function leaseAttempt(vm: Vm): Promise<number | null> {
  const begun = performance.now();
  const r = await run(
    [
      "udhcpc",
      "-f",
      "-q",
      "-n",
      "-i",
      vm.iface,
      "-s",
      "/bin/true",
      "-t",
      "1",
      "-T",
      `${VICTIM_TIMEOUT_S}`,
    ],
    { ns: vm.ns, allowFailure: true, timeoutMs: 10_000 },
  );
  return r.code === 0 ? performance.now() - begun : null;
}

/** What the victim saw during one flood. */
export interface VictimStats {
  readonly attempts: number;
  readonly succeeded: number;
  /** Milliseconds to a lease, over the successful attempts. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** DISCOVERs and REQUESTs the flooders sent (both together), and how many a second. */
  readonly floodPackets: number;
  readonly floodRate: number;
  /** Requests the kernel dropped at the full queue meanwhile. */
  readonly queueDropped: number;
}

/** The `q` quantile (0..1) of `sorted` (ascending); NaN when empty. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Packets the hypervisor side of `tap` has received so far. */
async function tapRxPackets(lab: Lab, tap: string): Promise<number> {
  const r = await run(["cat", `/sys/class/net/${tap}/statistics/rx_packets`], { ns: lab.hv });
  return Number(r.stdout.trim());
}

/** Runs the flooders (none: an idle baseline) for `seconds` while the victim tries to get leases. */
async function floodAndMeasure(
  lab: Lab,
  loadgen: string,
  flooders: readonly [Vm, number][],
  victim: Vm,
  seconds: number,
): Promise<VictimStats> {
  const rxBefore = await Promise.all(flooders.map(([vm]) => tapRxPackets(lab, vm.tap)));
  const queueDropsBefore = await queueDrops(lab);
  const started = Date.now();
  const floods = flooders.map(([vm, n]) =>
    lab.spawn([
      loadgen,
      ...["--mode", "dora", ...clientArgs(vm, n)],
      ...["--concurrency", `${FLOOD_CONCURRENCY}`, "--timeout-ms", `${FLOOD_TIMEOUT_MS}`],
      ...["--duration", `${seconds}`, "--warmup", "0"],
    ], vm.ns)
  );
  const latencies: number[] = [];
  let attempts = 0;
  try {
    while (Date.now() - started < seconds * 1000 && floods.every((f) => f.status === null)) {
      const begun = Date.now();
      const ms = await leaseAttempt(victim);
      attempts++;
      if (ms !== null) latencies.push(ms);
      // A client's pace, not a wait for a condition: the next attempt starts 200 ms after this one.
      const pause = VICTIM_INTERVAL_MS - (Date.now() - begun);
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    }
    for (const f of floods) {
      const status = await f.waitExit((seconds + 10) * 1000);
      assert.equal(status?.code, 0, `flooder ${f.argv.join(" ")}:\n${f.stderr}`);
    }
  } finally {
    for (const f of floods) await f.stop(1000);
  }
  const elapsed = (Date.now() - started) / 1000;
  const rxAfter = await Promise.all(flooders.map(([vm]) => tapRxPackets(lab, vm.tap)));
  const sent = rxAfter.reduce((sum, rx, i) => sum + rx - (rxBefore[i] ?? 0), 0);
  latencies.sort((a, b) => a - b);
  return {
    attempts,
    succeeded: latencies.length,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    floodPackets: sent,
    floodRate: Math.round(sent / elapsed),
    queueDropped: await queueDrops(lab) - queueDropsBefore,
  };
}

/** One line of the measurement, as the README quotes it. */
function describe(label: string, s: VictimStats): string {
  const rate = (100 * s.succeeded / Math.max(1, s.attempts)).toFixed(1);
  return `${label}: victim ${s.succeeded}/${s.attempts} leases (${rate} %), ` +
    `p50 ${s.p50Ms.toFixed(1)} ms, p99 ${s.p99Ms.toFixed(1)} ms; flood ${s.floodRate} packets/s, ` +
    `${s.queueDropped} dropped at the full queue`;
}

/** Waits (bounded) until the victim gets a lease again: the daemon has worked off a flood. */
async function waitUntilServed(victim: Vm): Promise<void> {
  await waitFor("the victim to get a lease", async () => {
    return (await leaseAttempt(victim)) !== null;
  }, { timeoutMs: 20_000 });
}

/** Requests the kernel dropped on queue 42 so far (queue full, or the daemon's socket full). */
async function queueDrops(lab: Lab): Promise<number> {
  const r = await run(["cat", "/proc/net/netfilter/nfnetlink_queue"], { ns: lab.hv });
  const fields = r.stdout.split("\n").map((l) => l.trim().split(/\s+/).map(Number))
    .find((f) => f[0] === 42);
  return (fields?.[5] ?? 0) + (fields?.[6] ?? 0);
}

/** Packets the per-TAP limit dropped on the DHCPv4 rule so far. */
async function limitDrops(lab: Lab): Promise<number> {
  const r = await run(["nft", "list", "chain", "inet", "nfdhcpd_limit", "prerouting"], {
    ns: lab.hv,
  });
  const line = r.stdout.split("\n").find((l) => l.includes("udp dport 67"));
  return Number(/counter packets (\d+)/.exec(line ?? "")?.[1] ?? NaN);
}

Deno.test({
  name:
    "a VM keeps getting leases while two others flood DISCOVERs, with the shipped per-TAP limit",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    requireCommands(["nft", "iptables-restore", "udhcpc"]);
    await withLab({
      vms: [
        { name: "flood1", tap: "tap1" },
        { name: "flood2", tap: "tap2" },
        { name: "victim", tap: "tap3" },
      ],
    }, async (lab) => {
      const loadgen = await buildLoadgen(lab.dir);
      const [flood1, flood2, victimVm] = lab.vms as [Vm, Vm, Vm];
      for (const [vm, n] of [[flood1, 1], [flood2, 2], [victimVm, 3]] as const) {
        await lab.writeBinding(vm.tap, {
          HOSTNAME: vm.name,
          INDEV: vm.tap,
          MAC: vm.mac,
          IP: vmAddress(n),
          SUBNET: `10.30.${n}.0/24`,
          GATEWAY: `10.30.${n}.1`,
        });
      }
      await run(["iptables-restore", "--noflush"], {
        ns: lab.hv,
        stdin: Deno.readTextFileSync(`${CONF}/nfdhcpd.rules.v4`),
      });
      const config = await lab.writeConfig(daemonConfig(lab, {
        serverIp: SERVER_IP,
        nameservers: ["198.51.100.53"],
        domain: "example.test",
      }));
      const daemon = await Daemon.start(lab, { config, debug: false });
      const flooders: [Vm, number][] = [[flood1, 1], [flood2, 2]];
      await waitUntilServed(victimVm);
      console.log(describe("idle", await floodAndMeasure(lab, loadgen, [], victimVm, 2)));

      const without = await floodAndMeasure(lab, loadgen, flooders, victimVm, FLOOD_SECONDS);
      console.log(describe("without the per-TAP limit", without));
      assert.equal(daemon.status, null, `nfdhcpd died under the flood:\n${daemon.log}`);
      await waitUntilServed(victimVm);

      await run(["nft", "-f", `${CONF}/nfdhcpd-limit.nft`], { ns: lab.hv });
      const withLimit = await floodAndMeasure(lab, loadgen, flooders, victimVm, FLOOD_SECONDS);
      console.log(describe("with the per-TAP limit", withLimit));
      assert.equal(daemon.status, null, `nfdhcpd died under the flood:\n${daemon.log}`);

      assert.ok(withLimit.floodRate > 30_000, `the flood was too weak: ${describe("", withLimit)}`);
      assert.ok(withLimit.attempts >= 10, describe("too few attempts", withLimit));
      assert.ok(
        withLimit.succeeded >= 0.95 * withLimit.attempts,
        describe("the victim was starved", withLimit),
      );
      const dropped = await limitDrops(lab);
      assert.ok(
        dropped >= 0.95 * withLimit.floodPackets,
        `the limit dropped ${dropped} of ${withLimit.floodPackets} flood packets`,
      );
    });
  },
});
