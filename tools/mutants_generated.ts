/**
 * The generated half of `make mutants`: a seeded sample of tools/mutant_gen.ts's mechanical
 * mutants over the pure core and the dispatcher, each type-checked alone (those that do not
 * type-check are skipped, not counted) and run against the unit test files that load the mutated
 * module. Scores per folder; survivors argued equivalent in tools/mutants_equivalent.json.
 */
import { dirname, join } from "node:path";
import { Prng } from "../tests/fuzz/prng.ts";
import { generate, type GeneratedMutant } from "./mutant_gen.ts";
import { importGraph, testsLoading } from "./test_graph.ts";

/** Folders whose every file is mutated, and single files besides. */
const FOLDERS = ["src/wire", "src/serve", "src/bindings", "src/config"];
const FILES = ["src/daemon/dispatch.ts"];
/** Files of those folders left out, and why. */
const LEFT_OUT: Record<string, string> = {
  "src/bindings/store.ts": "being rewritten (its own issue); its tests change with it",
};
/** The share of the sample that must be killed (equivalent mutants left out of the count). */
const GOAL = 0.95;

export interface GeneratedOptions {
  readonly root: string;
  readonly copy: string;
  readonly sample: number;
  readonly seed: number;
  readonly only: string | undefined;
  readonly unitTests: readonly string[];
  /** Reuse the outcome of mutants killed in the last run (bin/mutants-generated.json). */
  readonly again: boolean;
  /** Runs `files` in the copy: true when they pass, false on a failure, null on timeout. */
  readonly run: (files: string[]) => Promise<boolean | null>;
}

type Outcome = "killed" | "survived" | "timeout" | "equivalent";

interface Result {
  readonly m: GeneratedMutant;
  readonly outcome: Outcome;
  readonly seconds: number;
  readonly tests: number;
}

/** The files mutated: every .ts of FOLDERS (but LEFT_OUT) and FILES, sorted. */
export function mutatedFiles(root: string): string[] {
  const files = [...FILES];
  for (const folder of FOLDERS) {
    for (const entry of Deno.readDirSync(join(root, folder))) {
      const path = `${folder}/${entry.name}`;
      if (entry.isFile && entry.name.endsWith(".ts") && !(path in LEFT_OUT)) files.push(path);
    }
  }
  return files.sort();
}

