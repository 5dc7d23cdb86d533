/**
 * A small mutation runner: plants each bug listed in tools/mutants.json, one at a time, in a copy of
 * the tree, runs the unit tests there and reports which bugs the tests caught (killed) and which
 * they missed (survived); then does the same for a seeded sample of generated mutants
 * (tools/mutants_generated.ts). Exits 1 when a listed mutant survives that is not listed as
 * equivalent, or when the sample's score is under its goal.
 *
 *   deno run --allow-all tools/mutants.ts [--only=TEXT] [--skip=FILE,...] [--list] [--keep]
 *     [--generated=N] [--seed=S] [--files=PATH,...] [--again] [--listed-only | --generated-only]
 *
 * --only=TEXT runs the mutants whose id, file or why (a generated one: its key) contains TEXT;
 * --list prints the listed ones (and whether each applies) and stops; --skip=FILE,... leaves out
 * unit test files that fail unmutated; --keep leaves the copy of the tree behind (its path is
 * printed); --generated=N is the sample's size (300), --seed=S its seed (22), --files=PATH,...
 * the files it is drawn from (all of the pure core and the dispatcher); --again runs only
 * the generated mutants that were not killed in the last run. The format of a
 * mutant is in tools/mutants.md.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runGenerated } from "./mutants_generated.ts";
import { importGraph, testsLoading } from "./test_graph.ts";

interface Mutant {
  /** A short unique name, e.g. "checksum-fold-once". */
  readonly id: string;
  /** The file to change, relative to the repository root. */
  readonly file: string;
  /** Exact text in the file; it must occur exactly once, unless `nth` says which occurrence. */
  readonly find: string;
  readonly replace: string;
  /** Which occurrence of `find` (1-based) when it occurs more than once. */
  readonly nth?: number;
  /** The bug this plants, in words. */
  readonly why: string;
  /** Set when no test can tell the mutant from the original: the reason it behaves the same. */
  readonly equivalent?: string;
}

type Outcome = "killed" | "survived" | "timeout" | "invalid";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Left out of the copy: git's data, build output; .tools (Deno itself) is linked instead. */
const NOT_COPIED = new Set([".git", ".tools", "bin"]);
/**
 * A mutant whose tests run this many times longer than the unmutated run (an endless loop, say)
 * counts as killed by timeout.
 */
const TIMEOUT_FACTOR = 4;
// The unmutated run has this long (the whole unit suite takes about a minute on two busy cores).
let timeoutMs = 300_000;

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return Deno.args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function loadMutants(): Mutant[] {
  const list = JSON.parse(Deno.readTextFileSync(join(ROOT, "tools/mutants.json"))) as Mutant[];
  const ids = new Set<string>();
  for (const m of list) {
    if (ids.has(m.id)) throw new Error(`Mutant id ${m.id} is listed twice`);
    ids.add(m.id);
    if (m.find === m.replace) throw new Error(`Mutant ${m.id} changes nothing`);
  }
  return list;
}

/** Every index where `find` starts in `text`. */
function occurrences(text: string, find: string): number[] {
  const at: number[] = [];
  for (let i = text.indexOf(find); i !== -1; i = text.indexOf(find, i + 1)) at.push(i);
  return at;
}

/** The file's text with the mutant applied, or why it cannot be applied. */
function mutate(original: string, m: Mutant): string | Error {
  const at = occurrences(original, m.find);
  if (m.nth === undefined && at.length !== 1) {
    return new Error(`"${m.find}" occurs ${at.length} times in ${m.file}; say which with nth`);
  }
  const index = at[(m.nth ?? 1) - 1];
  if (index === undefined) return new Error(`"${m.find}" has no occurrence ${m.nth} in ${m.file}`);
  return original.slice(0, index) + m.replace + original.slice(index + m.find.length);
}

/** Test folders that need root, namespaces or a container: not unit tests. */
const NOT_UNIT_DIRS = ["tests/integration", "tests/soak", "tests/systemd"];

function unitTestFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of Deno.readDirSync(join(dir, rel))) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory && !NOT_UNIT_DIRS.includes(path)) walk(path);
      else if (entry.isFile && entry.name.endsWith("_test.ts")) out.push(path);
    }
  };
  walk("tests");
  return out.sort();
}

/** Runs the unit tests in `dir`: true when they pass, false when one fails, null on timeout. */
async function runTests(
  dir: string,
  files: string[],
  failFast: boolean,
  show = false,
): Promise<boolean | null> {
  const args = ["test", "--allow-all", "--parallel", "--no-check", "--quiet"];
  if (failFast) args.push("--fail-fast");
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args, ...files],
    cwd: dir,
    stdout: show ? "inherit" : "null",
    stderr: show ? "inherit" : "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, timeoutMs);
  const status = await child.status;
  clearTimeout(timer);
  if (status.signal === "SIGKILL") return null;
  return status.success;
}

function copyTree(): string {
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-mutants-" });
  // Readable by all, as the tree is: some tests run the CLI as nobody.
  Deno.chmodSync(dir, 0o755);
  // Everything else: tests read README.md, conf/, contrib/ and more besides src/ and tests/.
  for (const entry of Deno.readDirSync(ROOT)) {
    if (NOT_COPIED.has(entry.name)) continue;
    new Deno.Command("cp", { args: ["-a", join(ROOT, entry.name), dir] }).outputSync();
  }
  Deno.symlinkSync(join(ROOT, ".tools"), join(dir, ".tools"));
  return dir;
}

