/**
 * The per-folder summary of `make coverage`: lines, branches and functions hit, summed from
 * lcov's per-file counts, and the modules that no unit test loads (imports, or runs in a
 * process: main.ts), which only the generated import-everything test loads.
 */
import { dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { importGraph, loads } from "./test_graph.ts";

interface Counts {
  files: number;
  lines: [hit: number, found: number];
  branches: [hit: number, found: number];
  functions: [hit: number, found: number];
}

/** Sums lcov.info's LH/LF, BRH/BRF and FNH/FNF per folder of `root` (src/wire, ffi...). */
export function coverageByFolder(lcov: string, root: string): Map<string, Counts> {
  const folders = new Map<string, Counts>();
  let current: Counts | undefined;
  for (const line of lcov.split("\n")) {
    const [tag, value = ""] = line.split(":", 2) as [string, string?];
    if (tag === "SF") {
      const path = value.startsWith("file://") ? fileURLToPath(value) : value;
      const folder = dirname(relative(root, path));
      current = folders.get(folder);
      if (current === undefined) {
        current = { files: 0, lines: [0, 0], branches: [0, 0], functions: [0, 0] };
        folders.set(folder, current);
      }
      current.files++;
      continue;
    }
    if (current === undefined) continue;
    const n = Number(value);
    if (tag === "LH") current.lines[0] += n;
    else if (tag === "LF") current.lines[1] += n;
    else if (tag === "BRH") current.branches[0] += n;
    else if (tag === "BRF") current.branches[1] += n;
    else if (tag === "FNH") current.functions[0] += n;
    else if (tag === "FNF") current.functions[1] += n;
  }
  return new Map([...folders].sort(([a], [b]) => a.localeCompare(b)));
}

const percent = ([hit, found]: [number, number]) =>
  found === 0 ? "   -   " : `${(100 * hit / found).toFixed(1).padStart(5)} %`;

/** The table `make coverage` prints last, with a total line. */
export function folderTable(folders: Map<string, Counts>): string {
  const total: Counts = { files: 0, lines: [0, 0], branches: [0, 0], functions: [0, 0] };
  const rows = ["folder          files    lines  branches  functions"];
  const row = (name: string, c: Counts) =>
    `${name.padEnd(15)} ${String(c.files).padStart(5)}  ${percent(c.lines)}  ${
      percent(c.branches)
    }    ${percent(c.functions)}`;
  for (const [name, c] of folders) {
    rows.push(row(name, c));
    total.files += c.files;
    for (const k of ["lines", "branches", "functions"] as const) {
      total[k][0] += c[k][0];
      total[k][1] += c[k][1];
    }
  }
  rows.push(row("all", total));
  return rows.join("\n");
}

/**
 * The modules of `modules` that no file of `unitTests` loads: imports, directly or through
 * others, or runs as a process (a test naming main.ts; tools/coverage.ts collects those
 * processes' coverage too).
 */
export function modulesNoUnitTestLoads(
  root: string,
  modules: readonly string[],
  unitTests: readonly string[],
): string[] {
  const graph = importGraph(root);
  return modules.filter((m) => !unitTests.some((t) => loads(graph, t, m)));
}
