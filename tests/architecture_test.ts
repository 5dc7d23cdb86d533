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
 * What each part may not import. The neutral modules (src/*.ts: addresses, error and log text)
 * are open to all; src/daemon and src/cli wire everything together and may import anything.
 */
const FORBIDDEN_IMPORTS: ReadonlyArray<readonly [string, readonly string[]]> = [
  // The C edge stands alone: plain values in and out, nothing of the daemon's.
  ["ffi", ["src"]],
  // Codecs: bytes <-> values, below everything else.
  ["src/wire", ["src/serve", "src/bindings", "src/config", "src/daemon", "src/cli", "ffi"]],
  // Responders: pure, given the binding and settings; no edges.
  ["src/serve", ["src/daemon", "src/cli", "ffi"]],
  // Files an operator writes: parsed without knowing packets or responders.
  ["src/bindings", ["src/wire", "src/serve", "src/config", "src/daemon", "src/cli"]],
  ["src/config", ["src/wire", "src/serve", "src/bindings", "src/daemon", "src/cli", "ffi"]],
];

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

Deno.test("each part imports only what it may: ffi/ nothing from src/, src/wire no other part...", () => {
  const found = FORBIDDEN_IMPORTS.flatMap(([part, forbidden]) =>
    tsFiles(part).flatMap((file) =>
      importsInto(file, Deno.readTextFileSync(join(ROOT, file)), forbidden)
    )
  );
  assert.deepEqual(found, []);
});