/** Every candidate, shuffled by `seed` (Fisher-Yates): the sample is a prefix of this order. */
export function candidates(root: string, seed: number): GeneratedMutant[] {
  const all = mutatedFiles(root).flatMap((f) => generate(f, Deno.readTextFileSync(join(root, f))));
  const prng = new Prng(seed);
  for (let i = all.length - 1; i > 0; i--) {
    const j = prng.below(i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return {};
  }
}

function loadEquivalent(root: string): Map<string, string> {
  const list = JSON.parse(
    Deno.readTextFileSync(join(root, "tools/mutants_equivalent.json")),
  ) as { key: string; equivalent: string }[];
  return new Map(list.map((e) => [e.key, e.equivalent]));
}

function apply(text: string, m: GeneratedMutant): string {
  return text.slice(0, m.at) + m.replace + text.slice(m.at + m.find.length);
}

/**
 * Whether each mutant type-checks, remembered across runs in bin/ (keyed by the mutant and the
 * file's text), since `deno check` is most of a rerun's time.
 */
class TypeCheckCache {
  readonly #path: string;
  readonly #known: Record<string, boolean>;

  constructor(root: string) {
    this.#path = join(root, "bin/mutants-typecheck.json");
    this.#known = readJson(this.#path) as Record<string, boolean>;
  }

  async check(copy: string, m: GeneratedMutant, original: string): Promise<boolean> {
    const id = `${m.key} @${await digest(original)}`;
    this.#known[id] ??= await typeChecks(copy, m.file);
    Deno.mkdirSync(dirname(this.#path), { recursive: true });
    Deno.writeTextFileSync(this.#path, JSON.stringify(this.#known));
    return this.#known[id];
  }
}

async function digest(text: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(hash).subarray(0, 8), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

async function typeChecks(copy: string, file: string): Promise<boolean> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", file],
    cwd: copy,
    stdout: "null",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).output();
  return out.success;
}

/** Runs the sample; prints each outcome, then the score per folder and the survivors. */
export async function runGenerated(o: GeneratedOptions): Promise<number> {
  const equivalent = loadEquivalent(o.root);
  const graph = importGraph(o.copy);
  const typeCache = new TypeCheckCache(o.root);
  // Each mutant's last outcome: with --again, those killed last time are not run again (tests
  // only get added between runs while survivors are being killed).
  const lastPath = join(o.root, "bin/mutants-generated.json");
  const last = new Map<string, string>(
    Object.entries(readJson(lastPath) as Record<string, string>),
  );
  const order = candidates(o.root, o.seed);
  const results: Result[] = [];
  let notTyped = 0;
  let taken = 0;
  console.log(
    `\nGenerated mutants: ${order.length} candidates in ${mutatedFiles(o.root).length} files, ` +
      `a sample of ${o.sample} that type-check (seed ${o.seed})`,
  );
  for (const m of order) {
    if (taken >= o.sample) break;
    const path = join(o.copy, m.file);
    const original = Deno.readTextFileSync(path);
    Deno.writeTextFileSync(path, apply(original, m));
    try {
      if (!await typeCache.check(o.copy, m, original)) {
        notTyped++;
        continue;
      }
      taken++;
      if (o.only !== undefined && !m.key.includes(o.only)) continue;
      const tests = testsLoading(graph, o.unitTests, m.file);
      const before = o.again ? last.get(m.key) : undefined;
      let passed: boolean | null;
      let seconds = 0;
      if (before === "killed" || before === "timeout") passed = before === "timeout" ? null : false;
      else {
        const started = performance.now();
        passed = tests.length === 0 ? true : await o.run(tests);
        seconds = (performance.now() - started) / 1000;
      }
      const outcome: Outcome = passed === null
        ? "timeout"
        : !passed
        ? "killed"
        : equivalent.has(m.key)
        ? "equivalent"
        : "survived";
      results.push({ m, outcome, seconds, tests: tests.length });
      last.set(m.key, outcome);
      Deno.writeTextFileSync(lastPath, JSON.stringify(Object.fromEntries(last)));
      const again = before === undefined ? "" : `, ${before} last run`;
      console.log(
        `${outcome.padEnd(10)} ${m.file}:${m.line} ${m.kind}: ${JSON.stringify(m.find)} -> ` +
          `${JSON.stringify(m.replace)} (${tests.length} test files, ${
            seconds.toFixed(1)
          } s${again})`,
      );
    } finally {
      Deno.writeTextFileSync(path, original);
    }
  }
  return report(results, notTyped, equivalent);
}

function report(results: Result[], notTyped: number, equivalent: Map<string, string>): number {
  const folders = [...new Set(results.map((r) => dirname(r.m.file)))].sort();
  console.log(`\n${notTyped} generated mutants did not type-check and were skipped.`);
  console.log("folder          mutants  killed  equivalent  survived  score");
  const line = (name: string, rs: Result[]) => {
    const killed = rs.filter((r) => r.outcome === "killed" || r.outcome === "timeout").length;
    const eq = rs.filter((r) => r.outcome === "equivalent").length;
    const survived = rs.length - killed - eq;
    const score = rs.length - eq === 0 ? 1 : killed / (rs.length - eq);
    console.log(
      `${name.padEnd(15)} ${String(rs.length).padStart(7)} ${String(killed).padStart(7)} ` +
        `${String(eq).padStart(11)} ${String(survived).padStart(9)}  ${(100 * score).toFixed(1)} %`,
    );
    return score;
  };
  for (const f of folders) line(f, results.filter((r) => dirname(r.m.file) === f));
  const score = line("all", results);
  const seconds = results.reduce((s, r) => s + r.seconds, 0);
  if (results.length > 0) {
    console.log(`${(seconds / results.length).toFixed(1)} s of unit tests a mutant on average`);
  }
  for (const r of results.filter((r) => r.outcome === "survived")) {
    console.log(`SURVIVED ${r.m.file}:${r.m.line} ${r.m.kind}\n  key: ${r.m.key}`);
  }
  // An equivalent entry that names a mutant the sample ran and killed is wrong: say so.
  for (const r of results) {
    if (r.outcome !== "equivalent" && r.outcome !== "survived" && equivalent.has(r.m.key)) {
      console.log(`NOT EQUIVALENT ${r.m.key}: listed as equivalent but a test kills it`);
      return 1;
    }
  }
  return score >= GOAL ? 0 : 1;
}
