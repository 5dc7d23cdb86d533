/**
 * The architecture's rules, checked on the sources: the pure layers (src/wire, src/serve,
 * src/bindings) hold no module-level mutable state, nothing the daemon ships imports tests/, and
 * each part imports only the parts below it (see README, "Development").
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PURE_LAYERS = ["src/wire", "src/serve", "src/bindings"];
/** What the daemon is built from, and the lab, demo and bench: none of it may import from tests/. */
const SHIPPED = ["src", "ffi", "main.ts", "lab", "demo", "bench"];

/**
 * Module-level collections that are allowed: lookup tables filled once and never changed. Each is
 * "file:name", with why it may stay.
 */
const ALLOWED_COLLECTIONS = new Set([
  // The keys a binding file may hold, and the values that read as "no": never changed.
  "src/bindings/binding.ts:KNOWN_KEYS",
  "src/bindings/binding.ts:FALSE_LOOKING",
  // The keys whose bad value rejects the whole file: never changed.
  "src/bindings/binding.ts:FATAL_KEYS",
]);

function tsFiles(path: string): string[] {
  const full = join(ROOT, path);
  if (Deno.statSync(full).isFile) return [path];
  const files: string[] = [];
  for (const entry of Deno.readDirSync(full)) {
    const child = `${path}/${entry.name}`;
    if (entry.isDirectory) files.push(...tsFiles(child));
    else if (entry.name.endsWith(".ts")) files.push(child);
  }
  return files.sort();
}

const TOP_LEVEL_BINDING = /^(?:export\s+)?(let|var)\s+(\w+)/;
const TOP_LEVEL_COLLECTION =
  /^(?:export\s+)?const\s+(\w+)\s*(?::[^=]+)?=\s*new\s+(Map|WeakMap|Set|WeakSet|WeakRef)\b/;

/**
 * The module-level mutable state in `source` (a file's text): `let`/`var` declarations, any
 * `ArrayBuffer` made at the top level, and collections not on the allow-list. Top level means a
 * statement starting in column 0, which `deno fmt` guarantees for every top-level statement and
 * for nothing nested.
 */
export function moduleState(file: string, source: string): string[] {
  const found: string[] = [];
  source.split("\n").forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    const binding = TOP_LEVEL_BINDING.exec(line);
    if (binding) found.push(`${where}: module-level ${binding[1]} ${binding[2]}`);
    const collection = TOP_LEVEL_COLLECTION.exec(line);
    if (collection && !ALLOWED_COLLECTIONS.has(`${file}:${collection[1]}`)) {
      found.push(`${where}: module-level ${collection[2]} ${collection[1]}`);
    }
    if (/^\S/.test(line) && /\bArrayBuffer\s*\(/.test(line)) {
      found.push(`${where}: module-level ArrayBuffer`);
    }
  });
  return found;
}

const IMPORT =
  /(?:^|\s)(?:import|export)\b[^"']*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm;

/** True for a module every part may import: a file directly in src/ (address, error and log text). */
const isNeutral = (target: string) => /^src\/[^/]+\.ts$/.test(target);

/** The relative imports of `file` (its text is `source`) whose target `allowed` refuses. */
export function importsNotAllowed(
  file: string,
  source: string,
  allowed: (target: string) => boolean,
): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2] ?? match[3]!;
    if (!specifier.startsWith(".")) continue;
    if (!allowed(relative(ROOT, resolve(ROOT, dirname(file), specifier)))) {
      found.push(`${file}: ${specifier}`);
    }
  }
  return found;
}

/** The relative imports of `file` (its text is `source`) that resolve into one of `folders`. */
export function importsInto(file: string, source: string, folders: readonly string[]): string[] {
  return importsNotAllowed(
    file,
    source,
    (target) => !folders.some((f) => target === f || target.startsWith(`${f}/`)),
  );
}

/** The relative imports of `file` (its text is `source`) that resolve into tests/. */
export function importsFromTests(file: string, source: string): string[] {
  return importsInto(file, source, ["tests"]);
}

/**
 * What each part may import besides itself and the neutral modules (src/*.ts: addresses, error
 * and log text; all but ffi/ may import those), from the bottom up: every folder of src/ has a row (a new folder fails the test
 * below until it is given one), and no row names a part above it, so no import runs back up.
 */
