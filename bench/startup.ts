/**
 * The start-up point: spawn -> `ready` with K binding files (default 10,000), and VmRSS 3 s after
 * ready, for our daemon as shipped (NFDHCPD_CMD) against a reference build in the same run (the
 * bundle of commit 735c40a that `make bench` builds), runs alternating, medians printed with the
 * ratio, and both against the figures saved in bench/startup_reference.json.
 *
 *   deno run --allow-all bench/startup.ts [--bindings K] [--runs R] [--reference CMD...]
 *   NFDHCPD_CPU_PROF=DIR  also writes a V8 CPU profile of each candidate run into DIR
 */
import { parseArgs } from "node:util";
import { BenchError, run, sleep } from "./exec.ts";
import { DAEMON_CMD } from "./programs.ts";
import { writeBindings } from "./topology.ts";

/** What one start-up measured. */
export interface StartupFigures {
  readonly readyMs: number;
  readonly rssMiB: number;
  /** Of the RSS: the process's own memory (heap, stacks) and the mapped files (the runtime's code). */
  readonly anonMiB: number;
  readonly fileMiB: number;
}

/** The figures saved for the reference (measured on the machine the targets were set on). */
interface SavedReference {
  readonly commit: string;
  readonly bindings: number;
  readonly ready_ms: number;
  readonly rss_mib: number;
  readonly measured: string;
}

const SAVED = new URL("startup_reference.json", import.meta.url).pathname;
/** The reference bundle `make bench` builds from commit 735c40a (see the Makefile). */
export const REFERENCE_BUNDLE = new URL("build/reference-735c40a.js", import.meta.url).pathname;
/** How long after `ready` the resident memory is read: the start-up garbage has been collected. */
const SETTLE_MS = 3000;

/** The config of one start-up: no control socket or metrics file (the reference has neither). */
function config(work: string, datapath: string): string {
  return `[general]
datapath = ${datapath}
pidfile = ${work}/nfdhcpd.pid
logdir = ${work}
control_socket =

[dhcp]
server_ip = 10.200.0.1
dhcp_queue = 42
nameservers = 192.0.2.53

[ipv6]
enable_ipv6 = yes
rs_queue = 43
ns_queue = 44
dhcpv6_queue = 45
ra_period = 600
`;
}

/** Starts `cmd` in namespace `ns`; resolves with its figures once measured, then stops it. */
async function startOnce(
  ns: string,
  cmd: readonly string[],
  conf: string,
): Promise<StartupFigures> {
  const spawned = performance.now();
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", ns, ...cmd, "-f", "-c", conf],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  let readyAt = -1;
  const reader = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      log += decoder.decode(chunk, { stream: true });
      if (readyAt < 0 && /\bready\b/.test(log)) readyAt = performance.now();
    }
  })();
  try {
    const deadline = spawned + 60_000;
    while (readyAt < 0) {
      if (performance.now() > deadline) throw new BenchError(`no 'ready' in 60 s:\n${log}`);
      await sleep(5);
    }
    await sleep(SETTLE_MS);
    const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
    const mib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN) / 1024;
    return {
      readyMs: readyAt - spawned,
      rssMiB: mib("VmRSS"),
      anonMiB: mib("RssAnon"),
      fileMiB: mib("RssFile"),
    };
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await reader;
  }
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The medians of `runs` start-ups of each command, alternating (the reference first in odd runs). */
export async function startupPoint(o: {
  bindings: number;
  runs: number;
  candidate: readonly string[];
  reference: readonly string[] | null;
  print: (line: string) => Promise<void> | void;
}): Promise<{ candidate: StartupFigures; reference: StartupFigures | null }> {
  const ns = `nfb${Deno.pid}-start`;
  const work = await Deno.makeTempDir({ prefix: "nfdhcpd-startup-" });
  await run("ip", ["netns", "add", ns]);
  try {
    const datapath = `${work}/bindings`;
    await writeBindings(datapath, o.bindings, false);
    const conf = `${work}/nfdhcpd.conf`;
    await Deno.writeTextFile(conf, config(work, datapath));
    const got: { candidate: StartupFigures[]; reference: StartupFigures[] } = {
      candidate: [],
      reference: [],
    };
    for (let i = 0; i < o.runs; i++) {
      const order = o.reference === null
        ? (["candidate"] as const)
        : i % 2 === 0
        ? (["reference", "candidate"] as const)
        : (["candidate", "reference"] as const);
      for (const which of order) {
        const cmd = which === "candidate" ? o.candidate : o.reference!;
        const f = await startOnce(ns, cmd, conf);
        got[which].push(f);
        await o.print(
          `  run ${i + 1} ${which.padEnd(9)} ready ${f.readyMs.toFixed(0)} ms, ${rss(f)}`,
        );
      }
    }
    const summary = (xs: StartupFigures[]) => ({
      readyMs: median(xs.map((x) => x.readyMs)),
      rssMiB: median(xs.map((x) => x.rssMiB)),
      anonMiB: median(xs.map((x) => x.anonMiB)),
      fileMiB: median(xs.map((x) => x.fileMiB)),
    });
    return {
      candidate: summary(got.candidate),
      reference: o.reference === null ? null : summary(got.reference),
    };
  } finally {
    await run("ip", ["netns", "del", ns], { allowFail: true });
    await Deno.remove(work, { recursive: true });
  }
}

