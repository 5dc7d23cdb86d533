/**
 * The binding directory's watch (src/bindings/directory_watch.ts), checked by hand (the timer is
 * set far off): events are reported, a quiet check after a change re-arms a watch presumed dead,
 * but not one a new FIFO stalled, a re-arm with a FIFO not yet held cannot block, and a directory
 * that goes and comes back is reported once each way.
 */
import assert from "node:assert/strict";
import { DirectoryWatch, type DirectoryWatchSystem } from "../../src/bindings/directory_watch.ts";
import { run, waitFor } from "../../lab/proc.ts";
import { descriptorsOn } from "./descriptors.ts";
import { holdFifo as realHoldFifo } from "../../ffi/regular_file.ts";

/** A watch on a fresh directory, with every handler call recorded; closed and removed after `body`. */
async function withWatch(
  body: (dir: string, watch: DirectoryWatch, seen: string[]) => Promise<void> | void,
  system: Partial<DirectoryWatchSystem> = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-watch-" });
  const seen: string[] = [];
  const watch = new DirectoryWatch(
    dir,
    {
      event: (e) =>
        seen.push(`event ${e.kind} ${e.paths.map((p) => p.split("/").pop()).join(",")}`),
      gone: () => seen.push("gone"),
      back: () => seen.push("back"),
      error: (m) => seen.push(`error ${m}`),
    },
    3_600_000,
    system,
  );
  try {
    watch.start();
    await body(dir, watch, seen);
  } finally {
    await watch.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

const eventAbout = (seen: string[], name: string) =>
  seen.some((s) => s.startsWith("event ") && s.endsWith(name));

/** A stand-in for Deno's watcher: it reports nothing; its loop throws on `fail()`. */
interface FakeWatcher {
  readonly watcher: Deno.FsWatcher;
  readonly closed: () => boolean;
  readonly fail: (error: Error) => void;
}

/** A {@link FakeWatcher}; closed, its loop ends, or throws `failsOnClose` when given. */
function fakeWatcher(failsOnClose?: Error): FakeWatcher {
  let end: (error: Error | undefined) => void = () => {};
  const ended = new Promise<Error | undefined>((resolve) => end = resolve);
  let closed = false;
  const events: AsyncIterableIterator<Deno.FsEvent> = {
    next: async () => {
      const error = await ended;
      if (error !== undefined) throw error;
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => events,
  };
  const watcher: Deno.FsWatcher = {
    close() {
      closed = true;
      end(failsOnClose);
    },
    [Symbol.asyncIterator]: () => events,
    [Symbol.dispose]: () => watcher.close(),
  };
  return { watcher, closed: () => closed, fail: end };
}

/** A watchFs that gives the fake watchers in turn (then real ones), each kept in `made`. */
function watchersFrom(fakes: FakeWatcher[], made: Deno.FsWatcher[] = []) {
  return (dir: string): Deno.FsWatcher => {
    const next = fakes[made.length]?.watcher ?? Deno.watchFs(dir, { recursive: false });
    made.push(next);
    return next;
  };
}

/** Lets the watch's loops run: a macrotask turn, after every promise settled. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Makes the FIFO `dir/fifo`, gives the directory a new mtime and checks, so the check sweeps. */
async function fifoSwept(dir: string, watch: DirectoryWatch): Promise<string> {
  const fifo = `${dir}/fifo`;
  await run(["mkfifo", fifo], { timeoutMs: 10_000 });
  Deno.utimeSync(dir, 1, 1);
  watch.check();
  return fifo;
}

Deno.test("DirectoryWatch: a check after a change it saw events for re-arms nothing", async () => {
  await withWatch(async (dir, watch, seen) => {
    await Deno.writeTextFile(`${dir}/tap1`, "MAC=52:54:00:00:00:01\n");
    await waitFor("an event about tap1", () => eventAbout(seen, "tap1"), { timeoutMs: 10_000 });
    watch.check();
    // And again with nothing new: the change was swept already.
    watch.check();
    assert.deepEqual(seen.filter((s) => !s.startsWith("event ")), []);
  });
});

Deno.test("DirectoryWatch: entries that changed before their event arrived are no dead watch: nothing re-armed", async () => {
  await withWatch(async (dir, watch, seen) => {
    // A change it saw an event for, and its check: each check counts the events since the last.
    await Deno.writeTextFile(`${dir}/tap1`, "MAC=52:54:00:00:00:01\n");
    await waitFor("an event about tap1", () => eventAbout(seen, "tap1"), { timeoutMs: 10_000 });
    watch.check();
    // Checked before its event can arrive (no await between): the change came without one, yet.
    Deno.writeTextFileSync(`${dir}/tap2`, "MAC=52:54:00:00:00:02\n");
    // Another mtime than the first check swept, which the write alone does not ensure: Deno gives
    // whole milliseconds, and the first event can come within the millisecond tap1 was made in.
    Deno.utimeSync(dir, 1, 1);
    watch.check();
    await waitFor("an event about tap2", () => eventAbout(seen, "tap2"), { timeoutMs: 10_000 });
    watch.check();
    watch.check();
    assert.deepEqual(seen.filter((s) => !s.startsWith("event ")), []);
  });
});

Deno.test("DirectoryWatch: files in a subdirectory are not the directory's entries: no event", async () => {
  await withWatch(async (dir, watch, seen) => {
    Deno.mkdirSync(`${dir}/sub`);
    watch.rearm();
    await Deno.writeTextFile(`${dir}/sub/inner`, "x");
    await Deno.writeTextFile(`${dir}/tap4`, "MAC=52:54:00:00:00:04\n");
    await waitFor("an event about tap4", () => eventAbout(seen, "tap4"), { timeoutMs: 10_000 });
    assert.ok(!eventAbout(seen, "inner"), seen.join("; "));
  });
});

Deno.test("DirectoryWatch: a directory removed is gone once, and back once it exists again", async () => {
  await withWatch(async (dir, watch, seen) => {
    await Deno.remove(dir, { recursive: true });
    watch.check();
    watch.check();
    await Deno.mkdir(dir);
    watch.check();
    watch.check();
    assert.deepEqual(seen.filter((s) => !s.startsWith("event ")), ["gone", "back"]);
  });
});

Deno.test("DirectoryWatch: a check holds a FIFO made since the last one and re-arms nothing: the stalled watch goes on", async () => {
  await withWatch(async (dir, watch, seen) => {
    // Checked before any event can arrive: Deno's watcher thread waits in open() on the FIFO.
    // With another mtime than the last sweep saw, whatever the file system clock's granularity.
    await fifoSwept(dir, watch);
    assert.deepEqual(seen.filter((s) => !s.startsWith("event ")), []);
    await Deno.writeTextFile(`${dir}/tap5`, "MAC=52:54:00:00:00:05\n");
    await waitFor("an event about tap5", () => eventAbout(seen, "tap5"), { timeoutMs: 10_000 });
  });
});

Deno.test("DirectoryWatch: a FIFO held explains a quiet watch: no doubt, nothing re-armed by the next check", async () => {
  // A watcher that reports nothing, as Deno's does while its thread waits on the FIFO.
  await withWatch(async (dir, watch, seen) => {
    await fifoSwept(dir, watch);
    watch.check();
    assert.deepEqual(seen, []);
  }, { watchFs: watchersFrom([fakeWatcher()]) });
});

/**
 * Runs `steps` (code using `watch`) in a child process after a FIFO nobody holds was made in a
 * watched directory, and returns what it printed: the bug blocks a whole thread, which only a
 * kill ends.
 */
async function afterStallingFifo(steps: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-watch-" });
  const module = new URL("../../src/bindings/directory_watch.ts", import.meta.url).href;
  const script = `
    import { DirectoryWatch } from ${JSON.stringify(module)};
    const dir = ${JSON.stringify(dir)};
    const nothing = () => {};
    const watch = new DirectoryWatch(dir, { event: nothing, gone: nothing, back: nothing, error: nothing }, 3_600_000);
    watch.start();
    new Deno.Command("mkfifo", { args: [dir + "/fifo"] }).outputSync();
    // Deno's watcher thread is in open() on the FIFO now, holding the lock watchFs() takes.
    await new Promise((r) => setTimeout(r, 300));
    ${steps}
  `;
  try {
    return (await run([Deno.execPath(), "eval", script], { timeoutMs: 20_000 })).stdout;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("DirectoryWatch: re-armed while a FIFO nobody holds stalls Deno's watcher, it does not block", async () => {
  const out = await afterStallingFifo(
    `watch.rearm(); await watch.close(); console.log("re-armed");`,
  );
  assert.equal(out, "re-armed\n");
});

Deno.test("DirectoryWatch: closed while a FIFO nobody holds stalls Deno's watcher, it does not block", async () => {
  assert.equal(await afterStallingFifo(`await watch.close(); console.log("closed");`), "closed\n");
});

Deno.test("DirectoryWatch: a FIFO made within the mtime the last sweep saw is still held", async () => {
  await withWatch(async (dir, watch, seen) => {
    // start() swept at this mtime; a file system clock ticking coarser than the FIFO came after
    // it leaves the directory's mtime as it was.
    const swept = Deno.statSync(dir).mtime!;
    await run(["mkfifo", `${dir}/fifo`], { timeoutMs: 10_000 });
    Deno.utimeSync(dir, swept, swept);
    watch.check();
    // Held, the FIFO lets Deno's watcher thread go on to report what follows.
    await Deno.writeTextFile(`${dir}/tap6`, "MAC=52:54:00:00:00:06\n");
    await waitFor("an event about tap6", () => eventAbout(seen, "tap6"), { timeoutMs: 10_000 });
    assert.deepEqual(seen.filter((s) => !s.startsWith("event ")), []);
  });
});

Deno.test("DirectoryWatch: a FIFO is held by one descriptor however often it is swept, released when it goes", async () => {
  await withWatch(async (dir, watch, seen) => {
    const fifo = await fifoSwept(dir, watch); // And every check after it sweeps too.
    await waitFor("the FIFO's event", () => eventAbout(seen, "fifo"), { timeoutMs: 10_000 });
    seen.length = 0;
    for (let i = 2; i < 4; i++) {
      Deno.utimeSync(dir, i, i);
      watch.check();
    }
    assert.equal(descriptorsOn(fifo), 1);
    // Let go and taken again, it would be closed after writing: an event about it.
    await Deno.writeTextFile(`${dir}/tap8`, "MAC=52:54:00:00:00:08\n");
    await waitFor("an event about tap8", () => eventAbout(seen, "tap8"), { timeoutMs: 10_000 });
    assert.ok(!eventAbout(seen, "fifo"), seen.join("; "));
    await Deno.remove(fifo);
    Deno.utimeSync(dir, 9, 9);
    watch.check();
    assert.equal(descriptorsOn(fifo), 0);
    assert.equal(descriptorsOn(`${fifo} (deleted)`), 0);
  });
});

Deno.test("DirectoryWatch: an event about the directory itself is no entry's; its removal is seen at once", async () => {
  await withWatch(async (dir, _watch, seen) => {
    const name = dir.split("/").pop()!;
    Deno.chmodSync(dir, 0o750);
    await Deno.writeTextFile(`${dir}/tap7`, "MAC=52:54:00:00:00:07\n");
    await waitFor("an event about tap7", () => eventAbout(seen, "tap7"), { timeoutMs: 10_000 });
    assert.ok(!eventAbout(seen, name), seen.join("; "));
    // The periodic check is an hour away: only the event about the directory can say it is gone.
    await Deno.remove(dir, { recursive: true });
    await waitFor("gone", () => seen.includes("gone"), { timeoutMs: 10_000 });
  });
});

Deno.test("DirectoryWatch: another directory renamed over it, with the same mtime, is watched afresh", async () => {
  await withWatch((dir, watch, seen) => {
    // Same device, another inode; the same mtime, so that only the inode can tell.
    const mtime = Deno.statSync(dir).mtime!;
    Deno.mkdirSync(`${dir}.new`);
    Deno.utimeSync(`${dir}.new`, mtime, mtime);
    Deno.renameSync(`${dir}.new`, dir);
    watch.check();
    assert.deepEqual(seen.filter((s) => !s.startsWith("event ")), ["back"]);
  });
});

Deno.test("DirectoryWatch: after close(), a check reports nothing", async () => {
  await withWatch(async (dir, watch, seen) => {
    await watch.close();
    await Deno.remove(dir, { recursive: true });
    watch.check();
    assert.deepEqual(seen, []);
  });
});

Deno.test("DirectoryWatch: a file standing where the directory was is no directory: gone", async () => {
  await withWatch(async (dir, watch, seen) => {
    await Deno.remove(dir);
    Deno.writeTextFileSync(dir, "not a directory");
    try {
      watch.check();
      assert.deepEqual(seen.filter((s) => !s.startsWith("event ")), ["gone"]);
    } finally {
      await Deno.remove(dir);
    }
  });
});

Deno.test("DirectoryWatch: the FIFOs it holds are let go when the directory is gone", async () => {
  await withWatch(async (dir, watch, seen) => {
    await fifoSwept(dir, watch);
    assert.equal(descriptorsOn(`${dir}/fifo`), 1);
    await Deno.remove(dir, { recursive: true });
    watch.check();
    assert.ok(seen.includes("gone"));
    assert.equal(descriptorsOn(`${dir}/fifo (deleted)`), 0);
  });
});

Deno.test("DirectoryWatch: a link to a regular file is never opened by the FIFO sweep", async () => {
  const outside = await Deno.makeTempDir({ prefix: "nfdhcpd-watch-" });
  Deno.writeTextFileSync(`${outside}/target`, "MAC=52:54:00:00:00:09\n");
  const around = Deno.watchFs(outside);
  const events: string[] = [];
  const loop = (async () => {
    for await (const e of around) {
      events.push(`${e.kind} ${e.paths.map((p) => p.split("/").pop())}`);
    }
  })();
  try {
    await withWatch(async (dir, watch) => {
      Deno.symlinkSync(`${outside}/target`, `${dir}/tap9`);
      Deno.utimeSync(dir, 1, 1); // A new mtime: the check sweeps.
      watch.check();
      // Opened for reading and writing, the target would report its close.
      Deno.writeTextFileSync(`${outside}/after`, "");
      await waitFor("an event about after", () => events.some((e) => e.endsWith(" after")), {
        timeoutMs: 10_000,
      });
      assert.ok(!events.some((e) => e.endsWith(" target")), events.join("; "));
    });
  } finally {
    around.close();
    await loop;
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("DirectoryWatch: a dead watch is replaced by a new watcher, the dead one closed", async () => {
  const dead = fakeWatcher();
  const made: Deno.FsWatcher[] = [];
  await withWatch(async (dir, watch, seen) => {
    Deno.mkdirSync(`${dir}/sub`);
    Deno.utimeSync(dir, 1, 1); // A new mtime, and no event by the next check: the watch is dead.
    watch.check();
    assert.deepEqual(seen, []);
    assert.equal(made.length, 1);
    watch.check();
    assert.deepEqual(seen, ["back"]);
    assert.equal(made.length, 2);
    assert.ok(dead.closed());
    await Deno.writeTextFile(`${dir}/tap2`, "MAC=52:54:00:00:00:02\n");
    await waitFor("an event about tap2", () => eventAbout(seen, "tap2"), { timeoutMs: 10_000 });
  }, { watchFs: watchersFrom([dead], made) });
});

Deno.test("DirectoryWatch: a doubt about a watch ends with it: a directory gone and back is re-armed once", async () => {
  await withWatch(async (dir, watch, seen) => {
    Deno.mkdirSync(`${dir}/sub`);
    Deno.utimeSync(dir, 1, 1);
    watch.check(); // No event: in doubt.
    await Deno.remove(dir, { recursive: true });
    watch.check();
    await Deno.mkdir(dir);
    watch.check();
    watch.check();
    watch.check();
    assert.deepEqual(seen, ["gone", "back"]);
  }, { watchFs: watchersFrom([fakeWatcher(), fakeWatcher()]) });
});

Deno.test("DirectoryWatch: a watch loop that fails is reported once, with the directory", async () => {
  const failing = fakeWatcher();
  await withWatch(async (dir, _watch, seen) => {
    failing.fail(new Error("inotify read failed"));
    await turn();
    assert.deepEqual(seen, [`error Watching ${dir} failed: inotify read failed`]);
  }, { watchFs: watchersFrom([failing]) });
});

Deno.test("DirectoryWatch: the loop of a watcher re-armed away failing is not reported", async () => {
  const old = fakeWatcher(new Error("failed as it closed"));
  await withWatch(async (_dir, watch, seen) => {
    watch.rearm();
    await turn();
    assert.ok(old.closed());
    assert.deepEqual(seen, []);
  }, { watchFs: watchersFrom([old, fakeWatcher()]) });
});

Deno.test("DirectoryWatch: the loop of a watcher let go with its directory failing is not reported", async () => {
  const old = fakeWatcher(new Error("failed as it closed"));
  await withWatch(async (dir, watch, seen) => {
    await Deno.remove(dir, { recursive: true });
    watch.check();
    await turn();
    assert.ok(old.closed());
    assert.deepEqual(seen, ["gone"]);
  }, { watchFs: watchersFrom([old]) });
});

Deno.test("DirectoryWatch: a FIFO replaced by another of its name: the old one let go, the new one held", async () => {
  await withWatch(async (dir, watch) => {
    const fifo = await fifoSwept(dir, watch);
    await run(["mkfifo", `${fifo}.new`], { timeoutMs: 10_000 });
    Deno.renameSync(`${fifo}.new`, fifo);
    Deno.utimeSync(dir, 2, 2);
    watch.check();
    assert.equal(descriptorsOn(fifo), 1);
    assert.equal(descriptorsOn(`${fifo} (deleted)`), 0);
  }, { watchFs: watchersFrom([fakeWatcher(), fakeWatcher()]) });
});

Deno.test("DirectoryWatch: a FIFO that could not be held is no new one: re-armed, and tried again", async () => {
  let refusals = 1;
  const holdFifo: DirectoryWatchSystem["holdFifo"] = (path, followLink) =>
    refusals-- > 0 ? -1 : realHoldFifo(path, followLink);
  await withWatch(async (dir, watch, seen) => {
    // Refused: nothing new held explains a quiet watch, so with still no event by the next check
    // it is re-armed; that sweep holds it.
    const fifo = await fifoSwept(dir, watch);
    assert.equal(descriptorsOn(fifo), 0);
    watch.check();
    assert.deepEqual(seen, ["back"]);
    assert.equal(descriptorsOn(fifo), 1);
  }, { watchFs: watchersFrom([fakeWatcher(), fakeWatcher()]), holdFifo });
});

Deno.test("DirectoryWatch: the directory renamed away is seen gone at once, from its event alone", async () => {
  await withWatch(async (dir, _watch, seen) => {
    // A rename leaves the inode's link count alone: no other event about the directory comes.
    Deno.renameSync(dir, `${dir}.away`);
    try {
      await waitFor("gone", () => seen.includes("gone"), { timeoutMs: 10_000 });
    } finally {
      await Deno.remove(`${dir}.away`, { recursive: true });
    }
  });
});

Deno.test("DirectoryWatch: close() lets go of every FIFO it holds", async () => {
  await withWatch(async (dir, watch) => {
    const fifo = await fifoSwept(dir, watch);
    assert.equal(descriptorsOn(fifo), 1);
    await watch.close();
    assert.equal(descriptorsOn(fifo), 0);
  });
});

Deno.test("DirectoryWatch: a FIFO let go is closed once: a later sweep leaves its descriptor's next owner alone", async () => {
  const fakes = [fakeWatcher(), fakeWatcher(), fakeWatcher(), fakeWatcher()];
  await withWatch(async (dir, watch) => {
    const fifo = await fifoSwept(dir, watch);
    const held = [...Deno.readDirSync("/proc/self/fd")].map((e) => e.name)
      .find((fd) => Deno.readLinkSync(`/proc/self/fd/${fd}`) === fifo);
    Deno.removeSync(fifo);
    Deno.utimeSync(dir, 2, 2);
    watch.check(); // Gone: let go.
    // The next open takes the lowest free descriptor: the one the FIFO had.
    const file = `${dir}/tap1`;
    Deno.writeTextFileSync(file, "MAC=52:54:00:00:00:01\n");
    using _opened = Deno.openSync(file);
    assert.equal(
      Deno.readLinkSync(`/proc/self/fd/${held}`),
      file,
      "the descriptor was taken again",
    );
    Deno.utimeSync(dir, 3, 3);
    watch.check();
    assert.equal(descriptorsOn(file), 1);
  }, { watchFs: watchersFrom(fakes) });
});