export const ALLOWED_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  // The C edge stands alone: plain values in and out, nothing of the daemon's.
  "ffi": [],
  // Codecs: bytes <-> values, below everything else.
  "src/wire": [],
  // Files an operator writes: parsed without knowing packets or responders (the store reads
  // files through its ffi edge).
  "src/config": [],
  "src/bindings": ["ffi"],
  // Responders, the service table and the packet decision: pure, given bindings and settings.
  "src/serve": ["src/wire", "src/bindings", "src/config"],
  // Counters, the trace event and the status report's shape; Prometheus text.
  "src/metrics": ["src/serve", "src/wire", "src/config"],
  // The firewall rules a configuration needs, from the service table.
  "src/firewall": ["src/serve", "src/config"],
  // Capture files.
  "src/pcap": ["src/wire"],
  // Offline replay of a capture through the packet decision.
  "src/replay": ["src/serve", "src/wire", "src/bindings", "src/config", "src/pcap"],
  // The control socket: protocol, server, reports from the counters.
  "src/control": ["ffi", "src/metrics", "src/serve", "src/wire", "src/bindings", "src/config"],
  // The running daemon wires everything but the subcommands and the offline tools together.
  "src/daemon": [
    "ffi",
    "src/control",
    "src/metrics",
    "src/serve",
    "src/wire",
    "src/bindings",
    "src/config",
  ],
  // Subcommands: everything.
  "src/cli": [
    "ffi",
    "src/daemon",
    "src/control",
    "src/metrics",
    "src/firewall",
    "src/replay",
    "src/pcap",
    "src/serve",
    "src/wire",
    "src/bindings",
    "src/config",
  ],
};

/** The part (a key of ALLOWED_IMPORTS) a file belongs to, or null for a neutral module. */
function partOf(file: string): string | null {
  if (isNeutral(file)) return null;
  return file.startsWith("ffi/") ? "ffi" : file.split("/").slice(0, 2).join("/");
}

/** Whether `file` may import `target` by ALLOWED_IMPORTS. */
export function mayImport(file: string, target: string): boolean {
  const from = partOf(file);
  const to = partOf(target);
  // The C edge stands alone: not even the neutral modules.
  if (from === "ffi") return to === "ffi";
  if (to === null || to === from) return true;
  if (from === null) return false; // a neutral module imports only neutral ones
  return (ALLOWED_IMPORTS[from] ?? []).includes(to);
}

/** The relative imports of the files in `sources` (path -> text) that resolve to one another's files, both ways. */
export function mutualImports(sources: ReadonlyMap<string, string>): string[] {
  const targets = new Map<string, Set<string>>();
  for (const [file, source] of sources) {
    const found = new Set<string>();
    for (const match of source.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      if (specifier.startsWith(".")) {
        found.add(relative(ROOT, resolve(ROOT, dirname(file), specifier)));
      }
    }
    targets.set(file, found);
  }
  const pairs: string[] = [];
  for (const [file, found] of targets) {
    for (const target of found) {
      if (file < target && targets.get(target)?.has(file)) pairs.push(`${file} <-> ${target}`);
    }
  }
  return pairs;
}

Deno.test("moduleState() finds let, var, ArrayBuffers and unlisted collections at the top level only", () => {
  const planted = [
    "let block = new ArrayBuffer(65536);",
    "export var count = 0;",
    "const cache = new WeakMap<Binding, Uint8Array>();",
    "const labels: Map<string, string> = new Map();",
    "const KNOWN_KEYS = new Set();",
    "function f() {",
    "  let local = 0;",
    "  const inner = new Map();",
    "}",
    "class C {",
    "  #block = new ArrayBuffer(8);",
    "}",
  ].join("\n");
  assert.deepEqual(moduleState("src/wire/x.ts", planted), [
    "src/wire/x.ts:1: module-level let block",
    "src/wire/x.ts:1: module-level ArrayBuffer",
    "src/wire/x.ts:2: module-level var count",
    "src/wire/x.ts:3: module-level WeakMap cache",
    "src/wire/x.ts:4: module-level Map labels",
    "src/wire/x.ts:5: module-level Set KNOWN_KEYS",
  ]);
  assert.deepEqual(moduleState("src/bindings/binding.ts", "const KNOWN_KEYS = new Set([]);"), []);
});

Deno.test("src/wire, src/serve and src/bindings hold no module-level mutable state", () => {
  const found = PURE_LAYERS.flatMap(tsFiles).flatMap((file) =>
    moduleState(file, Deno.readTextFileSync(join(ROOT, file)))
  );
  assert.deepEqual(found, [], "caches, slabs and tables belong to an object the daemon owns");
});

Deno.test("importsFromTests() finds static, dynamic and re-exporting imports into tests/", () => {
  const planted = [
    'import { x } from "../../tests/integration/proc.ts";',
    'import type {\n  Y,\n} from "../../tests/pcap.ts";',
    'export { z } from "../../tests/a.ts";',
    'const m = await import("../../tests/b.ts");',
    'import { ok } from "../log.ts";',
    'import { testsLike } from "../tests_like.ts";',
    'import { outside } from "../../../tests/c.ts";',
  ].join("\n");
  assert.deepEqual(importsFromTests("src/daemon/x.ts", planted), [
    "src/daemon/x.ts: ../../tests/integration/proc.ts",
    "src/daemon/x.ts: ../../tests/pcap.ts",
    "src/daemon/x.ts: ../../tests/a.ts",
    "src/daemon/x.ts: ../../tests/b.ts",
  ]);
});

