/**
 * `make bench` / `make bench-quick`: builds a namespace topology, runs our
 * daemon (routed and bridged) and dnsmasq interleaved under the same load, and
 * prints a table plus one JSON line per measurement to bench/results/.
 *
 * Run as root: `deno run --allow-all bench/run.ts [--quick] [options]`
 * (see `--help` and bench/README.md).
 */

type Peer = "ours-routed" | "ours-bridged" | "dnsmasq";
type Server = Peer | "reflector";
type Mode = "dora" | "rs" | "inforeq";
const SERVERS: readonly Peer[] = ["ours-routed", "ours-bridged", "dnsmasq"];
/** Zero-work AF_PACKET responder in the load generator: the generator's own ceiling. */
const REFLECTOR: Server = "reflector";

interface Options {
  quick: boolean;
  ns: number[];
  cs: number[];
  reps: number;
  duration: number;
  warmup: number;
  timeoutMs: number;
  servers: Peer[];
  ipv6: boolean;
  calibrate: boolean;
  scale: number;
  raPeriod: number;
  keep: boolean;
  outDir: string;
}

const BENCH_DIR = new URL(".", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;
const LOADGEN = `${BENCH_DIR}build/loadgen`;
const DAEMON = `${ROOT}bin/nfdhcpd.js`;
/** How to start our daemon: NFDHCPD_CMD (as `make integration` sets it) or deno on the bundle. */
const DAEMON_CMD = Deno.env.get("NFDHCPD_CMD")?.trim().split(/\s+/) ??
  [Deno.execPath(), "run", "--allow-all", DAEMON];
const DNSMASQ = "/usr/sbin/dnsmasq";

// Addressing, only inside the namespaces this script creates.
const CLIENT_MAC_BASE = "02:cb:00:00:00:00";
const HV_MAC_BASE = "02:ab:00:00:00:00";
const BR_MAC = "02:ab:ff:ff:ff:fe";
const NET = "10.200.0.0";
const MASK = "255.255.0.0";
const SUBNET = "10.200.0.0/16";
const SERVER_IP = "10.200.0.1";
const CLIENT_IP_BASE = 10 * 2 ** 24 + 200 * 2 ** 16 + 16; // 10.200.0.16
const DNS4 = "10.200.0.2";
const SUBNET6 = "2001:db8:200::/64";
const PREFIX6 = "2001:db8:200::";
const DNS6 = "2001:db8:200::53";

function usage(): never {
  console.log(`usage: deno run --allow-all bench/run.ts [options]
  --quick               the bench-quick matrix (N=16,256; C=1,64; 1 rep; 2 s points; scale 2000)
  --n LIST              numbers of TAPs (default 1,16,256,1023)
  --c LIST              exchanges in flight (default 1,64)
  --reps R              repetitions (default 3)
  --duration S          measured seconds per point (default 5)
  --warmup S            warm-up seconds per point (default 1)
  --timeout-ms MS       per-exchange timeout (default 1000)
  --servers LIST        subset of ${SERVERS.join(",")} (default all)
  --no-ipv6             skip the RS->RA and Information-Request->Reply points
  --no-calibrate        skip the generator-ceiling points (zero-work reflector)
  --scale K             bindings for the scale figures, 0 = skip (default 10000)
  --ra-period S         ra_period for the scale run (default 20)
  --keep                keep the work directory (logs, configs)
  --out DIR             results directory (default bench/results)`);
  Deno.exit(2);
}

function parseArgs(args: string[]): Options {
  const o: Options = {
    quick: false,
    ns: [1, 16, 256, 1023],
    cs: [1, 64],
    reps: 3,
    duration: 5,
    warmup: 1,
    timeoutMs: 1000,
    servers: [...SERVERS],
    ipv6: true,
    calibrate: true,
    scale: 10000,
    raPeriod: 20,
    keep: false,
    outDir: `${BENCH_DIR}results`,
  };
  if (args.includes("--quick")) {
    Object.assign(o, {
      quick: true,
      ns: [16, 256],
      reps: 1,
      duration: 2,
      warmup: 0.5,
      scale: 2000,
      raPeriod: 5,
    });
  }
  const list = (v: string): number[] =>
    v.split(",").map((x) => {
      const n = Number(x);
      if (!Number.isInteger(n) || n < 1) throw new BenchError(`bad number in list: ${x}`);
      return n;
    });
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = (): string => {
      const x = args[++i];
      if (x === undefined) usage();
      return x;
    };
    switch (a) {
      case "--quick":
        break;
      case "--n":
        o.ns = list(v());
        break;
      case "--c":
        o.cs = list(v());
        break;
      case "--reps":
        o.reps = Number(v());
        break;
      case "--duration":
        o.duration = Number(v());
        break;
      case "--warmup":
        o.warmup = Number(v());
        break;
      case "--timeout-ms":
        o.timeoutMs = Number(v());
        break;
      case "--servers": {
        const s = v().split(",");
        for (const x of s) {
          if (!(SERVERS as readonly string[]).includes(x)) {
            throw new BenchError(`unknown server ${x}`);
          }
        }
        o.servers = s as Peer[];
        break;
      }
      case "--no-ipv6":
        o.ipv6 = false;
        break;
      case "--no-calibrate":
        o.calibrate = false;
        break;
      case "--scale":
        o.scale = Number(v());
        break;
      case "--ra-period":
        o.raPeriod = Number(v());
        break;
      case "--keep":
        o.keep = true;
        break;
      case "--out":
        o.outDir = v();
        break;
      default:
        usage();
    }
  }
  const bad = (what: string, ok: boolean) => {
    if (!ok) throw new BenchError(`bad ${what}`);
  };
  bad("--reps", Number.isInteger(o.reps) && o.reps >= 1);
  bad("--duration", o.duration > 0);
  bad("--warmup", o.warmup >= 0);
  bad("--timeout-ms", Number.isInteger(o.timeoutMs) && o.timeoutMs >= 1);
  bad("--scale", Number.isInteger(o.scale) && o.scale >= 0);
  bad("--ra-period", o.raPeriod > 0);
  bad("--c (1..4096)", o.cs.every((c) => c <= 4096));
  bad("--n / --scale (at most 60000 TAPs)", Math.max(...o.ns, o.scale) <= 60000);
  return o;
}

