/** Bench topology: the namespaces, N veth pairs and bridge of one run, and our binding files. */

import { BR_MAC, clientIp, clientMac, SERVER_IP, SUBNET, SUBNET6, tapMac } from "./addressing.ts";
import { onCleanup } from "./cleanup.ts";
import { BenchError, ipBatch, log, nsExec, run, sleep } from "./exec.ts";
import type { Server } from "./options.ts";
import { LOADGEN } from "./programs.ts";

/** True when a process with this id exists. */
function pidAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Deletes namespaces left by earlier bench runs whose process is gone. Bench namespaces are
 * `nfb<pid>-<tag>-hv|cl`, which lab/netns.ts's `removeStaleLabs` does not match.
 */
export async function sweepStale(): Promise<void> {
  const r = await run("ip", ["netns", "list"], { allowFail: true });
  for (const line of r.stdout.split("\n")) {
    const m = /^(nfb(\d+)-[a-z0-9]+-(hv|cl))\b/.exec(line);
    if (m && !pidAlive(Number(m[2]))) {
      log(`removing stale namespace ${m[1]}`);
      await run("ip", ["netns", "del", m[1]!], { allowFail: true });
    }
  }
}

/**
 * A hypervisor namespace with `tap0..tapN-1` and a bridge `br0`, veth-paired with `c0..cN-1` in a
 * client namespace; the TAPs are bridged or not as the server under test wants.
 */
export class Topology {
  /** Whether the TAPs are in `br0` (with port isolation) now. */
  bridged = false;
  /** Seconds it took to create the namespaces, veths and bridge. */
  buildSeconds = 0;
  private constructor(
    readonly hv: string,
    readonly cl: string,
    readonly n: number,
  ) {}

  /** Creates the namespaces `nfb<pid>-<tag>-hv` and `-cl` with `n` veth pairs; removed at cleanup. */
  static async create(n: number, tag: string): Promise<Topology> {
    const t0 = performance.now();
    const base = `nfb${Deno.pid}-${tag}`;
    const t = new Topology(`${base}-hv`, `${base}-cl`, n);
    await run("ip", ["netns", "add", t.hv]);
    onCleanup(() => t.destroy());
    await run("ip", ["netns", "add", t.cl]);
    // Hypervisor: IPv6 on (ip6tables must see RS/DHCPv6) but silent: no
    // addresses, no DAD, no RS of its own.
    await nsExec(t.hv, "sysctl", [
      "-q",
      "-w",
      "net.ipv6.conf.default.addr_gen_mode=1",
      "net.ipv6.conf.default.accept_ra=0",
      "net.ipv6.conf.default.router_solicitations=0",
      "net.ipv6.conf.default.accept_dad=0",
      "net.ipv6.conf.all.accept_ra=0",
    ]);
    // Client: the load generator crafts every frame; the kernel stays quiet.
    await nsExec(t.cl, "sysctl", [
      "-q",
      "-w",
      "net.ipv6.conf.all.disable_ipv6=1",
      "net.ipv6.conf.default.disable_ipv6=1",
    ]);
    const hv: string[] = ["link set lo up"];
    for (let i = 0; i < n; i++) {
      hv.push(
        `link add tap${i} address ${tapMac(i)} type veth peer name c${i} address ${
          clientMac(i)
        } netns ${t.cl}`,
      );
    }
    hv.push(
      `link add br0 address ${BR_MAC} type bridge stp_state 0 forward_delay 0 mcast_snooping 0`,
    );
    for (let i = 0; i < n; i++) hv.push(`link set tap${i} up`);
    hv.push("link set br0 up", `addr add ${SERVER_IP}/16 dev br0`);
    await ipBatch(t.hv, hv);
    const cl: string[] = [];
    for (let i = 0; i < n; i++) cl.push(`link set c${i} up`);
    await ipBatch(t.cl, cl);
    await nsExec(t.hv, LOADGEN, ["txcsum-off", "br0"]);
    t.buildSeconds = (performance.now() - t0) / 1000;
    log(`topology N=${n}: ${t.hv} / ${t.cl} in ${t.buildSeconds.toFixed(1)} s`);
    await sleep(1000); // let link-up and the previous topology's teardown settle
    return t;
  }