/** The lines `make bench` prints for a start-up point. */
export async function printStartup(
  bindings: number,
  runs: number,
  print: (line: string) => Promise<void> | void,
): Promise<{ candidate: StartupFigures; reference: StartupFigures | null }> {
  const reference = exists(REFERENCE_BUNDLE)
    ? [...DAEMON_CMD.slice(0, -1), REFERENCE_BUNDLE]
    : null;
  await print(
    `== start-up: ${bindings} binding files, median of ${runs} alternating runs ` +
      `(ready = spawn -> 'ready'; RSS ${SETTLE_MS / 1000} s after ready) ==`,
  );
  const result = await startupPoint({ bindings, runs, candidate: DAEMON_CMD, reference, print });
  const c = result.candidate;
  await print(`ours:      ready ${c.readyMs.toFixed(0)} ms, ${rss(c)}`);
  const r = result.reference;
  if (r !== null) {
    await print(
      `735c40a:   ready ${r.readyMs.toFixed(0)} ms, ${rss(r)} (same run); ` +
        `ours/735c40a: ready ${(c.readyMs / r.readyMs).toFixed(2)}x (target <= 0.75), RSS ${
          (c.rssMiB / r.rssMiB).toFixed(2)
        }x`,
    );
  } else {
    await print(`735c40a:   no reference bundle (${REFERENCE_BUNDLE}: make bench builds it)`);
  }
  const saved = JSON.parse(await Deno.readTextFile(SAVED)) as SavedReference;
  const comparable = saved.bindings === bindings
    ? `ours/saved: ready ${(c.readyMs / saved.ready_ms).toFixed(2)}x, RSS ${
      c.rssMiB.toFixed(1)
    } MiB (target <= 64)`
    : `not comparable with ${bindings} bindings`;
  await print(
    `saved:     ${saved.commit} ready ${saved.ready_ms} ms, RSS ${saved.rss_mib} MiB ` +
      `(${saved.bindings} bindings, ${saved.measured}); ${comparable}`,
  );
  return result;
}

/** `RSS 79.3 MiB (anon 38.5, file 40.8)`. */
function rss(f: StartupFigures): string {
  return `RSS ${f.rssMiB.toFixed(1)} MiB (anon ${f.anonMiB.toFixed(1)}, file ${
    f.fileMiB.toFixed(1)
  })`;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      bindings: { type: "string", default: "10000" },
      runs: { type: "string", default: "3" },
    },
  });
  await printStartup(Number(values.bindings), Number(values.runs), (l) => console.log(l));
}
