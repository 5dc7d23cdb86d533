/** Tests for the binding store against a hostile or broken binding directory. */
import assert from "node:assert/strict";
import type { FileRead } from "../../ffi/regular_file.ts";
import { BindingStore, type BindingStoreOptions } from "../../src/bindings/store.ts";
import { escapeForLog } from "../../src/log_text.ts";
import { run } from "../../lab/proc.ts";
import { descriptorsOn } from "./descriptors.ts";

interface Logged {
  readonly level: string;
  readonly message: string;
}

const mac = (n: number) =>
  `52:54:00:00:${(n >> 8).toString(16).padStart(2, "0")}:${
    (n & 255).toString(16).padStart(2, "0")
  }`;
const bindingText = (n: number, extra = "") => `MAC=${mac(n)}\nHOSTNAME=vm${n}\n${extra}`;

async function withStore(
  files: Record<string, string>,
  body: (dir: string, store: BindingStore, logged: Logged[]) => Promise<void>,
  options: BindingStoreOptions = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-hard-" });
  const logged: Logged[] = [];
  const at = (level: string) => (message: string) => logged.push({ level, message });
  const log = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  const store = new BindingStore(dir, log, {
    checkMs: Number(Deno.env.get("CHECK_MS") ?? 30),
    ...options,
  });
  try {
    for (const [name, text] of Object.entries(files)) {
      Deno.writeTextFileSync(`${dir}/${name}`, text);
    }
    store.watch();
    await store.load();
    await body(dir, store, logged);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

Deno.test("BindingStore reports a FIFO at start and keeps following the directory after one is made", async () => {
  // In a child process, bounded: a FIFO that stalls Deno's watcher can block a whole thread
  // (src/bindings/directory_watch.ts), which no timer in this process could end.
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-fifo-" });
  const store = new URL("../../src/bindings/store.ts", import.meta.url).href;
  const script = `
    import assert from "node:assert/strict";
    import { BindingStore } from ${JSON.stringify(store)};
    const dir = ${JSON.stringify(dir)};
    const logged = [];
    const log = { debug() {}, info() {}, warn() {}, error: (m) => logged.push(m) };
    const mkfifo = (name) => {
      assert.ok(new Deno.Command("mkfifo", { args: [dir + "/" + name] }).outputSync().success);
    };
    const waitFor = async (what, condition) => {
      const until = performance.now() + 3000;
      while (!condition()) {
        if (performance.now() > until) assert.fail("timed out waiting for " + what);
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    Deno.writeTextFileSync(dir + "/tap0", ${JSON.stringify(bindingText(0))});
    mkfifo("tap7");
    const store = new BindingStore(dir, log, { checkMs: 30 });
    try {
      store.watch();
      await store.load(); // Read with a blocking open, a FIFO would never let it finish.
      assert.equal(store.size, 1);
      assert.ok(logged.some((m) => /tap7 is not used: it is a FIFO/.test(m)), logged.join("; "));
      // A FIFO made while watching stalls Deno's watcher until it is held.
      mkfifo("tap8");
      await new Promise((r) => setTimeout(r, 50));
      Deno.writeTextFileSync(dir + "/tap1", ${JSON.stringify(bindingText(1))});
      await waitFor("tap1 after a FIFO", () => store.get("tap1") !== undefined);
      await waitFor("tap8 reported", () => logged.some((m) => /tap8 is not used: it is a FIFO/.test(m)));
    } finally {
      await store.close();
    }
    console.log("followed");
  `;
  try {
    const out = await run([Deno.execPath(), "eval", script], { timeoutMs: 30_000 });
    assert.equal(out.stdout, "followed\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("BindingStore never serves a binding its writer has not finished", async () => {
  await withStore({}, async (dir, store) => {
    const file = await Deno.open(`${dir}/tap3`, { write: true, create: true });
    let sawPartial = false;
    store.onChange((_tap, b) => {
      if (b && b.ip === 0x0a630001) sawPartial = true;
    });
    try {
      await file.write(new TextEncoder().encode(`${bindingText(3)}IP=10.99.0.1`));
      const until = performance.now() + 200;
      while (performance.now() < until) {
        if (store.get("tap3") !== undefined) sawPartial = true;
        await new Promise((r) => setTimeout(r, 5));
      }
      await file.write(new TextEncoder().encode("23\n"));
    } finally {
      file.close();
    }
    await waitFor("tap3 complete", () => store.get("tap3")?.ip === 0x0a63007b);
    assert.equal(sawPartial, false);
  });
});

Deno.test("BindingStore survives its directory removed, replaced and renamed away", async () => {
  await withStore({ tap0: bindingText(0) }, async (dir, store, logged) => {
    await Deno.remove(dir, { recursive: true });
    await waitFor("withdrawn", () => store.size === 0);
    await Deno.mkdir(dir);
    Deno.writeTextFileSync(`${dir}/tap0`, bindingText(0));
    await waitFor("restored", () => store.get("tap0") !== undefined);
    Deno.writeTextFileSync(`${dir}/tap1`, bindingText(1));
    await waitFor("later edit", () => store.get("tap1") !== undefined);
    await Deno.rename(dir, `${dir}.away`);
    await Deno.mkdir(dir);
    Deno.writeTextFileSync(`${dir}/tap2`, bindingText(2));
    await waitFor("replacement", () => store.get("tap2") !== undefined && store.size === 1);
    await Deno.remove(`${dir}.away`, { recursive: true });
    assert.ok(logged.filter((l) => /is gone/.test(l.message)).length <= 2);
    await store.reload();
    assert.equal(store.get("tap2")?.macText, mac(2));
    assert.equal(store.size, 1);
  });
});

Deno.test("BindingStore refuses a huge file without reading it", async () => {
  await withStore({}, async (dir, store, logged) => {
    const file = await Deno.open(`${dir}/tap4`, { write: true, create: true });
    await file.truncate(2 ** 31); // Sparse: 2 GiB of zeros that take no disk.
    file.close();
    const refused = (l: Logged) =>
      /tap4 is not used: it is larger than 65536 bytes/.test(l.message);
    await waitFor("tap4 refused on its close", () => logged.some(refused));
    logged.length = 0;
    const start = performance.now();
    await store.load();
    assert.ok(performance.now() - start < 200, `load took ${performance.now() - start} ms`);
    assert.ok(
      logged.some(refused),
    );
  });
});

Deno.test("BindingStore never takes a symbolic link as a binding: at start, on events, on reload", async () => {
  const dir0 = await Deno.makeTempDir({ prefix: "nfdhcpd-link-" });
  Deno.writeTextFileSync(`${dir0}/target`, bindingText(5));
  try {
    await withStore({}, async (dir, store, logged) => {
      Deno.symlinkSync(`${dir0}/target`, `${dir}/tap5`);
      await store.reload();
      assert.equal(store.get("tap5"), undefined);
      // Deno reports no event for a link out of the directory; one to a file in it, it does.
      Deno.writeTextFileSync(`${dir}/.target`, bindingText(6));
      Deno.symlinkSync(`${dir}/.target`, `${dir}/tap6`);
      await waitFor(
        "tap6 reported",
        () => logged.some((l) => /tap6 is not used: it is a symbolic link/.test(l.message)),
      );
      assert.equal(store.get("tap6"), undefined);
      assert.ok(logged.some((l) => /tap5 is not used: it is a symbolic link/.test(l.message)));
    });
    // At start.
    const start = await Deno.makeTempDir({ prefix: "nfdhcpd-link-" });
    Deno.symlinkSync(`${dir0}/target`, `${start}/tap7`);
    const store = new BindingStore(start, { debug() {}, info() {}, warn() {}, error() {} });
    await store.load();
    assert.equal(store.size, 0);
    await store.close();
    await Deno.remove(start, { recursive: true });
  } finally {
    await Deno.remove(dir0, { recursive: true });
  }
});

Deno.test("BindingStore logs a summary, not a line per file, and limits per-file errors", async () => {
  await withStore({}, async (dir, store, logged) => {
    for (let n = 0; n < 1500; n++) Deno.writeTextFileSync(`${dir}/tap${n}`, bindingText(n));
    for (let n = 0; n < 200; n++) Deno.writeTextFileSync(`${dir}/bad${n}`, "MAC=zz\n");
    Deno.writeTextFileSync(`${dir}/x\u001b[2J`, "junk");
    await waitFor("1500 bindings", () => store.size === 1500, 10000);
    await store.load();
    const info = logged.filter((l) => l.level === "info").length;
    const errors = logged.filter((l) => l.level === "error").length;
    assert.ok(info < 100, `${info} info lines`);
    assert.ok(errors < 200, `${errors} error lines`);
    assert.ok(
      logged.some((l) =>
        /^Loaded 1500 bindings from .*: 0 added, 0 updated, 0 removed, 201 rejected, 1500 unchanged$/
          .test(l.message)
      ),
    );
    // deno-lint-ignore no-control-regex
    assert.ok(logged.every((l) => !/[\u0000-\u001f]/.test(l.message)), "control characters logged");
  });
});

Deno.test("BindingStore keeps the newest read when reads finish out of order", async () => {
  let calls = 0;
  let releaseFirst: () => void = () => {};
  const readFile = async (path: string): Promise<FileRead> => {
    const text = Deno.readTextFileSync(path);
    if (path.endsWith("/tap0") && ++calls === 2) {
      await new Promise<void>((r) => (releaseFirst = r)); // The older read finishes last.
    }
    return { kind: "text", text };
  };
  await withStore({ tap0: bindingText(0) }, async (dir, store) => {
    try {
      Deno.writeTextFileSync(`${dir}/tap0`, bindingText(1));
      await waitFor("second read started", () => calls === 2);
      Deno.writeTextFileSync(`${dir}/tap0`, bindingText(2));
      await waitFor("newest", () => store.get("tap0")?.macText === mac(2));
    } finally {
      releaseFirst(); // Also on a failure: close() waits for the reads under way.
    }
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(store.get("tap0")?.macText, mac(2));
  }, { readFile });
});

Deno.test("BindingStore refuses a file whose read throws, naming the error, and loads the others", async () => {
  const readFile = (path: string): FileRead => {
    if (path.endsWith("/tap1")) throw new Error("the disk said no");
    return { kind: "text", text: Deno.readTextFileSync(path) };
  };
  await withStore({ tap0: bindingText(0), tap1: bindingText(1) }, (_dir, store, logged) => {
    assert.equal(store.get("tap0")?.macText, mac(0));
    assert.equal(store.get("tap1"), undefined);
    assert.ok(
      logged.some((l) => /tap1 is not used: the disk said no/.test(l.message)),
      logged.map((l) => l.message).join("; "),
    );
    return Promise.resolve();
  }, { readFile });
});

Deno.test("BindingStore's load summary counts a rewritten binding as updated, a new one as added", async () => {
  await withStore({ tap0: bindingText(0) }, async (dir, store, logged) => {
    // Read by load() at once, long before the watch's settle delay is over.
    Deno.writeTextFileSync(`${dir}/tap0`, bindingText(0, "IP=10.0.0.5\n"));
    Deno.writeTextFileSync(`${dir}/tap1`, bindingText(1));
    await store.load();
    const summary = logged.filter((l) => l.message.startsWith("Loaded ")).pop()?.message;
    assert.match(summary ?? "", /: 1 added, 1 updated, 0 removed, 0 rejected, 0 unchanged$/);
    Deno.removeSync(`${dir}/tap1`);
    await store.load();
    assert.ok(
      logged.some((l) => l.level === "debug" && l.message === "Removed binding tap1: file removed"),
    );
  });
});

Deno.test("BindingStore.close() waits for a read under way", async () => {
  let release: () => void = () => {};
  let started = false;
  const readFile = async (path: string): Promise<FileRead> => {
    if (path.endsWith("/tap5")) {
      started = true;
      await new Promise<void>((r) => (release = r));
    }
    return { kind: "text", text: Deno.readTextFileSync(path) };
  };
  await withStore({}, async (dir, store) => {
    let closed = false;
    try {
      Deno.writeTextFileSync(`${dir}/tap5`, bindingText(5));
      await waitFor("the read of tap5", () => started);
      const closing = store.close().then(() => (closed = true));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(closed, false);
      release();
      await closing;
    } finally {
      release();
    }
  }, { readFile });
});

Deno.test("BindingStore.reload() after close() neither watches nor reads again", async () => {
  const read: string[] = [];
  const readFile = (path: string): FileRead => {
    read.push(path);
    return { kind: "text", text: Deno.readTextFileSync(path) };
  };
  await withStore({ tap0: bindingText(0) }, async (dir, store) => {
    await store.close();
    read.length = 0;
    Deno.writeTextFileSync(`${dir}/tap0`, bindingText(1));
    // A FIFO a watch made again would hold.
    await run(["mkfifo", `${dir}/tap9`], { timeoutMs: 10_000 });
    await store.reload();
    assert.deepEqual(read, []);
    assert.equal(store.get("tap0")?.macText, mac(0));
    assert.equal(descriptorsOn(`${dir}/tap9`), 0);
  }, { readFile });
});

Deno.test("BindingStore does not rescan everything when watch() follows load(): it catches up", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-hard-" });
  Deno.writeTextFileSync(`${dir}/tap0`, bindingText(0));
  const infos: string[] = [];
  const quiet = () => {};
  const store = new BindingStore(dir, {
    debug: quiet,
    info: (m) => infos.push(m),
    warn: quiet,
    error: quiet,
  });
  try {
    await store.load();
    store.watch();
    const rescans = () => infos.filter((m) => m.startsWith("Reloading every binding")).length;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rescans(), 0, infos.join("; "));
    assert.notEqual(store.get("tap0"), undefined);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("BindingStore closed during a load reads no further file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-hard-" });
  for (let n = 0; n < 3; n++) Deno.writeTextFileSync(`${dir}/tap${n}`, bindingText(n));
  const read: string[] = [];
  let release: () => void = () => {};
  const readFile = async (path: string): Promise<FileRead> => {
    read.push(path);
    if (read.length === 1) await new Promise<void>((r) => (release = r));
    return { kind: "text", text: Deno.readTextFileSync(path) };
  };
  const quiet = () => {};
  const infos: string[] = [];
  const log = { debug: quiet, info: (m: string) => infos.push(m), warn: quiet, error: quiet };
  const store = new BindingStore(dir, log, { readFile });
  try {
    const loading = store.load();
    await store.close();
    release();
    await loading;
    assert.equal(read.length, 1, read.join(", "));
    assert.equal(store.size, 0);
    // Cut short, it reports no load.
    assert.deepEqual(infos, []);
  } finally {
    release();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("escapeForLog() escapes control characters and leaves plain text alone", () => {
  assert.equal(escapeForLog("tap0"), "tap0");
  assert.equal(escapeForLog("a\nb\u001b[2J\\"), "a\\nb\\u001b[2J\\\\");
  assert.equal(escapeForLog("x\u0085\u2028"), "x\\u0085\\u2028");
});

/** A watcher that reports only the events given to `send` (Deno's own reports none of a test's). */
function scriptedWatcher() {
  const queued: Deno.FsEvent[] = [];
  let wake = () => {};
  let closed = false;
  const events: AsyncIterableIterator<Deno.FsEvent> = {
    async next() {
      while (queued.length === 0 && !closed) await new Promise<void>((r) => wake = r);
      return closed ? { done: true, value: undefined } : { done: false, value: queued.shift()! };
    },
    [Symbol.asyncIterator]: () => events,
  };
  const watcher: Deno.FsWatcher = {
    close() {
      closed = true;
      wake();
    },
    [Symbol.asyncIterator]: () => events,
    [Symbol.dispose]: () => watcher.close(),
  };
  const send = (event: Deno.FsEvent) => {
    queued.push(event);
    wake();
  };
  return { watchFs: () => watcher, send };
}

Deno.test("BindingStore reloads every binding on lost watch events or an event of no known kind, and says why", async () => {
  const { watchFs, send } = scriptedWatcher();
  await withStore({ tap0: bindingText(0) }, async (dir, store, logged) => {
    const reloads = () =>
      logged.filter((l) => l.message.startsWith("Reloading every binding")).map((l) => l.message);
    // Changed with no event about it: only a reload of everything finds it.
    Deno.writeTextFileSync(`${dir}/tap0`, bindingText(1));
    send({ kind: "modify", paths: [], flag: "rescan" });
    await waitFor("the reload", () => store.get("tap0")?.macText === mac(1));
    assert.deepEqual(reloads(), [`Reloading every binding of ${dir}: watch events were lost`]);
    Deno.writeTextFileSync(`${dir}/tap0`, bindingText(2));
    send({ kind: "other", paths: [`${dir}/tap0`] });
    await waitFor("the second reload", () => store.get("tap0")?.macText === mac(2));
    assert.equal(reloads()[1], `Reloading every binding of ${dir}: other event`);
  }, { watchFs });
});

Deno.test("BindingStore sets no timer once every change is read: an idle store does not spin", async () => {
  await withStore({}, async (dir, store) => {
    Deno.writeTextFileSync(`${dir}/tap0`, bindingText(0));
    await waitFor("tap0", () => store.get("tap0") !== undefined);
    const realSetTimeout = globalThis.setTimeout;
    let timers = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timers++;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    try {
      await new Promise((resolve) => realSetTimeout(resolve, 100));
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    assert.equal(timers, 0);
  }, { settleMs: 5 });
});

Deno.test("BindingStore sums up each batch of changes in one line, and says nothing of a rewrite that changed nothing", async () => {
  await withStore({ tap0: bindingText(0) }, async (dir, store, logged) => {
    const summaries = () => logged.filter((l) => l.message.startsWith("Bindings: "));
    Deno.writeTextFileSync(`${dir}/tap0`, bindingText(1));
    await waitFor("the change", () => store.get("tap0")?.macText === mac(1));
    await waitFor("its summary", () => summaries().length === 1);
    assert.deepEqual(summaries(), [{
      level: "info",
      message: "Bindings: 0 added, 1 updated, 0 removed, 0 rejected, 0 unchanged",
    }]);
    // The same text again: read, found unchanged, nothing to say (then or with the next batch).
    Deno.writeTextFileSync(`${dir}/tap0`, bindingText(1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    Deno.writeTextFileSync(`${dir}/tap1`, bindingText(2));
    await waitFor("tap1", () => store.get("tap1") !== undefined);
    await waitFor("the second summary", () => summaries().length === 2).catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(logged)}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(summaries().length, 2);
    assert.match(
      summaries()[1]!.message,
      /^Bindings: 1 added, 0 updated, 0 removed, 0 rejected, [01] unchanged$/,
    );
  }, { settleMs: 5 });
});

Deno.test("BindingStore.unsettled() gives when each waiting file began to change, on the wall clock", async () => {
  await withStore({}, async (dir, store) => {
    const before = Date.now();
    Deno.writeTextFileSync(`${dir}/tap0`, bindingText(0));
    await waitFor("tap0 waiting", () => store.unsettled().has("tap0"));
    const since = store.unsettled().get("tap0")!;
    assert.ok(since >= before - 50 && since <= Date.now() + 50, `${since} not in [${before}, now]`);
  }, { settleMs: 60_000 });
});
