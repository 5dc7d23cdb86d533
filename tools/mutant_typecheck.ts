/**
 * Which generated mutants type-check, for tools/mutants_generated.ts: many at once (each in its
 * own copy of its file, one `deno check` of all the copies, each error charged to the copy it is
 * in), remembered across runs in bin/mutants-typecheck.json keyed by the mutant and its file's
 * text.
 */
import { basename, dirname, join } from "node:path";
import type { GeneratedMutant } from "./mutant_gen.ts";

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

  /** `copy` is the copy of the tree the checks run in. */
  constructor(root: string, readonly copy: string) {
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
   * Checks `batch` in one run: each mutant is written to a copy of its file beside it (so that its
   * imports resolve as the file's do; nothing imports the copy), and an error is charged to the
   * mutant of the copy it is in.
   */
  async checkBatch(batch: GeneratedMutant[]): Promise<void> {
    const copies = batch.map((m, i) => {
      const copy = join(dirname(m.file), `.mutant${i}.${basename(m.file)}`);
      const original = Deno.readTextFileSync(join(this.copy, m.file));
      Deno.writeTextFileSync(join(this.copy, copy), applyMutant(original, m));
      return copy;
    });
    // A file that does not parse ends the check before the others are type-checked, so the
    // check runs again without the files it blamed until the rest pass or it blames none of them.
    const failed = new Set<string>();
    try {
      let pending = copies;
      while (pending.length > 0) {
        const blamed = await check(this.copy, pending);
        if (blamed === null) break;
        const charged = pending.filter((copy) => blamed.has(copy));
        // An error in none of the copies cannot be charged to one: all of them fail.
        for (const copy of charged.length > 0 ? charged : pending) failed.add(copy);
        pending = pending.filter((copy) => !failed.has(copy));
      }
    } finally {
      for (const copy of copies) Deno.removeSync(join(this.copy, copy));
    }
    for (const [i, m] of batch.entries()) {
      this.#known[await this.#id(m)] = !failed.has(copies[i]!);
    }
    Deno.mkdirSync(dirname(this.#path), { recursive: true });
    Deno.writeTextFileSync(this.#path, JSON.stringify(this.#known));
  }
}