// ---------------------------------------------------------------- helpers

class BenchError extends Error {}

/** Commands still running (load generator, ip, iptables): ended on interruption. */
const live = new Set<Deno.ChildProcess>();

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  cmd: string,
  args: string[],
  opt: { stdin?: string; allowFail?: boolean; timeoutMs?: number } = {},
): Promise<RunResult> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: opt.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(opt.timeoutMs ?? 120_000),
  }).spawn();
  live.add(child);
  if (opt.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opt.stdin));
    await w.close();
  }
  const out = await child.output().finally(() => live.delete(child));
  const r = {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
  if (r.code !== 0 && !opt.allowFail) {
    throw new BenchError(
      `command failed (${r.code}${out.signal ? `, ${out.signal}` : ""}): ${cmd} ${
        args.join(" ").slice(0, 200)
      }\n${r.stderr.trim().slice(-2000)}`,
    );
  }
  return r;
}

const nsExec = (
  ns: string,
  cmd: string,
  args: string[],
  opt: { stdin?: string; allowFail?: boolean; timeoutMs?: number } = {},
) => run("ip", ["netns", "exec", ns, cmd, ...args], opt);

async function ipBatch(ns: string, lines: string[]): Promise<void> {
  if (!lines.length) return;
  await run("ip", ["-n", ns, "-batch", "-"], {
    stdin: lines.join("\n") + "\n",
    timeoutMs: 600_000,
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}
function macPlus(base: string, i: number): string {
  const b = base.split(":").map((x) => parseInt(x, 16));
  const low = ((b[2]! << 24) >>> 0) + (b[3]! << 16) + (b[4]! << 8) + b[5]! + i;
  return [b[0]!, b[1]!, (low >>> 24) & 255, (low >>> 16) & 255, (low >>> 8) & 255, low & 255]
    .map(hex2).join(":");
}
function ip4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}
const clientMac = (i: number) => macPlus(CLIENT_MAC_BASE, i);
const tapMac = (i: number) => macPlus(HV_MAC_BASE, i);
const clientIp = (i: number) => ip4(CLIENT_IP_BASE + i);

function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function log(msg: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

// ---------------------------------------------------------------- cleanup

const cleanups: Array<() => Promise<void>> = [];
let cleaning: Promise<void> | null = null;

function cleanupAll(): Promise<void> {
  if (!cleaning) {
    cleaning = (async () => {
      while (cleanups.length) {
        const f = cleanups.pop()!;
        try {
          await f();
        } catch (e) {
          console.error(`cleanup: ${e instanceof Error ? e.message : e}`);
        }
      }
    })();
  }
  return cleaning;
}

function pidAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Deletes namespaces left by earlier bench runs whose process is gone. */
async function sweepStale(): Promise<void> {
  const r = await run("ip", ["netns", "list"], { allowFail: true });
  for (const line of r.stdout.split("\n")) {
    const m = /^(nfb(\d+)-[a-z0-9]+-(hv|cl))\b/.exec(line);
    if (m && !pidAlive(Number(m[2]))) {
      log(`removing stale namespace ${m[1]}`);
      await run("ip", ["netns", "del", m[1]!], { allowFail: true });
    }
  }
}

// ---------------------------------------------------------------- topology

class Topology {
  bridged = false;
  /** Seconds it took to create the namespaces, veths and bridge. */
  buildSeconds = 0;
  private constructor(
    readonly hv: string,
    readonly cl: string,
    readonly n: number,
  ) {}

  static async create(n: number, tag: string): Promise<Topology> {
    const t0 = performance.now();
    const base = `nfb${Deno.pid}-${tag}`;
    const t = new Topology(`${base}-hv`, `${base}-cl`, n);
    await run("ip", ["netns", "add", t.hv]);
    cleanups.push(() => t.destroy());
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
    if (server === "ours-routed") {
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

  async destroy(): Promise<void> {
    await run("ip", ["netns", "del", this.hv], { allowFail: true });
    await run("ip", ["netns", "del", this.cl], { allowFail: true });
  }
}

interface NfqCounters {
  [queue: string]: { total: number; dropped: number; userDropped: number; seq: number };
}

async function readNfq(t: Topology): Promise<NfqCounters> {
  const r = await nsExec(t.hv, "cat", ["/proc/net/netfilter/nfnetlink_queue"], {
    allowFail: true,
  });
  const out: NfqCounters = {};
  for (const line of r.stdout.split("\n")) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length >= 8 && Number.isFinite(f[0])) {
      out[String(f[0])] = { total: f[2]!, dropped: f[5]!, userDropped: f[6]!, seq: f[7]! };
    }
  }
  return out;
}

function nfqDelta(a: NfqCounters, b: NfqCounters): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  for (const [q, v] of Object.entries(b)) {
    const p = a[q] ?? { total: 0, dropped: 0, userDropped: 0, seq: 0 };
    d[q] = {
      packets: v.seq - p.seq,
      dropped: v.dropped - p.dropped,
      user_dropped: v.userDropped - p.userDropped,
      queued_now: v.total,
    };
  }
  return d;
}

function nfqDrops(d: Record<string, unknown>): number {
  let s = 0;
  for (const v of Object.values(d)) {
    const x = v as { dropped: number; user_dropped: number };
    s += x.dropped + x.user_dropped;
  }
  return s;
}

// ---------------------------------------------------------------- servers

interface Running {
  server: Server;
  pid: number;
  spawnedAt: number;
  readyMs: number;
  stop(): Promise<void>;
}

async function pump(
  stream: ReadableStream<Uint8Array>,
  path: string,
  onLine?: (l: string) => void,
): Promise<void> {
  const file = await Deno.open(path, { create: true, append: true });
  const dec = new TextDecoder();
  let buf = "";
  try {
    for await (const chunk of stream) {
      await file.write(chunk);
      if (onLine) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
        if (buf.length > 65536) buf = "";
      }
    }
  } catch {
    // stream ended by the process being killed
  } finally {
    file.close();
  }
}

