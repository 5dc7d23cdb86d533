/**
 * Which generated mutants type-check, for tools/mutants_generated.ts: many at once (one mutant a
 * file, one `deno check` of all those files, each error charged to the file it is in), remembered
 * across runs in bin/mutants-typecheck.json keyed by the mutant and its file's text.
 */
import { dirname, join } from "node:path";
import type { GeneratedMutant } from "./mutant_gen.ts";
import { loads } from "./test_graph.ts";

/** Applies `m` to the text of its file. */
export function applyMutant(text: string, m: GeneratedMutant): string {
  return text.slice(0, m.at) + m.replace + text.slice(m.at + m.find.length);
}

export function readJson(path: string): unknown {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return {};
  }
}

async function digest(text: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(hash).subarray(0, 8), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** `deno check` of `files` in `copy`: the files that errors were reported in, or null if none. */
async function check(copy: string, files: string[]): Promise<Set<string> | null> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", ...files],
    cwd: copy,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (out.success) return null;
  const said = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  const prefix = `file://${copy}/`;
  const blamed = new Set<string>();
  for (const m of said.matchAll(/file:\/\/(\S+?):\d+:\d+/g)) {
    const url = `file://${m[1]}`;
    blamed.add(url.startsWith(prefix) ? url.slice(prefix.length) : url);
  }
  // A failure that names no file (a crash, say) is charged to every file.
  return blamed.size > 0 ? blamed : new Set(files);
}

export class TypeChecker {
  readonly #path: string;
  readonly #known: Record<string, boolean>;
  readonly #digests = new Map<string, string>();

  /** `graph` is the copy's import graph (tools/test_graph.ts), to know who an error may follow from. */
  constructor(root: string, readonly copy: string, readonly graph: Map<string, string[]>) {
    this.#path = join(root, "bin/mutants-typecheck.json");
    this.#known = readJson(this.#path) as Record<string, boolean>;
  }

  async #id(m: GeneratedMutant): Promise<string> {
    let d = this.#digests.get(m.file);
    if (d === undefined) {
      d = await digest(Deno.readTextFileSync(join(this.copy, m.file)));
      this.#digests.set(m.file, d);
    }
    return `${m.key} @${d}`;
  }

  /** Whether `m` type-checks, if known. */
  async known(m: GeneratedMutant): Promise<boolean | undefined> {
    return this.#known[await this.#id(m)];
  }

  /**
   * Checks `batch` (at most one mutant a file) in one run, and again alone the mutants an error
   * cannot be charged to for sure.
   */
  async checkBatch(batch: GeneratedMutant[]): Promise<void> {
    const originals = batch.map((m) => Deno.readTextFileSync(join(this.copy, m.file)));
    batch.forEach((m, i) =>
      Deno.writeTextFileSync(join(this.copy, m.file), applyMutant(originals[i]!, m))
    );
    let blamed: Set<string> | null;
    try {
      blamed = await check(this.copy, batch.map((m) => m.file));
    } finally {
      batch.forEach((m, i) => Deno.writeTextFileSync(join(this.copy, m.file), originals[i]!));
    }
    // An error in a mutated file is charged to its mutant (a mutant that breaks another mutated
    // file, not itself, would change a type: rare once type members are not dropped). One in a
    // file no mutant touched could follow from any mutant of a file it loads: those are checked
    // again alone; one outside the graph (a library's) could follow from any.
    const files = new Set(batch.map((m) => m.file));
    const elsewhere = blamed === null ? [] : [...blamed].filter((f) => !files.has(f));
    for (const m of batch) {
      const suspect = elsewhere.some((f) => !this.graph.has(f) || loads(this.graph, f, m.file));
      if (suspect && batch.length > 1) await this.checkBatch([m]);
      else this.#known[await this.#id(m)] = blamed === null || (!suspect && !blamed.has(m.file));
    }
    Deno.mkdirSync(dirname(this.#path), { recursive: true });
    Deno.writeTextFileSync(this.#path, JSON.stringify(this.#known));
  }
}