  /** Puts the TAPs in `br0`, isolated from each other, or takes them out. */
  async setBridged(on: boolean): Promise<void> {
    if (on === this.bridged) return;
    const lines: string[] = [];
    for (let i = 0; i < this.n; i++) {
      if (on) {
        lines.push(`link set tap${i} master br0`, `link set tap${i} type bridge_slave isolated on`);
      } else lines.push(`link set tap${i} nomaster`, `link set tap${i} up`);
    }
    await ipBatch(this.hv, lines);
    this.bridged = on;
  }

  /**
   * Sets the mangle PREROUTING rules and `br_netfilter` switches for `server`: NFQUEUE 42 (and
   * 43..45 for IPv6) from the TAPs for ours and the C reference, by `physdev` when bridged;
   * nothing for the others.
   */
  async firewall(server: Server, ipv6: boolean): Promise<void> {
    const ipt = (args: string[], opt: { allowFail?: boolean } = {}) =>
      nsExec(this.hv, "iptables", ["-w", ...args], opt);
    const ip6t = (args: string[]) => nsExec(this.hv, "ip6tables", ["-w", ...args]);
    await ipt(["-t", "mangle", "-F", "PREROUTING"]);
    await ip6t(["-t", "mangle", "-F", "PREROUTING"]);
    const bridgeNf = server === "ours-bridged" ? "1" : "0";
    const r = await nsExec(this.hv, "sysctl", [
      "-q",
      "-w",
      `net.bridge.bridge-nf-call-iptables=${bridgeNf}`,
      "net.bridge.bridge-nf-call-ip6tables=0",
    ], { allowFail: true });
    if (r.code !== 0 && server === "ours-bridged") {
      throw new BenchError(
        `bridged mode needs br_netfilter (net.bridge.bridge-nf-call-iptables): ${r.stderr.trim()}`,
      );
    }
    if (server === "ours-routed" || server === "c-nfq") {
      await ipt(
        "-t mangle -A PREROUTING -i tap+ -p udp --dport 67 -j NFQUEUE --queue-num 42".split(" "),
      );
      if (ipv6) {
        await ip6t(
          "-t mangle -A PREROUTING -i tap+ -p icmpv6 --icmpv6-type router-solicitation -j NFQUEUE --queue-num 43"
            .split(" "),
        );
        await ip6t(
          "-t mangle -A PREROUTING -i tap+ -p icmpv6 --icmpv6-type neighbour-solicitation -j NFQUEUE --queue-num 44"
            .split(" "),
        );
        await ip6t(
          "-t mangle -A PREROUTING -i tap+ -p udp --dport 547 -j NFQUEUE --queue-num 45".split(" "),
        );
      }
    } else if (server === "ours-bridged") {
      const rr = await ipt(
        "-t mangle -A PREROUTING -p udp -m physdev --physdev-in tap+ --dport 67 -j NFQUEUE --queue-num 42"
          .split(" "),
        { allowFail: true },
      );
      if (rr.code !== 0) {
        throw new BenchError(`iptables physdev match unavailable: ${rr.stderr.trim()}`);
      }
    }
  }

  /** Deletes both namespaces (and so every interface in them). */
  async destroy(): Promise<void> {
    await run("ip", ["netns", "del", this.hv], { allowFail: true });
    await run("ip", ["netns", "del", this.cl], { allowFail: true });
  }
}

/** Writes one binding file per client, `tapI` in `dir` (`INDEV=br0` when bridged). */
export async function writeBindings(dir: string, n: number, bridged: boolean): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const text = [
      `HOSTNAME=vm${i}`,
      `INDEV=${bridged ? "br0" : `tap${i}`}`,
      `MAC=${clientMac(i)}`,
      `IP=${clientIp(i)}`,
      `SUBNET=${SUBNET}`,
      `GATEWAY=${SERVER_IP}`,
      `SUBNET6=${SUBNET6}`,
      "",
    ].join("\n");
    jobs.push(Deno.writeTextFile(`${dir}/tap${i}`, text));
    if (jobs.length >= 256) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
}
