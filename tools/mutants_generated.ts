/**
 * The generated half of `make mutants`: a seeded sample of tools/mutant_gen.ts's mechanical
 * mutants over the pure core and the dispatcher, each type-checked alone (those that do not
 * type-check are skipped, not counted) and run against the unit test files that load the mutated
 * module. Scores per folder; survivors argued equivalent in tools/mutants_equivalent.json.
 */
import { dirname, join } from "node:path";
import { Prng } from "../tests/fuzz/prng.ts";
import { generate, type GeneratedMutant } from "./mutant_gen.ts";
import { applyMutant, readJson, TypeChecker } from "./mutant_typecheck.ts";
import { importGraph, testsLoading } from "./test_graph.ts";

/** Folders whose every file is mutated, and single files besides. */
const FOLDERS = ["src/wire", "src/serve", "src/bindings", "src/config"];
const FILES = ["src/daemon/dispatch.ts"];
/** How many mutants one `deno check` takes. */
const CHECKED_AT_ONCE = 60;
/** The share of the sample that must be killed (equivalent mutants left out of the count). */
const GOAL = 0.95;

export interface GeneratedOptions {
  readonly root: string;
  readonly copy: string;
  readonly sample: number;
  readonly seed: number;
  readonly only: string | undefined;
  readonly unitTests: readonly string[];
  /** The files to draw the sample from, when not all of FOLDERS and FILES (`--files=`). */
  readonly files: readonly string[] | undefined;
  /** Reuse the outcome of mutants killed in the last run (bin/mutants-generated.json). */
  readonly again: boolean;
  /** Runs `files` in the copy: true when they pass, false on a failure, null on timeout. */
  readonly run: (copy: string, files: string[]) => Promise<boolean | null>;
}

type Outcome = "killed" | "survived" | "timeout" | "equivalent";

interface Result {
  readonly m: GeneratedMutant;
  readonly outcome: Outcome;
  readonly seconds: number;
  readonly tests: number;
}

/** The files mutated: every .ts of FOLDERS and FILES, sorted. */
export function mutatedFiles(root: string): string[] {
  const files = [...FILES];
  for (const folder of FOLDERS) {
    for (const entry of Deno.readDirSync(join(root, folder))) {
      const path = `${folder}/${entry.name}`;
      if (entry.isFile && entry.name.endsWith(".ts")) files.push(path);
    }
  }
  return files.sort();
}

/**
 * Every candidate in `files`, shuffled by `seed` (Fisher-Yates): the sample is a prefix of this
 * order.
 */
