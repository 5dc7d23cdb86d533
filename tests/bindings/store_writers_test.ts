/** Tests for the binding store against the ways real tools write files, on a real directory. */
import assert from "node:assert/strict";
import type { Binding } from "../../src/bindings/binding.ts";
import { BindingStore } from "../../src/bindings/store.ts";

const mac = (n: number) => `52:54:00:00:00:${n.toString(16).padStart(2, "0")}`;
const bindingText = (n: number) => `MAC=${mac(n)}\nIP=10.0.0.${n}\nSUBNET=10.0.0.0/24\n`;

interface Ctx {
  readonly dir: string;
  readonly store: BindingStore;
  readonly changes: Array<[string, Binding | undefined]>;
  readonly logged: string[];
}

async function withStore(body: (ctx: Ctx) => Promise<void>, stuckMs?: number): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-writers-" });
  const logged: string[] = [];
  const at = (level: string) => (message: string) => logged.push(`${level}: ${message}`);
  const log = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  const store = new BindingStore(dir, log, { checkMs: 50, stuckMs });
  const changes: Array<[string, Binding | undefined]> = [];
  try {
    store.onChange((tap, binding) => changes.push([tap, binding]));
    store.watch();
    await store.load();
    await body({ dir, store, changes, logged });
  } finally {
    await store.close();
    Deno.removeSync(dir, { recursive: true });
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Where writers keep their source files: outside the binding directory. */
const SRC = Deno.makeTempDirSync({ prefix: "nfdhcpd-writers-src-" });
globalThis.addEventListener("unload", () => Deno.removeSync(SRC, { recursive: true }));

async function sh(script: string, cwd: string): Promise<void> {
  const out = await new Deno.Command("sh", {
    args: ["-ec", script],
    cwd,
    env: { SRC },
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

const ipOf = (store: BindingStore, tap: string) => store.get(tap)?.ip;
const ip = (n: number) => (10 << 24) + n;

// Each writer writes version 1, then version 2; the store must end up serving version 2.
const WRITERS: ReadonlyArray<readonly [string, (n: number) => string]> = [
  ["a redirect", (n) => `printf '${bindingText(n)}' > tap1`],
  ["sed -i", (n) => `sed -i 's/^IP=.*/IP=10.0.0.${n}/; s/^MAC=.*/MAC=${mac(n)}/' tap1`],
  ["cp", (n) => `printf '${bindingText(n)}' > "$SRC/v${n}"; cp "$SRC/v${n}" tap1`],
  [
    "install -m 644",
    (n) => `printf '${bindingText(n)}' > "$SRC/v${n}"; install -m 644 "$SRC/v${n}" tap1`,
  ],
  ["a temporary file and mv", (n) => `printf '${bindingText(n)}' > .tap1.tmp; mv .tap1.tmp tap1`],
  [
    "a write then chmod 600, chmod 644",
    (n) => `printf '${bindingText(n)}' > tap1; chmod 600 tap1; chmod 644 tap1`,
  ],
  [
    "a write then chown and touch",
    (n) => `printf '${bindingText(n)}' > tap1; chown 0:0 tap1; touch tap1`,
  ],
  [
    "Python's write and rename",
    (n) =>
      `python3 -c 'import os,tempfile; fd,p=tempfile.mkstemp(dir="."); os.write(fd,b"""${
        bindingText(n)
      }"""); os.close(fd); os.chmod(p,0o644); os.rename(p,"tap1")'`,
  ],
];

for (const [writer, write] of WRITERS) {
  Deno.test(`BindingStore serves each new version of a file written by ${writer}`, async () => {
    await withStore(async ({ dir, store }) => {
      // sed -i needs a file to edit: the first version comes from a plain write.
      await sh(`printf '${bindingText(1)}' > tap1`, dir);
      await waitFor("version 1", () => ipOf(store, "tap1") === ip(1));
      for (const n of [2, 3]) {
        await sh(write(n), dir);
        await waitFor(`version ${n}`, () => ipOf(store, "tap1") === ip(n));
      }
    });
  });
}

Deno.test("BindingStore neither re-parses nor announces a file whose content did not change", async () => {
  await withStore(async ({ dir, store, changes }) => {
    await sh(`printf '${bindingText(1)}' > tap1`, dir);
    await waitFor("tap1", () => ipOf(store, "tap1") === ip(1));
    const served = store.get("tap1");
    await sh("chmod 600 tap1; chmod 644 tap1; touch tap1; chown 0:0 tap1", dir);
    await waitFor("the chmods seen", () => store.unsettled().has("tap1"), 1000);
    await waitFor("nothing unsettled", () => store.unsettled().size === 0);
    assert.equal(changes.length, 1);
    assert.equal(store.get("tap1"), served, "the same binding object: nothing re-parsed");
  });
});

Deno.test("BindingStore reads a file written through a descriptor kept open, and on reload", async () => {
  await withStore(async ({ dir, store }) => {
    const file = Deno.openSync(`${dir}/tap1`, { write: true, create: true });
    try {
      file.writeSync(new TextEncoder().encode(bindingText(1)));
      // No close: the file is read once it stops changing.
      await waitFor("tap1 without a close", () => ipOf(store, "tap1") === ip(1));
      file.truncateSync(0);
      file.seekSync(0, Deno.SeekMode.Start);
      file.writeSync(new TextEncoder().encode(bindingText(2)));
    } finally {
      file.close();
    }
    await store.load(); // SIGHUP reads it now, whatever the watcher said.
    assert.ok([ip(1), ip(2)].includes(ipOf(store, "tap1")!));
    await waitFor("tap1 version 2", () => ipOf(store, "tap1") === ip(2));
  });
});

Deno.test("BindingStore reports a file that never stops changing and serves its last version", async () => {
  await withStore(async ({ dir, store, logged }) => {
    await sh(`printf '${bindingText(1)}' > tap1`, dir);
    await waitFor("tap1", () => ipOf(store, "tap1") === ip(1));
    const until = performance.now() + 1500;
    let n = 0;
    while (performance.now() < until) {
      Deno.writeTextFileSync(`${dir}/tap1`, `${bindingText(1)}# ${n++}\n`.slice(0, 30));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(logged.some((l) => /^warn: Binding file .*\/tap1 has not stopped changing/.test(l)));
    assert.equal(ipOf(store, "tap1"), ip(1), "the last complete version is still served");
    assert.ok(store.unsettled().has("tap1"));
    Deno.writeTextFileSync(`${dir}/tap1`, bindingText(2));
    await waitFor("tap1 settled", () => ipOf(store, "tap1") === ip(2));
  }, 500);
});

Deno.test("BindingStore keys a binding by its file name as it is, escaping it only in the log", async () => {
  await withStore(async ({ dir, store, logged }) => {
    const name = "tap\\1\u001b";
    Deno.writeTextFileSync(`${dir}/${name}`, bindingText(4));
    Deno.writeTextFileSync(`${dir}/bad\\2`, "MAC=zz\n");
    await waitFor("the odd name", () => ipOf(store, name) === ip(4));
    assert.equal(store.get(name)?.tap, name);
    assert.equal(store.get("tap\\\\1\\u001b"), undefined);
    await waitFor("the bad file's error", () => logged.some((l) => l.startsWith("error:")));
    assert.ok(
      logged.some((l) => l.includes("Cannot parse binding bad\\\\2 line 1")),
      logged.join("\n"),
    );
  });
});

Deno.test("BindingStore never takes editors' and tools' temporary files as bindings", async () => {
  await withStore(async ({ dir, store }) => {
    const names = [
      ".tap1.swp",
      "tap1~",
      "tap1.tmp",
      "tap1.dpkg-new",
      "tap1.dpkg-tmp",
      "tap1.puppettmp_42",
      "#tap1#",
      "tap1.ucf-dist",
    ];
    for (const name of names) Deno.writeTextFileSync(`${dir}/${name}`, bindingText(5));
    Deno.writeTextFileSync(`${dir}/tap9`, bindingText(9));
    await waitFor("tap9", () => store.get("tap9") !== undefined);
    await store.load();
    assert.deepEqual([...store.all()].map((b) => b.tap), ["tap9"]);
  });
});