async function tail(path: string): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).split("\n").slice(-15).join("\n");
  } catch {
    return "(no log)";
  }
}

async function spawnServer(
  server: Server,
  t: Topology,
  cmd: string[],
  logPath: string,
  readyLine: boolean,
): Promise<Running> {
  const spawnedAt = performance.now();
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", t.hv, ...cmd],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  let readyResolve = (): void => {};
  const ready = new Promise<void>((r) => (readyResolve = r));
  const p1 = pump(child.stdout, logPath);
  const p2 = pump(child.stderr, logPath, (l) => {
    if (/\bready\b/i.test(l)) readyResolve();
  });
  const stop = async (): Promise<void> => {
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const killer = setTimeout(() => {
        try {
          if (!exited) child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      await status;
      clearTimeout(killer);
    }
    await Promise.allSettled([p1, p2]);
  };
  cleanups.push(stop);
  if (readyLine) {
    const timeout = sleep(30_000).then(() => "timeout" as const);
    const outcome = await Promise.race([
      ready.then(() => "ready" as const),
      status.then(() => "exited" as const),
      timeout,
    ]);
    if (outcome !== "ready") {
      await stop();
      throw new BenchError(
        `${server} ${outcome === "exited" ? "exited" : "did not print 'ready' within 30 s"}; ` +
          `log ${logPath}:\n${await tail(logPath)}`,
      );
    }
  } else {
    await sleep(100);
    if (exited) {
      throw new BenchError(`${server} exited at start; log ${logPath}:\n${await tail(logPath)}`);
    }
  }
  return {
    server,
    pid: child.pid,
    spawnedAt,
    readyMs: performance.now() - spawnedAt,
    stop: async () => {
      await stop();
      const i = cleanups.indexOf(stop);
      if (i >= 0) cleanups.splice(i, 1);
    },
  };
}

async function writeBindings(dir: string, n: number, bridged: boolean): Promise<void> {
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

async function startOurs(
  server: "ours-routed" | "ours-bridged",
  t: Topology,
  work: string,
  o: { ipv6: boolean; raPeriod: number; bindings?: string },
): Promise<Running> {
  const bridged = server === "ours-bridged";
  const dir = `${work}/${server}`;
  await Deno.mkdir(dir, { recursive: true });
  const datapath = o.bindings ?? `${dir}/bindings`;
  if (!o.bindings) await writeBindings(datapath, t.n, bridged);
  const conf = `${dir}/nfdhcpd.conf`;
  await Deno.writeTextFile(
    conf,
    `[general]
datapath = ${datapath}
pidfile = ${dir}/nfdhcpd.pid
logdir = ${dir}

[dhcp]
server_ip = ${SERVER_IP}
dhcp_queue = 42
nameservers = ${DNS4}

[ipv6]
enable_ipv6 = ${o.ipv6 ? "yes" : "no"}
rs_queue = 43
ns_queue = 44
dhcpv6_queue = 45
nameservers = ${DNS6}
domains = bench.test
ra_period = ${o.raPeriod}
`,
  );
  await t.setBridged(bridged);
  await t.firewall(server, o.ipv6);
  return await spawnServer(
    server,
    t,
    [...DAEMON_CMD, "-f", "-c", conf],
    `${dir}/stderr.log`,
    true,
  );
}

async function startDnsmasq(t: Topology, work: string): Promise<Running> {
  const dir = `${work}/dnsmasq`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.remove(`${dir}/leases`).catch(() => {});
  const lines = [
    "port=0",
    "interface=br0",
    "bind-interfaces",
    `dhcp-range=${NET},static,${MASK},7d`,
    `dhcp-lease-max=${t.n + 100}`,
    "no-ping",
    "quiet-dhcp",
    `dhcp-leasefile=${dir}/leases`,
    `log-facility=${dir}/dnsmasq.log`,
    `pid-file=${dir}/dnsmasq.pid`,
    `dhcp-option=option:dns-server,${DNS4}`,
  ];
  for (let i = 0; i < t.n; i++) lines.push(`dhcp-host=${clientMac(i)},${clientIp(i)},vm${i}`);
  await Deno.writeTextFile(`${dir}/dnsmasq.conf`, lines.join("\n") + "\n");
  await t.setBridged(true);
  await t.firewall("dnsmasq", false);
  await nsExec(t.hv, LOADGEN, ["txcsum-off", "br0"]);
  return await spawnServer(
    "dnsmasq",
    t,
    [DNSMASQ, "--keep-in-foreground", `--conf-file=${dir}/dnsmasq.conf`],
    `${dir}/stderr.log`,
    false,
  );
}

async function startReflector(t: Topology): Promise<Running> {
  await t.setBridged(false);
  await t.firewall(REFLECTOR, false);
  return await spawnServer(
    REFLECTOR,
    t,
    [
      LOADGEN,
      "--mode",
      "reflect",
      "--ifprefix",
      "tap",
      "--count",
      String(t.n),
      "--ip-base",
      ip4(CLIENT_IP_BASE),
      "--server-id",
      SERVER_IP,
      "--hv-mac-base",
      HV_MAC_BASE,
      "--duration",
      "3600",
    ],
    `/dev/null`,
    true,
  );
}

async function probe(t: Topology, index: number, seconds: number): Promise<number> {
  const r = await nsExec(t.cl, LOADGEN, [
    "--mode",
    "probe",
    "--count",
    String(t.n),
    "--probe-index",
    String(index),
    "--duration",
    String(seconds),
    ...addrArgs(),
  ], { allowFail: true, timeoutMs: (seconds + 10) * 1000 });
  if (r.code !== 0) {
    throw new BenchError(`no valid DHCPv4 exchange on c${index} within ${seconds} s: ${r.stdout}`);
  }
  return (JSON.parse(r.stdout) as { ms: number }).ms;
}

function addrArgs(): string[] {
  return [
    "--mac-base",
    CLIENT_MAC_BASE,
    "--ip-base",
    ip4(CLIENT_IP_BASE),
    "--server-id",
    SERVER_IP,
  ];
}

// ---------------------------------------------------------------- measuring

interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  n: number;
}

interface LoadResult {
  mode: Mode;
  rate: number;
  completed: number;
  offer_us?: Latency | null;
  ack_us?: Latency | null;
  ra_us?: Latency | null;
  reply_us?: Latency | null;
  timeouts: number;
  warmup_timeouts: number;
  invalid: number;
  invalid_reasons: Record<string, number>;
  server_cpu: number | null;
  gen_cpu: number;
  machine_busy: number;
  sock_drops: number;
  ra_rounds?: RaRound[];
  ack_us_outside_rounds?: Latency | null;
  [k: string]: unknown;
}

interface RaRound {
  start_ms: number;
  duration_ms: number;
  ras: number;
  interfaces: number;
  timeouts: number;
  ack_us_during: Latency | null;
}

interface Record_ extends LoadResult {
  run_id: string;
  time: string;
  bench: string;
  server: Server;
  n: number;
  c: number;
  rep: number;
  nfq: Record<string, unknown>;
  nfq_drops: number;
}

class Results {
  readonly records: Record_[] = [];
  readonly jsonl: string;
  readonly txt: string;
  constructor(readonly runId: string, dir: string) {
    this.jsonl = `${dir}/${runId}.jsonl`;
    this.txt = `${dir}/${runId}.txt`;
  }
  async add(r: Record_): Promise<void> {
    this.records.push(r);
    await Deno.writeTextFile(this.jsonl, JSON.stringify(r) + "\n", { append: true });
  }
  async addRaw(o: Record<string, unknown>): Promise<void> {
    await Deno.writeTextFile(this.jsonl, JSON.stringify(o) + "\n", { append: true });
  }
  async print(line: string): Promise<void> {
    console.log(line);
    await Deno.writeTextFile(this.txt, line + "\n", { append: true });
  }
}

async function measure(
  t: Topology,
  srv: Running,
  mode: Mode,
  c: number,
  rep: number,
  o: Options,
  res: Results,
  extra: { raWatch?: boolean; duration?: number; warmup?: number; bench?: string } = {},
): Promise<Record_> {
  const duration = extra.duration ?? o.duration;
  const warmup = extra.warmup ?? o.warmup;
  const args = [
    "--mode",
    mode,
    "--count",
    String(t.n),
    "--concurrency",
    String(c),
    "--duration",
    String(duration),
    "--warmup",
    String(warmup),
    "--timeout-ms",
    String(o.timeoutMs),
    "--pid",
    String(srv.pid),
    ...addrArgs(),
  ];
  if (mode === "rs") args.push("--prefix6", PREFIX6, "--hv-mac-base", HV_MAC_BASE);
  if (mode === "inforeq") args.push("--expect-dns6");
  if (extra.raWatch) args.push("--ra-watch", "--prefix6", PREFIX6, "--hv-mac-base", HV_MAC_BASE);
  const q0 = await readNfq(t);
  const r = await nsExec(t.cl, LOADGEN, args, {
    timeoutMs: (duration + warmup + o.timeoutMs / 1000 + 20) * 1000,
  });
  const q1 = await readNfq(t);
  const lg = JSON.parse(r.stdout) as LoadResult;
  const nfq = nfqDelta(q0, q1);
  const rec: Record_ = {
    run_id: res.runId,
    time: new Date().toISOString(),
    bench: extra.bench ?? { dora: "dhcp4", rs: "rs", inforeq: "dhcp6-inforeq" }[mode],
    server: srv.server,
    rep,
    ...lg,
    n: t.n,
    c,
    nfq,
    nfq_drops: nfqDrops(nfq),
  };
  await res.add(rec);
  await res.print(row(rec));
  return rec;
}

// ---------------------------------------------------------------- table

const f0 = (x: number | null | undefined, w: number) =>
  (x === null || x === undefined || Number.isNaN(x) ? "-" : Math.round(x).toString()).padStart(w);
const fp = (x: number | null | undefined, w: number) =>
  (x === null || x === undefined || Number.isNaN(x) ? "-" : `${Math.round(x * 100)}%`).padStart(w);
const lat = (l: Latency | null | undefined) =>
  (l ? `${f0(l.p50, 0)}/${f0(l.p90, 0)}/${f0(l.p99, 0)}/${f0(l.max, 0)}` : "-").padStart(24);

function header(): string {
  return [
    "bench".padEnd(14),
    "server".padEnd(13),
    "N".padStart(5),
    "C".padStart(3),
    "rep".padStart(3),
    "rate/s".padStart(8),
    "1st reply p50/p90/p99/max us".padStart(29),
    "ACK p50/p90/p99/max us".padStart(24),
    "t/o".padStart(4),
    "inv".padStart(4),
    "srvCPU".padStart(7),
    "genCPU".padStart(7),
    "mach".padStart(5),
    "nfqDrop".padStart(8),
  ].join(" ");
}

function row(r: Record_): string {
  const first = r.offer_us ?? r.ra_us ?? r.reply_us;
  return [
    r.bench.padEnd(14),
    r.server.padEnd(13),
    f0(r.n, 5),
    f0(r.c, 3),
    f0(r.rep, 3),
    f0(r.rate, 8),
    lat(first).padStart(29),
    lat(r.ack_us),
    f0(r.timeouts + r.warmup_timeouts, 4),
    f0(r.invalid, 4),
    fp(r.server_cpu, 7),
    fp(r.gen_cpu, 7),
    fp(r.machine_busy, 5),
    f0(r.nfq_drops + r.sock_drops, 8),
  ].join(" ");
}

async function summary(res: Results, o: Options): Promise<void> {
  const recs = res.records;
  await res.print("");
  await res.print(
    "== DHCPv4 summary: medians over repetitions; ratio = ours / dnsmasq (DORA/s), " +
      "ACK latency in us; ceiling = the generator against a zero-work responder ==",
  );
  await res.print(
    [
      "N".padStart(5),
      "C".padStart(3),
      "routed/s".padStart(9),
      "bridged/s".padStart(9),
      "dnsmasq/s".padStart(9),
      "ratio-r".padStart(7),
      "ratio-b".padStart(7),
      "ACK p50 r/b/d".padStart(17),
      "ACK p99 r/b/d".padStart(20),
      "t/o+inv r/b/d".padStart(14),
      "srvCPU r/b/d".padStart(14),
      "genCPU r/b/d".padStart(14),
      "ceiling/s (x fastest)".padStart(21),
    ].join(" "),
  );
  for (const n of o.ns) {
    for (const c of o.cs) {
      const pick = (s: Server) =>
        recs.filter((r) => r.bench === "dhcp4" && r.server === s && r.n === n && r.c === c);
      const med = (s: Server, f: (r: Record_) => number | undefined) =>
        median(pick(s).map(f).filter((x): x is number => x !== undefined));
      const rate = (s: Server) => med(s, (r) => r.rate);
      const p50 = (s: Server) => med(s, (r) => r.ack_us?.p50);
      const p99 = (s: Server) => med(s, (r) => r.ack_us?.p99);
      const bad = (s: Server) =>
        pick(s).length
          ? String(
            pick(s).reduce((a, r) => a + r.timeouts + r.warmup_timeouts + r.invalid, 0),
          )
          : "-";
      const cpu = (f: (r: Record_) => number | null) =>
        SERVERS.map((s) => fp(med(s, (r) => f(r) ?? undefined), 0)).join("/");
      const d = rate("dnsmasq");
      const ceiling = (n: number, c: number): string => {
        const x = median(
          recs.filter((r) => r.bench === "dhcp4-ceiling" && r.n === n && r.c === c).map((r) =>
            r.rate
          ),
        );
        const fastest = Math.max(...SERVERS.map(rate).filter((v) => !Number.isNaN(v)));
        const times = Number.isFinite(x / fastest) ? ` (${(x / fastest).toFixed(1)}x)` : "";
        return `${f0(x, 0)}${times}`.padStart(21);
      };
      const ratio = (x: number) => (Number.isFinite(x / d) ? (x / d).toFixed(2) : "-");
      await res.print(
        [
          f0(n, 5),
          f0(c, 3),
          f0(rate("ours-routed"), 9),
          f0(rate("ours-bridged"), 9),
          f0(d, 9),
          ratio(rate("ours-routed")).padStart(7),
          ratio(rate("ours-bridged")).padStart(7),
          `${f0(p50("ours-routed"), 0)}/${f0(p50("ours-bridged"), 0)}/${f0(p50("dnsmasq"), 0)}`
            .padStart(17),
          `${f0(p99("ours-routed"), 0)}/${f0(p99("ours-bridged"), 0)}/${f0(p99("dnsmasq"), 0)}`
            .padStart(20),
          `${bad("ours-routed")}/${bad("ours-bridged")}/${bad("dnsmasq")}`.padStart(14),
          cpu((r) => r.server_cpu).padStart(14),
          cpu((r) => r.gen_cpu).padStart(14),
          ceiling(n, c),
        ].join(" "),
      );
    }
  }
  const v6 = recs.filter((r) => r.bench === "rs" || r.bench === "dhcp6-inforeq");
  if (v6.length) {
    await res.print("");
    await res.print("== IPv6 summary (ours, routed): medians; latency p50/p99 in us ==");
    for (const bench of ["rs", "dhcp6-inforeq"]) {
      for (const n of o.ns) {
        for (const c of o.cs) {
          const p = v6.filter((r) => r.bench === bench && r.n === n && r.c === c);
          if (!p.length) continue;
          const l = (r: Record_) => r.ra_us ?? r.reply_us;
          await res.print(
            `${bench.padEnd(14)} N=${f0(n, 5)} C=${f0(c, 3)} rate/s ${
              f0(median(p.map((r) => r.rate)), 8)
            }  p50 ${f0(median(p.map((r) => l(r)?.p50 ?? NaN)), 5)}  p99 ${
              f0(median(p.map((r) => l(r)?.p99 ?? NaN)), 6)
            }  t/o+inv ${p.reduce((a, r) => a + r.timeouts + r.warmup_timeouts + r.invalid, 0)}`,
          );
        }
      }
    }
  }
}

// ---------------------------------------------------------------- scale

async function rss(pid: number): Promise<{ rssKiB: number; hwmKiB: number }> {
  const s = await Deno.readTextFile(`/proc/${pid}/status`);
  const get = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(s)?.[1] ?? NaN);
  return { rssKiB: get("VmRSS"), hwmKiB: get("VmHWM") };
}

async function scaleRun(o: Options, work: string, res: Results): Promise<void> {
  const k = o.scale;
  await res.print("");
  await res.print(`== scale: ${k} binding files, ours routed, ra_period ${o.raPeriod} s ==`);
  const t = await Topology.create(k, "scale");
  const topoS = t.buildSeconds;
  const bind = `${work}/scale-bindings`;
  await writeBindings(bind, k, false);
  const srv = await startOurs("ours-routed", t, work, {
    ipv6: true,
    raPeriod: o.raPeriod,
    bindings: bind,
  });
  const readyMs = srv.readyMs;
  const memReady = await rss(srv.pid);
  const lastMs = await probe(t, k - 1, 30);
  const serveLastMs = performance.now() - srv.spawnedAt;
  await sleep(1000);
  const memSettled = await rss(srv.pid);
  await res.print(
    `start-up: topology ${topoS.toFixed(1)} s; 'ready' after ${f0(readyMs, 0)} ms; ` +
      `first DORA on tap${k - 1} done ${f0(serveLastMs, 0)} ms after spawn (probe ${
        lastMs.toFixed(1)
      } ms); RSS ${(memReady.rssKiB / 1024).toFixed(1)} MiB at ready, ${
        (memSettled.rssKiB / 1024).toFixed(1)
      } MiB settled (peak ${(memSettled.hwmKiB / 1024).toFixed(1)} MiB)`,
  );
  await res.addRaw({
    run_id: res.runId,
    time: new Date().toISOString(),
    bench: "scale-startup",
    server: "ours-routed",
    n: k,
    topology_s: topoS,
    ready_ms: readyMs,
    serve_last_ms: serveLastMs,
    rss_ready_kib: memReady.rssKiB,
    rss_settled_kib: memSettled.rssKiB,
    rss_peak_kib: memSettled.hwmKiB,
  });
  // DHCPv4 at C=1 across all TAPs while at least one periodic RA round happens.
  const rec = await measure(t, srv, "dora", 1, 1, o, res, {
    raWatch: true,
    warmup: 0,
    duration: o.raPeriod + Math.max(5, o.raPeriod / 2),
    bench: "scale-ra-round",
  });
  const rounds = rec.ra_rounds ?? [];
  if (!rounds.length) await res.print("RA rounds: none seen during the run");
  for (const r of rounds) {
    await res.print(
      `RA round at ${(r.start_ms / 1000).toFixed(1)} s: ${r.ras} RAs on ${r.interfaces}/${k} ` +
        `TAPs in ${r.duration_ms.toFixed(0)} ms; ACK latency during round p50/p90/p99/max ${
          lat(r.ack_us_during).trim()
        } us, timeouts ${r.timeouts}`,
    );
  }
  await res.print(
    `ACK latency outside rounds p50/p90/p99/max ${lat(rec.ack_us_outside_rounds).trim()} us`,
  );
  await srv.stop();
  await t.destroy();
}

// ---------------------------------------------------------------- main

async function prerequisites(o: Options): Promise<void> {
  const missing: string[] = [];
  if (Deno.uid() !== 0) missing.push("must run as root (namespaces, iptables, raw sockets)");
  for (const c of ["ip", "iptables", "ip6tables", "sysctl"]) {
    const r = await run("sh", ["-c", `command -v ${c}`], { allowFail: true });
    if (r.code !== 0) missing.push(`command '${c}' not found (iproute2 / iptables / procps)`);
  }
  try {
    Deno.statSync(LOADGEN);
  } catch {
    missing.push(`${LOADGEN} missing: run 'make bench/build/loadgen'`);
  }
  if (o.servers.some((s) => s.startsWith("ours")) || o.scale > 0) {
    const file = DAEMON_CMD.find((a) => a.endsWith(".js")) ?? DAEMON_CMD[0]!;
    try {
      Deno.statSync(file);
    } catch {
      missing.push(`${file} missing: run 'make bundle' (or use --servers dnsmasq --scale 0)`);
    }
  }
  if (o.servers.includes("dnsmasq")) {
    try {
      Deno.statSync(DNSMASQ);
    } catch {
      missing.push(`${DNSMASQ} missing: apt-get install dnsmasq-base`);
    }
  }
  try {
    Deno.statSync("/proc/net/netfilter/nfnetlink_queue");
  } catch {
    missing.push("nfnetlink_queue not available (/proc/net/netfilter/nfnetlink_queue)");
  }
  if (missing.length) throw new BenchError(`missing prerequisites:\n  ${missing.join("\n  ")}`);
}

async function tmpfsDir(): Promise<string | undefined> {
  try {
    const mounts = await Deno.readTextFile("/proc/mounts");
    if (/^\S+ \/dev\/shm tmpfs /m.test(mounts)) return "/dev/shm";
  } catch { /* fall back to the default temporary directory */ }
  return undefined;
}

async function main(): Promise<number> {
  const o = parseArgs(Deno.args);
  await prerequisites(o);
  await sweepStale();
  await Deno.mkdir(o.outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const runId = `${stamp}-${o.quick ? "quick" : "full"}`;
  const res = new Results(runId, o.outDir);
  const work = await Deno.makeTempDir({ prefix: "nfdhcpd-bench-" });
  // dnsmasq's directory on tmpfs when there is one: dnsmasq rewrites and fsyncs its lease file
  // as leases are created or extended, and we measure the servers, not the disk (this favours
  // dnsmasq). Ours stays in /tmp:
  // Deno asks for --allow-all to touch paths under /dev.
  const dnsmasqWork = await Deno.makeTempDir({ prefix: "nfdhcpd-bench-", dir: await tmpfsDir() });
  let failed = true;
  cleanups.unshift(async () => {
    if (o.keep || failed) log(`work directories kept: ${work} ${dnsmasqWork}`);
    else {
      await Deno.remove(work, { recursive: true });
      await Deno.remove(dnsmasqWork, { recursive: true });
    }
  });
  const onSignal = () => {
    log("interrupted: cleaning up");
    if (!o.keep) failed = false;
    for (const c of live) {
      try {
        c.kill("SIGTERM");
      } catch { /* already gone */ }
    }
    cleanupAll().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const t0 = performance.now();
  await res.print(
    `# nfdhcpd bench ${runId}: N=${o.ns.join(",")} C=${o.cs.join(",")} reps=${o.reps} ` +
      `${o.duration}s+${o.warmup}s warm-up, timeout ${o.timeoutMs} ms, servers ${
        o.servers.join(",")
      }, ${navigator.hardwareConcurrency} CPUs; results ${res.jsonl}`,
  );
  await res.print(
    "# rate = completed exchanges/s; 1st reply = OFFER (dhcp4) / RA / Reply; CPU = share of " +
      "one core (mach = whole machine); nfqDrop = kernel queue + socket drops",
  );
  await res.print(header());
  for (const n of o.ns) {
    const t = await Topology.create(n, `n${n}`);
    for (let rep = 1; rep <= o.reps; rep++) {
      // interleave the servers, rotating the order each repetition
      const order = o.servers.map((_, i) => o.servers[(i + rep - 1) % o.servers.length]!);
      for (const s of order) {
        const srv = s === "dnsmasq"
          ? await startDnsmasq(t, dnsmasqWork)
          : await startOurs(s, t, work, { ipv6: o.ipv6 && s === "ours-routed", raPeriod: 1800 });
        await probe(t, n - 1, 10);
        for (const c of o.cs) await measure(t, srv, "dora", c, rep, o, res);
        if (s === "ours-routed" && o.ipv6) {
          for (const c of o.cs) await measure(t, srv, "rs", c, rep, o, res);
          for (const c of o.cs) await measure(t, srv, "inforeq", c, rep, o, res);
        }
        await srv.stop();
      }
    }
    if (o.calibrate) {
      const srv = await startReflector(t);
      await probe(t, n - 1, 10);
      for (const c of o.cs) await measure(t, srv, "dora", c, 1, o, res, { bench: "dhcp4-ceiling" });
      await srv.stop();
    }
    await t.destroy();
  }
  await summary(res, o);
  if (o.scale > 0) await scaleRun(o, work, res);
  await res.print("");
  await res.print(
    `# done in ${((performance.now() - t0) / 1000).toFixed(0)} s; JSON lines: ${res.jsonl}`,
  );
  failed = false;
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(`bench: ${e instanceof BenchError ? e.message : e instanceof Error ? e.stack : e}`);
  code = 1;
} finally {
  await cleanupAll();
}
Deno.exit(code);
