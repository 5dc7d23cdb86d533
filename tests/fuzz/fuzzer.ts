/**
 * The fuzz engine: seeds from the captures, one deterministic mutated input per index, every
 * parser and the dispatcher run on it, and each distinct failure kept with its replayable input.
 */
import { readPcap } from "../pcap.ts";
import { DispatchHarness, InvariantViolation } from "./dispatch_target.ts";
import { hex } from "../hex.ts";
import { serviceOf } from "./layout.ts";
import { mutate } from "./mutate.ts";
import { runParsers } from "./parser_targets.ts";
import { inputSeed, Prng } from "./prng.ts";

/** The seed pools, one per service plus the captures' other packets; inputs cycle through them. */
export const POOLS = ["dhcp4", "rs", "ns", "dhcp6", "other"] as const;
export type Pool = typeof POOLS[number];

/** What went wrong on one input, with all it takes to replay it. */
export interface Finding {
  readonly runSeed: number;
  readonly index: number;
  readonly pool: Pool;
  /** "invariant" for a broken rule, "exception" for a throw out of a parser or the path. */
  readonly kind: "invariant" | "exception";
  readonly message: string;
  readonly steps: readonly string[];
  readonly input: string;
  /** How many inputs failed the same way (same message once numbers, addresses and hex are masked). */
  count: number;
}

export interface FuzzOptions {
  readonly seed: number;
  /** Stop after this many inputs (default: no limit). */
  readonly inputs?: number;
  /** Stop after this many seconds (default: no limit). */
  readonly seconds?: number;
  /** Run only this input index (replay). */
  readonly only?: number;
  /** Called every so often with the inputs done so far. */
  readonly progress?: (done: number) => void;
}

export interface FuzzReport {
  readonly inputs: number;
  /** Checked replies by service: inputs that went all the way through a responder. */
  readonly replies: Readonly<Record<string, number>>;
  readonly milliseconds: number;
  readonly findings: readonly Finding[];
}

/** Every IP packet of every capture in tests/fixtures, by pool. */
export function loadSeeds(): Record<Pool, Uint8Array[]> {
  const pools: Record<Pool, Uint8Array[]> = { dhcp4: [], rs: [], ns: [], dhcp6: [], other: [] };
  const dir = new URL("../fixtures/", import.meta.url);
  for (const entry of Array.from(Deno.readDirSync(dir)).sort((a, b) => a.name < b.name ? -1 : 1)) {
    if (!entry.name.endsWith(".pcap")) continue;
    for (const { frame, ipPacket } of readPcap(entry.name)) {
      const etherType = (frame[12]! << 8) | frame[13]!;
      if (etherType !== 0x0800 && etherType !== 0x86dd) continue;
      pools[serviceOf(ipPacket) ?? "other"].push(ipPacket);
    }
  }
  return pools;
}

/** Runs inputs until a limit is reached; failures are collected, not thrown. */
export function fuzz(options: FuzzOptions): FuzzReport {
  const pools = loadSeeds();
  const all = POOLS.flatMap((p) => pools[p]);
  const harness = new DispatchHarness();
  const findings = new Map<string, Finding>();
  const start = performance.now();
  const deadline = options.seconds === undefined ? Infinity : start + options.seconds * 1000;
  const first = options.only ?? 0;
  const end = options.only !== undefined ? first + 1 : options.inputs ?? Infinity;
  let index = first;
  for (; index < end && performance.now() < deadline; index++) {
    const pool = POOLS[index % POOLS.length]!;
    const rng = new Prng(inputSeed(options.seed, index));
    const { bytes, steps } = mutate(rng.pick(pools[pool]), rng.pick(all), rng);
    const spoofable = rng.chance(0.125);
    const bridged = rng.chance(0.25);
    if (spoofable) steps.push("binding with MACSPOOF");
    if (bridged) steps.push("queued from a bridge port (physindev)");
    try {
      runParsers(bytes);
      harness.check(bytes, spoofable, bridged);
    } catch (e) {
      const invariant = e instanceof InvariantViolation;
      const message = invariant ? e.message : e instanceof Error ? e.stack ?? e.message : String(e);
      const key = message.split("\n").slice(0, 2).join("\n").replace(
        /\b(?=[0-9a-f:.]*\d)[0-9a-f:.]+\b/gi,
        "#",
      );
      const seen = findings.get(key);
      if (seen) seen.count++;
      else {
        findings.set(key, {
          runSeed: options.seed,
          index,
          pool,
          kind: invariant ? "invariant" : "exception",
          message,
          steps,
          input: hex(bytes),
          count: 1,
        });
      }
    }
    if (index % 1000 === 999) options.progress?.(index + 1 - first);
  }
  return {
    inputs: index - first,
    replies: harness.replies,
    milliseconds: performance.now() - start,
    findings: [...findings.values()],
  };
}

/** A finding as the report prints it: the replay command first. */
export function describe(f: Finding): string {
  return [
    `${f.kind} on input ${f.index} (${f.pool} pool), ${f.count} input(s) alike:`,
    `  replay: make fuzz SEED=${f.runSeed} ONLY=${f.index}`,
    `  mutations: ${f.steps.join(", ")}`,
    `  input (IP packet, hex): ${f.input}`,
    `  ${f.message.replaceAll("\n", "\n  ")}`,
  ].join("\n");
}
