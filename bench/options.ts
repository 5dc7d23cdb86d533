/** Bench options: the servers and modes it knows, `--help`, and the command-line parser. */

import { BenchError } from "./exec.ts";

/** A server compared by the bench. */
export type Peer = "ours-routed" | "ours-bridged" | "dnsmasq" | "c-nfq";
/** Anything that answers the load generator: a compared server or the calibration reflector. */
export type Server = Peer | "reflector";
/** A load generator mode: DHCPv4 DORA, RS→RA, or DHCPv6 Information-Request→Reply. */
export type Mode = "dora" | "rs" | "inforeq";
/** The compared servers, in their default order. */
export const SERVERS: readonly Peer[] = ["ours-routed", "ours-bridged", "dnsmasq", "c-nfq"];
/** Zero-work AF_PACKET responder in the load generator: the generator's own ceiling. */
export const REFLECTOR: Server = "reflector";

/** The run's matrix and switches, as parsed from the command line. */
export interface Options {
  /** The bench-quick matrix (names the results `-quick`). */
  quick: boolean;
  /** Numbers of TAPs (N). */
  ns: number[];
  /** Exchanges in flight (C). */
  cs: number[];
  /** Repetitions of each point. */
  reps: number;
  /** Measured seconds per point. */
  duration: number;
  /** Warm-up seconds per point. */
  warmup: number;
  /** Per-exchange timeout. */
  timeoutMs: number;
  /** The servers compared. */
  servers: Peer[];
  /** Also the RS→RA and Information-Request→Reply points (ours routed). */
  ipv6: boolean;
  /** Also the generator-ceiling points (reflector). */
  calibrate: boolean;
  /** Also the churn points: ten VMs' bindings rewritten in turn, 10 a second (ours routed). */
  churn: boolean;
  /** Bindings for the scale figures; 0 skips them. */
  scale: number;
  /** `ra_period` of the scale run, in seconds. */
  raPeriod: number;
  /** Keep the work directories. */
  keep: boolean;
  /** Results directory. */
  outDir: string;
}

/** Options that take one number, and the field each sets. */
const NUMBER_OPTIONS = {
  "--reps": "reps",
  "--duration": "duration",
  "--warmup": "warmup",
  "--timeout-ms": "timeoutMs",
  "--scale": "scale",
  "--ra-period": "raPeriod",
} as const satisfies Record<string, keyof Options>;

/** Options that take no value (`--quick` is applied before the others). */
const FLAG_OPTIONS: Record<string, (o: Options) => void> = {
  "--quick": () => {},
  "--no-ipv6": (o) => (o.ipv6 = false),
  "--no-calibrate": (o) => (o.calibrate = false),
  "--no-churn": (o) => (o.churn = false),
  "--keep": (o) => (o.keep = true),
};

/** Prints the usage and exits with status 2. */
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
  --no-churn            skip the churn points (tap0-tap9 rewritten in turn, 10/s, ours routed)
  --scale K             bindings for the scale figures, 0 = skip (default 10000)
  --ra-period S         ra_period for the scale run (default 20)
  --keep                keep the work directory (logs, configs)
  --out DIR             results directory (default bench/results)`);
  Deno.exit(2);
}

/** A comma-separated list of positive integers. */
function positiveList(v: string): number[] {
  return v.split(",").map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1) throw new BenchError(`bad number in list: ${x}`);
    return n;
  });
}

/** A comma-separated subset of {@linkcode SERVERS}. */
function serverList(v: string): Peer[] {
  const s = v.split(",");
  for (const x of s) {
    if (!(SERVERS as readonly string[]).includes(x)) throw new BenchError(`unknown server ${x}`);
  }
  return s as Peer[];
}

/** Parses the command line (`--help` or an unknown option prints the usage and exits). */
export function parseArgs(args: string[]): Options {
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
    churn: true,
    scale: 10000,
    raPeriod: 20,
    keep: false,
    outDir: new URL("results", import.meta.url).pathname,
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
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const v = (): string => {
      const x = args[++i];
      if (x === undefined) usage();
      return x;
    };
    if (Object.hasOwn(FLAG_OPTIONS, a)) FLAG_OPTIONS[a]!(o);
    else if (Object.hasOwn(NUMBER_OPTIONS, a)) {
      o[NUMBER_OPTIONS[a as keyof typeof NUMBER_OPTIONS]] = Number(v());
    } else if (a === "--n") o.ns = positiveList(v());
    else if (a === "--c") o.cs = positiveList(v());
    else if (a === "--servers") o.servers = serverList(v());
    else if (a === "--out") o.outDir = v();
    else usage();
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
