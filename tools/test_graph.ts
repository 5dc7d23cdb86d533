/**
 * Which unit test files load a module, for tools/mutants.ts: the static and dynamic imports of
 * every TypeScript file of the tree, followed transitively from each test file. A test that runs
 * main.ts as a process (it names "main.ts") counts as loading it.
 */
import { dirname, join, normalize } from "node:path";

const IMPORT =
  /(?:\bimport|\bexport)\b[^;"]*?\bfrom\s*"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)|\bimport\s+"([^"]+)"/g;

function walk(root: string, dir: string, out: string[]): void {
  for (const entry of Deno.readDirSync(join(root, dir))) {
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory) {
      if (![".git", ".tools", "bin", "node_modules"].includes(entry.name)) walk(root, path, out);
    } else if (entry.isFile && entry.name.endsWith(".ts")) out.push(path);
  }
}

/** Each file's direct imports (paths relative to `root`), local files only. */
export function importGraph(root: string): Map<string, string[]> {
  const files: string[] = [];
  walk(root, "", files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = Deno.readTextFileSync(join(root, file));
    const deps: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (spec.startsWith(".")) deps.push(normalize(join(dirname(file), spec)));
    }
    if (file.startsWith("tests/") && /\bmain\.ts\b/.test(text)) deps.push("main.ts");
    graph.set(file, deps);
  }
  return graph;
}

/** Whether `from` is `module` or imports it, directly or through other modules. */
export function loads(graph: Map<string, string[]>, from: string, module: string): boolean {
  const target = normalize(module);
  const seen = new Set<string>();
  const stack = [normalize(from)];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (file === target) return true;
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...(graph.get(file) ?? []));
  }
  return false;
}

/** The unit test files among `tests` that load `module`, directly or through other modules. */
export function testsLoading(
  graph: Map<string, string[]>,
  tests: readonly string[],
  module: string,
): string[] {
  return tests.filter((t) => loads(graph, t, module));
}