Deno.test("src/, ffi/, main.ts, lab/, demo/ and bench/ import nothing from tests/", () => {
  const found = SHIPPED.flatMap(tsFiles).flatMap((file) =>
    importsFromTests(file, Deno.readTextFileSync(join(ROOT, file)))
  );
  assert.deepEqual(found, []);
});

Deno.test("src/wire imports only src/wire and the neutral modules, whatever folders are added", () => {
  const allowed = (target: string) => target.startsWith("src/wire/") || isNeutral(target);
  assert.deepEqual(
    importsNotAllowed(
      "src/wire/x.ts",
      'import { a } from "./ipv6.ts";\nimport { b } from "../address.ts";\n' +
        'import { c } from "../metrics/d.ts";\nimport { e } from "../../ffi/f.ts";',
      allowed,
    ),
    ["src/wire/x.ts: ../metrics/d.ts", "src/wire/x.ts: ../../ffi/f.ts"],
  );
  const found = tsFiles("src/wire").flatMap((file) =>
    importsNotAllowed(file, Deno.readTextFileSync(join(ROOT, file)), allowed)
  );
  assert.deepEqual(found, []);
});

Deno.test("importsInto() finds imports into the given folders only, not into look-alike names", () => {
  const planted = [
    'import { errorMessage } from "../src/error_message.ts";',
    'import { x } from "../srcs/x.ts";',
    'import { LIBC } from "./libc.ts";',
    'export * from "../src/wire/ipv6.ts";',
  ].join("\n");
  assert.deepEqual(importsInto("ffi/native.ts", planted, ["src"]), [
    "ffi/native.ts: ../src/error_message.ts",
    "ffi/native.ts: ../src/wire/ipv6.ts",
  ]);
  assert.deepEqual(
    importsInto("src/wire/a.ts", 'import { b } from "../address.ts";', ["src/serve"]),
    [],
  );
});

Deno.test("every folder of src/ has its import rule, and no rule lets a part import one above it", () => {
  const folders = [...Deno.readDirSync(join(ROOT, "src"))].filter((e) => e.isDirectory)
    .map((e) => `src/${e.name}`).sort();
  assert.deepEqual(folders.filter((f) => !(f in ALLOWED_IMPORTS)), []);
  // Bottom up: a part may import only parts listed before it.
  const order = Object.keys(ALLOWED_IMPORTS);
  const upward = order.flatMap((part, i) =>
    ALLOWED_IMPORTS[part]!.filter((to) => order.indexOf(to) >= i).map((to) => `${part} -> ${to}`)
  );
  assert.deepEqual(upward, []);
});

Deno.test("mayImport() and mutualImports() catch an import back up and two files importing each other", () => {
  assert.equal(mayImport("src/control/x.ts", "src/daemon/dispatch.ts"), false);
  assert.equal(mayImport("src/metrics/x.ts", "src/control/protocol.ts"), false);
  assert.equal(mayImport("src/replay/x.ts", "src/serve/decide.ts"), true);
  assert.equal(mayImport("src/address.ts", "src/wire/ipv6.ts"), false);
  assert.equal(mayImport("ffi/x.ts", "src/error_message.ts"), false);
  assert.deepEqual(
    mutualImports(
      new Map([
        ["src/serve/a.ts", 'import { b } from "./b.ts";'],
        ["src/serve/b.ts", 'import type { a } from "./a.ts";'],
        ["src/serve/c.ts", 'import { a } from "./a.ts";'],
      ]),
    ),
    ["src/serve/a.ts <-> src/serve/b.ts"],
  );
});

Deno.test("each part imports only what its rule allows: ffi/ nothing from src/, src/wire no other part...", () => {
  const found = [...Object.keys(ALLOWED_IMPORTS), "src"].flatMap((part) =>
    (part === "src" ? tsFiles("src").filter(isNeutral) : tsFiles(part)).flatMap((file) =>
      importsNotAllowed(
        file,
        Deno.readTextFileSync(join(ROOT, file)),
        (target) => mayImport(file, target),
      )
    )
  );
  assert.deepEqual(found, []);
});

Deno.test("no two files of src/ and ffi/ import each other", () => {
  const files = [...tsFiles("src"), ...tsFiles("ffi")];
  const sources = new Map(files.map((f) => [f, Deno.readTextFileSync(join(ROOT, f))]));
  assert.deepEqual(mutualImports(sources), []);
});
