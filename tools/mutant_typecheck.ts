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
   * Checks `batch` (at most one mutant a file) in one run. An error in a file can follow from the
   * mutant of any file it loads (itself included): those mutants are checked again, bisected when
   * every one is a suspect; the others type-check.
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
    // An error in a file outside the graph (a library's, say) could follow from any mutant.
    const suspects = batch.filter((m) =>
      blamed !== null &&
      [...blamed].some((f) => !this.graph.has(f) || loads(this.graph, f, m.file))
    );
    for (const m of batch) {
      if (!suspects.includes(m)) this.#known[await this.#id(m)] = true;
      else if (batch.length === 1) this.#known[await this.#id(m)] = false;
    }
    // Bisect the suspects: few mutants break the files they are charged to, most themselves.
    if (batch.length > 1 && suspects.length === batch.length) {
      const half = Math.ceil(batch.length / 2);
      await this.checkBatch(batch.slice(0, half));
      await this.checkBatch(batch.slice(half));
    } else if (batch.length > 1 && suspects.length > 0) await this.checkBatch(suspects);
    Deno.mkdirSync(dirname(this.#path), { recursive: true });
    Deno.writeTextFileSync(this.#path, JSON.stringify(this.#known));
  }
}