async function main(): Promise<number> {
  const only = option("only");
  const mutants = loadMutants().filter((m) =>
    only === undefined || m.id.includes(only) || m.file.includes(only) || m.why.includes(only)
  );
  if (Deno.args.includes("--list")) {
    let invalid = 0;
    for (const m of mutants) {
      const mutated = mutate(Deno.readTextFileSync(join(ROOT, m.file)), m);
      if (mutated instanceof Error) invalid++;
      const state = mutated instanceof Error ? `INVALID: ${mutated.message}` : m.why;
      console.log(`${m.id}\t${m.file}\t${state}`);
    }
    return invalid === 0 ? 0 : 1;
  }
  const dir = copyTree();
  // Interrupted, the copy goes too (the tree itself was never touched).
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      // With the copies the generated mutants run in beside it (tools/mutants_generated.ts).
      for (const copy of [dir, `${dir}-2`, `${dir}-3`]) {
        try {
          Deno.removeSync(copy, { recursive: true });
        } catch { /* not made (yet) */ }
      }
      Deno.exit(130);
    });
  }
  // --skip=a_test.ts,b_test.ts leaves out test files that fail on their own (work in progress).
  const skipped = (option("skip") ?? "").split(",").filter((f) => f !== "");
  const files = unitTestFiles(dir).filter((f) => !skipped.includes(f));
  try {
    const without = skipped.length > 0 ? ` (without ${skipped.join(", ")})` : "";
    console.log(`Unit tests in ${dir}: ${files.length} files${without}; checking they pass...`);
    const baselineStarted = performance.now();
    if (await runTests(dir, files, false) !== true) {
      console.error("The unit tests fail without any mutant: fix them first, or leave the files");
      console.error("out with --skip=FILE,... Again, with output:");
      await runTests(dir, files, false, true);
      return 2;
    }
    timeoutMs = Math.max(30_000, TIMEOUT_FACTOR * (performance.now() - baselineStarted));
    const listed = Deno.args.includes("--generated-only")
      ? 0
      : await runListed(dir, files, mutants);
    if (Deno.args.includes("--listed-only")) return listed;
    const generated = await runGenerated({
      root: ROOT,
      copy: dir,
      sample: Number(option("generated") ?? 300),
      seed: Number(option("seed") ?? 22),
      only,
      unitTests: files,
      files: option("files")?.split(",").filter((f) => f !== ""),
      again: Deno.args.includes("--again"),
      run: (copy, tests) => runTests(copy, tests, true),
    });
    return Math.max(listed, generated);
  } finally {
    if (Deno.args.includes("--keep")) console.log(`Kept ${dir}`);
    else Deno.removeSync(dir, { recursive: true });
  }
}

/**
 * Plants each listed mutant in the copy `dir` and runs the files of `files` that load its module,
 * then, when it survives those, all of `files`; returns the exit status.
 */
async function runListed(dir: string, files: string[], mutants: Mutant[]): Promise<number> {
  const graph = importGraph(dir);
  const results: { m: Mutant; outcome: Outcome; note: string }[] = [];
  for (const m of mutants) {
    const path = join(dir, m.file);
    const original = Deno.readTextFileSync(path);
    const mutated = mutate(original, m);
    let outcome: Outcome;
    let note = "";
    if (mutated instanceof Error) {
      outcome = "invalid";
      note = mutated.message;
    } else {
      Deno.writeTextFileSync(path, mutated);
      const started = performance.now();
      // The test files that load the module first; a mutant they miss meets the whole suite
      // (a test may reach the module in a way the import graph does not show).
      const loading = testsLoading(graph, files, m.file);
      try {
        let passed = await runTests(dir, loading, true);
        if (passed === true && loading.length < files.length) {
          passed = await runTests(dir, files, true);
        }
        outcome = passed === null ? "timeout" : passed ? "survived" : "killed";
      } finally {
        Deno.writeTextFileSync(path, original);
      }
      note = `${loading.length} test files, ${((performance.now() - started) / 1000).toFixed(1)} s`;
    }
    results.push({ m, outcome, note });
    const tag = outcome === "survived" && m.equivalent ? "equivalent" : outcome;
    console.log(`${tag.padEnd(10)} ${m.id.padEnd(36)} ${m.file} (${note})`);
  }
  return report(results);
}

function report(results: { m: Mutant; outcome: Outcome; note: string }[]): number {
  const count = (f: (r: (typeof results)[number]) => boolean) => results.filter(f).length;
  const killed = count((r) => r.outcome === "killed" || r.outcome === "timeout");
  const equivalent = count((r) => r.outcome === "survived" && r.m.equivalent !== undefined);
  const survivors = results.filter((r) => r.outcome === "survived" && !r.m.equivalent);
  const invalid = results.filter((r) => r.outcome === "invalid");
  const unexpected = results.filter((r) => r.outcome !== "survived" && r.m.equivalent);
  console.log(
    `\n${results.length} mutants: ${killed} killed, ${equivalent} equivalent, ` +
      `${survivors.length} survived, ${invalid.length} invalid`,
  );
  for (const r of survivors) console.log(`SURVIVED ${r.m.id} (${r.m.file}): ${r.m.why}`);
  for (const r of invalid) console.log(`INVALID ${r.m.id}: ${r.note}`);
  for (const r of unexpected) {
    console.log(`NOT EQUIVALENT ${r.m.id}: listed as equivalent but a test kills it`);
  }
  return survivors.length + invalid.length + unexpected.length === 0 ? 0 : 1;
}

Deno.exit(await main());