export function candidates(
  root: string,
  files: readonly string[],
  seed: number,
): GeneratedMutant[] {
  const all = files.flatMap((f) => generate(f, Deno.readTextFileSync(join(root, f))));
  const prng = new Prng(seed);
  for (let i = all.length - 1; i > 0; i--) {
    const j = prng.below(i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}

function loadEquivalent(root: string): Map<string, string> {
  const list = JSON.parse(
    Deno.readTextFileSync(join(root, "tools/mutants_equivalent.json")),
  ) as { key: string; equivalent: string }[];
  return new Map(list.map((e) => [e.key, e.equivalent]));
}

/**
 * The sample: the first `size` mutants of `order` that type-check, checked in batches. It stops at
 * the first mutant not known yet beyond a full batch, so that answers kept from another sample
 * (another seed) do not jump the order.
 */
export async function sampleOf(
  order: GeneratedMutant[],
  size: number,
  checker: Pick<TypeChecker, "known" | "checkBatch">,
): Promise<{ sample: GeneratedMutant[]; notTyped: number }> {
  for (;;) {
    const sample: GeneratedMutant[] = [];
    const batch: GeneratedMutant[] = [];
    let notTyped = 0;
    for (const m of order) {
      if (sample.length >= size) break;
      const known = await checker.known(m);
      if (known === true) sample.push(m);
      else if (known === false) notTyped++;
      else if (batch.length < CHECKED_AT_ONCE) batch.push(m);
      else break;
    }
    if (batch.length === 0 || sample.length >= size) return { sample, notTyped };
    console.log(
      `  ${sample.length} type-check so far, ${notTyped} do not; checking ${batch.length}`,
    );
    await checker.checkBatch(batch);
  }
}

/** Runs the sample; prints each outcome, then the score per folder and the survivors. */
export async function runGenerated(o: GeneratedOptions): Promise<number> {
  const equivalent = loadEquivalent(o.root);
  const graph = importGraph(o.copy);
  const files = o.files ?? mutatedFiles(o.root);
  const order = candidates(o.root, files, o.seed);
  console.log(
    `\nGenerated mutants: ${order.length} candidates in ${files.length} files; ` +
      `type-checking until ${o.sample} do (seed ${o.seed})...`,
  );
  const { sample, notTyped } = await sampleOf(
    order,
    o.sample,
    new TypeChecker(o.root, o.copy),
  );
  // Each mutant's last outcome: with --again, those killed last time are not run again (tests
  // only get added between runs while survivors are being killed).
  const lastPath = join(o.root, "bin/mutants-generated.json");
  const last = new Map(Object.entries(readJson(lastPath) as Record<string, Outcome>));
  const queue = sample.filter((m) => o.only === undefined || m.key.includes(o.only));
  const results: Result[] = [];
  // Tests mostly wait on timers and processes: three mutants at once, each in its own copy.
  const copies = [o.copy, `${o.copy}-2`, `${o.copy}-3`];
  for (const copy of copies.slice(1)) {
    new Deno.Command("cp", { args: ["-a", o.copy, copy] }).outputSync();
  }
  const worker = async (copy: string) => {
    for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
      results.push(await runOne(copy, m, o.again ? last.get(m.key) : undefined));
      const r = results[results.length - 1]!;
      last.set(m.key, r.outcome);
      Deno.writeTextFileSync(lastPath, JSON.stringify(Object.fromEntries(last)));
    }
  };
  const runOne = async (copy: string, m: GeneratedMutant, before: Outcome | undefined) => {
    const tests = testsLoading(graph, o.unitTests, m.file);
    let passed: boolean | null = before === "timeout" ? null : false;
    let seconds = 0;
    const attempt = async (): Promise<boolean | null> => {
      const path = join(copy, m.file);
      const original = Deno.readTextFileSync(path);
      Deno.writeTextFileSync(path, applyMutant(original, m));
      const started = performance.now();
      try {
        return tests.length === 0 ? true : await o.run(copy, tests);
      } finally {
        Deno.writeTextFileSync(path, original);
        seconds = (performance.now() - started) / 1000;
      }
    };
    if (before !== "killed" && before !== "timeout") {
      passed = await attempt();
      // A mutant argued equivalent that a test kills fails the run: a test that failed under
      // load must not, so such a kill is confirmed by a second run.
      if (passed !== true && equivalent.has(m.key)) passed = await attempt();
    }
    const outcome: Outcome = passed === null
      ? "timeout"
      : !passed
      ? "killed"
      : equivalent.has(m.key)
      ? "equivalent"
      : "survived";
    const again = before === undefined ? "" : `, ${before} last run`;
    console.log(
      `${outcome.padEnd(10)} ${m.file}:${m.line} ${m.kind}: ${JSON.stringify(m.find)} -> ` +
        `${JSON.stringify(m.replace)} (${tests.length} test files, ${
          seconds.toFixed(1)
        } s${again})`,
    );
    return { m, outcome, seconds, tests: tests.length };
  };
  try {
    await Promise.all(copies.map(worker));
  } finally {
    for (const copy of copies.slice(1)) Deno.removeSync(copy, { recursive: true });
  }
  results.sort((a, b) => sample.indexOf(a.m) - sample.indexOf(b.m));
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
