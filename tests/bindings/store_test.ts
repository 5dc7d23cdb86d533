/** Tests for the binding store on a real directory: initial load, live changes, bad files, scale. */
import assert from "node:assert/strict";
import type { Binding } from "../../src/bindings/binding.ts";
import { BindingStore, isBindingFileName } from "../../src/bindings/store.ts";
import { descriptorsOn } from "./descriptors.ts";

interface Logged {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
}

interface Ctx {
  readonly dir: string;
  readonly store: BindingStore;
  readonly logged: Logged[];
  readonly changes: Array<[string, Binding | undefined]>;
}

const mac = (n: number) =>
  `52:54:00:00:${((n >> 8) & 255).toString(16).padStart(2, "0")}:${
    (n & 255).toString(16).padStart(2, "0")
  }`;
const bindingText = (n: number, extra = "") => `MAC=${mac(n)}\nHOSTNAME=vm${n}\n${extra}`;

/** Runs `body` on a store over a fresh temp dir holding `files`; cleans everything up. */
async function withStore(
  files: Record<string, string>,
  body: (ctx: Ctx) => Promise<void> | void,
  options: { watch?: boolean } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-store-" });
  const logged: Logged[] = [];
  const changes: Array<[string, Binding | undefined]> = [];
  const log = {
    debug: (message: string) => logged.push({ level: "debug", message }),
    info: (message: string) => logged.push({ level: "info", message }),
    warn: (message: string) => logged.push({ level: "warn", message }),
    error: (message: string) => logged.push({ level: "error", message }),
  };
  const store = new BindingStore(dir, log);
  try {
    // Sync writes: this machine's async file ops each cost a thread hand-off.
    for (const [name, text] of Object.entries(files)) {
      Deno.writeTextFileSync(`${dir}/${name}`, text);
    }
    store.onChange((tap, binding) => changes.push([tap, binding]));
    if (options.watch ?? true) store.watch();
    await store.load();
    await body({ dir, store, logged, changes });
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Polls `condition` until it holds; fails after `timeoutMs`. Returns the time it took. */
async function waitFor(what: string, condition: () => boolean, timeoutMs = 3000): Promise<number> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return performance.now() - start;
}

const macOf = (store: BindingStore, tap: string) => store.get(tap)?.macText;

Deno.test("BindingStore.load() reads every binding file and skips temporary ones", async () => {
  const files = {
    tap0: bindingText(0),
    tap1: bindingText(1, "IP=10.0.0.2\nSUBNET=10.0.0.0/24\n"),
    ".tap2.swp": bindingText(2),
    "tap3~": bindingText(3),
    "tap4.tmp": bindingText(4),
  };
  await withStore(files, async ({ dir, store, changes }) => {
    assert.equal(store.size, 2);
    assert.equal(macOf(store, "tap0"), mac(0));
    assert.equal(store.get("tap1")?.ip, 0x0a000002);
    assert.deepEqual([...store.all()].map((b) => b.tap).sort(), ["tap0", "tap1"]);
    assert.deepEqual(changes.map(([tap]) => tap).sort(), ["tap0", "tap1"]);
    await Deno.mkdir(`${dir}/subdir`);
    await store.load();
    assert.equal(store.size, 2);
  }, { watch: false });
});

Deno.test("BindingStore shares equal SUBNET6 and GATEWAY6 values among its bindings, not with other stores", async () => {
  const v6 = "SUBNET6=2001:db8:7::/64\nGATEWAY6=2001:db8:7::1\n";
  const files = { tap0: bindingText(0, v6), tap1: bindingText(1, v6) };
  let first: Binding | undefined;
  await withStore(files, ({ store }) => {
    const [a, b] = [store.get("tap0")!, store.get("tap1")!];
    assert.ok(a.subnet6 !== null && a.subnet6 === b.subnet6, "one SUBNET6 object");
    assert.ok(a.gateway6 !== null && a.gateway6 === b.gateway6, "one GATEWAY6 array");
    first = a;
  }, { watch: false });
  await withStore(files, ({ store }) => {
    assert.deepEqual(store.get("tap0")!.subnet6, first!.subnet6);
    assert.notEqual(store.get("tap0")!.subnet6, first!.subnet6, "each store has its own table");
  }, { watch: false });
});

Deno.test("BindingStore.load() forgets bindings whose files are gone and announces only changes", async () => {
  await withStore(
    { tap0: bindingText(0), tap1: bindingText(1) },
    async ({ dir, store, changes }) => {
      await Deno.remove(`${dir}/tap0`);
      await store.load();
      assert.equal(store.get("tap0"), undefined);
      assert.equal(macOf(store, "tap1"), mac(1));
      // Only the change is announced: tap1's file is the same, so there is no second event for it.
      assert.equal(changes.length, 3);
      assert.deepEqual(changes[2], ["tap0", undefined]);
    },
    { watch: false },
  );
});

Deno.test("BindingStore follows a created, rewritten and deleted file", async () => {
  await withStore({}, async ({ dir, store, changes }) => {
    await Deno.writeTextFile(`${dir}/tap5`, bindingText(5));
    await waitFor("tap5 created", () => macOf(store, "tap5") === mac(5));
    await Deno.writeTextFile(`${dir}/tap5`, bindingText(6));
    await waitFor("tap5 rewritten", () => macOf(store, "tap5") === mac(6));
    await Deno.remove(`${dir}/tap5`);
    await waitFor("tap5 deleted", () => store.get("tap5") === undefined);
    assert.deepEqual(changes.map(([tap, b]) => [tap, b?.macText]), [
      ["tap5", mac(5)],
      ["tap5", mac(6)],
      ["tap5", undefined],
    ]);
  });
});

Deno.test("BindingStore follows a temporary file renamed over the binding", async () => {
  await withStore({ tap7: bindingText(7) }, async ({ dir, store, changes }) => {
    for (const tmp of [".tap7.XXXXXX", "tap7.tmp", "tap7~"]) {
      const n = tmp.length;
      await Deno.writeTextFile(`${dir}/${tmp}`, bindingText(n));
      await Deno.rename(`${dir}/${tmp}`, `${dir}/tap7`);
      await waitFor(`rename from ${tmp}`, () => macOf(store, "tap7") === mac(n));
    }
    assert.deepEqual([...new Set(changes.map(([tap]) => tap))], ["tap7"]);
    assert.equal(store.size, 1);
  });
});

Deno.test("BindingStore follows files renamed into and out of the directory", async () => {
  const outside = await Deno.makeTempDir({ prefix: "nfdhcpd-outside-" });
  try {
    await withStore({ tap8: bindingText(8) }, async ({ dir, store }) => {
      await Deno.rename(`${dir}/tap8`, `${outside}/tap8`);
      await waitFor("tap8 moved out", () => store.get("tap8") === undefined);
      await Deno.writeTextFile(`${outside}/tap9`, bindingText(9));
      await Deno.rename(`${outside}/tap9`, `${dir}/tap9`);
      await waitFor("tap9 moved in", () => macOf(store, "tap9") === mac(9));
      await Deno.rename(`${dir}/tap9`, `${dir}/tap10`);
      await waitFor(
        "tap9 renamed to tap10",
        () => macOf(store, "tap10") === mac(9) && store.get("tap9") === undefined,
      );
    });
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("BindingStore makes every rewrite of a file visible, in order", async () => {
  // How fast is for `make bench`; here, only that each version is taken (bounded waits).
  await withStore({}, async ({ dir, store }) => {
    for (let n = 1; n <= 7; n++) {
      await Deno.writeTextFile(`${dir}/tap0`, bindingText(n));
      await waitFor(`change ${n}`, () => macOf(store, "tap0") === mac(n));
    }
  });
});

Deno.test("BindingStore logs a bad file with line and reason, and serves the others", async () => {
  const files = { tap1: "HOSTNAME=vm\nMAC=zz\n", tap2: bindingText(2), tap3: bindingText(3) };
  await withStore(files, async ({ dir, store, logged, changes }) => {
    assert.equal(store.get("tap1"), undefined);
    assert.equal(store.size, 2);
    const errors = logged.filter((l) => l.level === "error").map((l) => l.message);
    assert.deepEqual(errors, ['Cannot parse binding tap1 line 2: MAC is not a MAC address: "zz"']);

    // A good binding that turns bad is withdrawn, and comes back once fixed.
    await Deno.writeTextFile(`${dir}/tap2`, `${bindingText(2)}MAC=52:54:00:zz:00:02\n`);
    await waitFor("tap2 withdrawn", () => store.get("tap2") === undefined);
    assert.deepEqual(changes.at(-1), ["tap2", undefined]);
    assert.ok(
      logged.some((l) =>
        l.message ===
          'Cannot parse binding tap2 line 3: MAC is not a MAC address: "52:54:00:zz:00:02"'
      ),
    );
    assert.equal(macOf(store, "tap3"), mac(3));
    await Deno.writeTextFile(`${dir}/tap1`, bindingText(1));
    await waitFor("tap1 fixed", () => macOf(store, "tap1") === mac(1));
  });
});

Deno.test("BindingStore logs parse warnings and keeps the binding", async () => {
  await withStore({ tap0: bindingText(0, "COLOUR=blue\n") }, ({ store, logged }) => {
    assert.equal(macOf(store, "tap0"), mac(0));
    assert.ok(
      logged.some((l) =>
        l.level === "warn" && l.message === "Binding tap0 line 3: unknown key COLOUR, ignored"
      ),
    );
  }, { watch: false });
});

Deno.test("BindingStore keeps working when a listener throws, and stops calling a removed one", async () => {
  await withStore({}, async ({ dir, store, logged, changes }) => {
    let calls = 0;
    const remove = store.onChange(() => {
      calls++;
      throw new Error("boom");
    });
    await Deno.writeTextFile(`${dir}/tap0`, bindingText(0));
    await waitFor("tap0", () => changes.length === 1);
    assert.equal(calls, 1);
    assert.ok(
      logged.some((l) =>
        l.level === "error" && l.message === "Binding listener failed for tap0: boom"
      ),
    );
    remove();
    await Deno.writeTextFile(`${dir}/tap1`, bindingText(1));
    await waitFor("tap1", () => changes.length === 2);
    assert.equal(calls, 1);
  });
});

Deno.test("BindingStore loads and follows hundreds of files", async () => {
  const files: Record<string, string> = {};
  for (let n = 0; n < 300; n++) files[`tap${n}`] = bindingText(n);
  await withStore(files, async ({ dir, store }) => {
    assert.equal(store.size, 300);
    await Promise.all(
      Array.from(
        { length: 300 },
        (_, i) => Deno.writeTextFile(`${dir}/vm${i}`, bindingText(1000 + i)),
      ),
    );
    await waitFor("600 bindings", () => store.size === 600);
    assert.equal(macOf(store, "vm299"), mac(1299));
    await Promise.all(Array.from({ length: 300 }, (_, i) => Deno.remove(`${dir}/tap${i}`)));
    await waitFor("300 removals", () => store.size === 300);
    assert.equal(store.get("tap0"), undefined);
  });
});

Deno.test("BindingStore.close() can be called twice", async () => {
  await withStore({ tap0: bindingText(0) }, async ({ store }) => {
    await store.close();
    assert.equal(macOf(store, "tap0"), mac(0));
  });
});

Deno.test("isBindingFileName() refuses hidden, backup, temporary and non-interface names", () => {
  for (const name of ["tap0", "one-5-0", "br0.100", "vnet12"]) {
    assert.equal(isBindingFileName(name), true, name);
  }
  for (
    const name of [
      ".tap0",
      "tap0~",
      "tap0.tmp",
      "tap0.swp",
      "tap0.dpkg-new",
      "tap0.rpmsave",
      "a:b",
      "x".repeat(16),
    ]
  ) {
    assert.equal(isBindingFileName(name), false, name);
  }
});

Deno.test("BindingStore announces a rewrite with the same content once, and an unreadable file as gone", async () => {
  await withStore(
    { tap0: bindingText(0), tap1: bindingText(1) },
    async ({ dir, store, changes, logged }) => {
      await Deno.writeTextFile(`${dir}/tap0`, bindingText(0)); // Same bytes: nothing to announce.
      await Deno.writeTextFile(`${dir}/tap0`, bindingText(2));
      await waitFor("tap0 rewritten", () => macOf(store, "tap0") === mac(2));
      assert.deepEqual(changes.filter(([tap]) => tap === "tap0").map(([, b]) => b?.macText), [
        mac(0),
        mac(2),
      ]);

      // A directory where a binding file was: reading it fails, so the binding goes.
      await Deno.remove(`${dir}/tap1`);
      await Deno.mkdir(`${dir}/tap1`);
      await waitFor("tap1 gone", () => store.get("tap1") === undefined);
      await store.load(); // Directories are skipped when listing.
      assert.equal(store.get("tap1"), undefined);
      const errors = logged.filter((l) => l.level === "error").map((l) => l.message);
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /^Binding file .*\/tap1 is not used: it is a directory$/);
    },
  );
});

Deno.test("BindingStore.watch() after load() catches up with changes made in between", async () => {
  await withStore(
    { tap0: bindingText(0), tap1: bindingText(1) },
    async ({ dir, store, changes }) => {
      Deno.writeTextFileSync(`${dir}/tap2`, bindingText(2));
      Deno.removeSync(`${dir}/tap0`);
      store.watch();
      await waitFor(
        "catch-up",
        () => store.get("tap2") !== undefined && store.get("tap0") === undefined,
      );
      // tap1 did not change: announced once, at load.
      assert.equal(
        changes.filter(([tap]) => tap === "tap1").length,
        1,
      );
    },
    { watch: false },
  );
});

Deno.test("BindingStore reads straight through its first load, and gives the event loop turns on a reload", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-store-" });
  const quiet = () => {};
  let reads = 0;
  const store = new BindingStore(dir, { debug: quiet, info: quiet, warn: quiet, error: quiet }, {
    readFile: (path) => {
      reads++;
      return { kind: "text", text: Deno.readTextFileSync(path) };
    },
  });
  try {
    for (let n = 0; n < 600; n++) Deno.writeTextFileSync(`${dir}/tap${n}`, bindingText(n));
    /** How many files were read when a timer set at the start of `work` ran. */
    const readsWhenTimerRan = async (work: () => Promise<void>) => {
      reads = 0;
      let seen = -1;
      setTimeout(() => (seen = reads), 0);
      await work();
      await new Promise((resolve) => setTimeout(resolve, 0));
      return seen;
    };
    assert.equal(await readsWhenTimerRan(() => store.load()), 600, "the first load: no turn");
    const seen = await readsWhenTimerRan(() => store.load());
    assert.ok(seen > 0 && seen < 600, `a reload gave the timer a turn after ${seen} reads`);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("BindingStore reports a rejected file once, not again when it is touched unchanged", async () => {
  await withStore({ tap0: bindingText(0) }, async ({ dir, store, logged }) => {
    const rejections = () =>
      logged.filter((l) => l.message.includes("tap9") && /not|cannot/i.test(l.message)).length;
    Deno.writeTextFileSync(`${dir}/tap9`, "HOSTNAME=no-mac\n");
    await waitFor("the rejection", () => rejections() > 0, 5000);
    const once = rejections();
    Deno.chmodSync(`${dir}/tap9`, 0o600);
    Deno.writeTextFileSync(`${dir}/tap1`, bindingText(1)); // Settles after the chmod's look.
    await waitFor("tap1", () => store.get("tap1") !== undefined, 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(rejections(), once, logged.map((l) => l.message).join("\n"));
  });
});

Deno.test("BindingStore.watch() a second time makes no second watch (a FIFO is held once)", async () => {
  await withStore({ tap0: bindingText(0) }, async ({ dir, store }) => {
    await store.close(); // Made again below with the FIFO in place before the first watch.
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/tap9`] }).output();
    assert.ok(made.success, "mkfifo");
    const again = new BindingStore(dir, { debug() {}, info() {}, warn() {}, error() {} });
    try {
      again.watch();
      again.watch();
      assert.equal(descriptorsOn(`${dir}/tap9`), 1);
    } finally {
      await again.close();
    }
  });
});
