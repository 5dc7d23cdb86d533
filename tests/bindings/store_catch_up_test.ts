/** BindingStore.watch() after load(), as the daemon starts: the changes made during the load. */
import assert from "node:assert/strict";
import type { FileRead } from "../../ffi/regular_file.ts";
import { RegularFileReader } from "../../ffi/regular_file.ts";
import { BindingStore } from "../../src/bindings/store.ts";

const text = (i: number, host = `vm${i}`) =>
  `MAC=02:00:00:00:00:0${i}\nIP=10.0.0.${i + 2}\nSUBNET=10.0.0.0/24\nHOSTNAME=${host}\n`;

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > 5000) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A store over tap0..tap3, written over a second before its load; `reads` lists what it read. */
async function withLoadedStore(
  body: (o: { dir: string; store: BindingStore; reads: string[] }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-catch-up-" });
  const reads: string[] = [];
  const reader = new RegularFileReader(64 * 1024);
  const store = new BindingStore(dir, { debug() {}, info() {}, warn() {}, error() {} }, {
    settleMs: 50,
    readFile: (path: string): FileRead => {
      reads.push(path.slice(dir.length + 1));
      return reader.read(path);
    },
  });
  try {
    for (let i = 0; i < 4; i++) Deno.writeTextFileSync(`${dir}/tap${i}`, text(i));
    // Status changes older than the load (and its second of margin) are not looked at again.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await store.load();
    assert.deepEqual(reads.sort(), ["tap0", "tap1", "tap2", "tap3"]);
    reads.length = 0;
    await body({ dir, store, reads });
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("BindingStore.watch() after load() reads what changed since, and only that", () =>
  withLoadedStore(async ({ dir, store, reads }) => {
    // Unwatched: rewritten in place, added, removed, chmod'ed.
    Deno.writeTextFileSync(`${dir}/tap1`, text(1, "renamed"));
    Deno.writeTextFileSync(`${dir}/tap4`, text(4));
    Deno.removeSync(`${dir}/tap2`);
    Deno.chmodSync(`${dir}/tap3`, 0o600);
    store.watch();
    await waitFor(
      "the catch-up",
      () =>
        store.get("tap1")?.hostname === "renamed" && store.get("tap4") !== undefined &&
        store.get("tap2") === undefined,
    );
    // tap3's content is unchanged: read again (its status changed), still served.
    assert.deepEqual(reads.sort(), ["tap1", "tap2", "tap3", "tap4"]);
    assert.equal(store.get("tap3")?.hostname, "vm3");
    assert.equal(store.get("tap0")?.hostname, "vm0");
  }));

Deno.test("BindingStore.watch() after load() reads a file rewritten in place, the directory unchanged", () =>
  withLoadedStore(async ({ dir, store, reads }) => {
    Deno.writeTextFileSync(`${dir}/tap2`, text(2, "rewritten"));
    store.watch();
    await waitFor("the catch-up", () => store.get("tap2")?.hostname === "rewritten");
    assert.deepEqual(reads, ["tap2"]);
  }));

Deno.test("BindingStore.watch() after load() holds the FIFOs the load found: an event about one stalls nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-catch-up-" });
  // No periodic look at the directory during the test: only the start can hold the FIFO.
  const store = new BindingStore(dir, { debug() {}, info() {}, warn() {}, error() {} }, {
    settleMs: 50,
    checkMs: 60_000,
  });
  const fifo = `${dir}/tap9`;
  try {
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(made.success, "mkfifo");
    await store.load();
    store.watch();
    // Deno's watcher opens the path of each event, blocking on a FIFO nobody holds.
    Deno.symlinkSync(fifo, `${dir}/link`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    Deno.writeTextFileSync(`${dir}/tap1`, text(1));
    await waitFor("tap1 after the FIFO's event", () => store.get("tap1") !== undefined);
  } finally {
    // Unblocks a watcher stuck on the FIFO (an open for reading and writing never waits).
    const held = Deno.openSync(fifo, { read: true, write: true });
    await store.close();
    held.close();
    await Deno.remove(dir, { recursive: true });
  }
});
