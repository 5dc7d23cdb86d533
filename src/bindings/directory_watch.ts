/**
 * A `Deno.watchFs` watch on one directory that survives the directory being removed, replaced or
 * renamed away, and that a FIFO in the directory cannot stall.
 */
import { listDirectory } from "../../ffi/directory.ts";
import { holdFifo, releaseFifo } from "../../ffi/regular_file.ts";
import { errorMessage } from "../error_message.ts";

/** What the watch reports. */
export interface DirectoryWatchHandlers {
  /** An event about entries of the directory (never about the directory itself). */
  event(event: Deno.FsEvent): void;
  /** The directory is gone (removed or renamed away); called once until it is back. */
  gone(): void;
  /** The directory exists again (or was replaced) and is watched again: rescan it. */
  back(): void;
  /** Something failed that the watch recovers from by itself. */
  error(message: string): void;
}

/**
 * What a listing of the directory already found, so that starting the watch need not list it
 * again: the entries that are neither regular files nor directories (FIFOs among them), the
 * directory's mtime taken before the listing (a later change makes the next check look again)
 * and when (epoch ms) the listing began.
 */
export interface Listed {
  readonly mtime: number;
  readonly at: number;
  readonly special: readonly Deno.DirEntry[];
}

/**
 * How long after a directory's mtime its entries may still change without moving it: file
 * systems stamp times from a clock that ticks in jiffies (and FAT in 2 s steps), so a FIFO made
 * just after a sweep may leave the mtime the sweep saw. Until a sweep is this much later than
 * the mtime it saw, every check sweeps again.
 */
const MTIME_TICK_MS = 2000;

/**
 * What the watch asks of the system, each replaceable (tests inject faults with them: a watcher
 * whose loop fails, a FIFO that cannot be held).
 */
export interface DirectoryWatchSystem {
  /** Makes the directory's watcher; by default a non-recursive `Deno.watchFs`. */
  readonly watchFs: (dir: string) => Deno.FsWatcher;
  /** Holds a FIFO open, -1 when it cannot; by default `holdFifo` of ffi/regular_file.ts. */
  readonly holdFifo: (path: string, followLink: boolean) => number;
}

const SYSTEM: DirectoryWatchSystem = {
  watchFs: (dir) => Deno.watchFs(dir, { recursive: false }),
  holdFifo,
};

interface Identity {
  readonly dev: number;
  readonly ino: number;
  readonly mtime: number;
}

/**
 * Deno 2.9.6's watcher opens the path of every event it reports, with a blocking open(): an event
 * about a FIFO (created, renamed in, or a link to one) leaves its thread waiting for a writer for
 * good, so no further event arrives and the process cannot exit. Worse, that thread is shared by
 * every watch of the process and holds a lock while it waits, which `Deno.watchFs()` and a closed
 * watch's clean-up take on the main thread: one of them while the thread waits blocks the daemon
 * for good, timers and all. While a FIFO of the directory is held open here for reading and
 * writing, such an open returns at once, so every FIFO is held before a watch is made, and a watch
 * that had to wait on one is not re-armed. The directory is stat'ed every `checkMs`: when its
 * entries changed, FIFOs are looked for; when it is missing or another directory stands in its
 * place, or its entries changed with no event by the next check (an event may come a little after
 * the change it reports), the watch is re-armed.
 */
export class DirectoryWatch {
  readonly #dir: string;
  readonly #handlers: DirectoryWatchHandlers;
  readonly #checkMs: number;
  readonly #dirPaths: Set<string>;
  readonly #system: DirectoryWatchSystem;
  #watcher: Deno.FsWatcher | undefined;
  #loops = new Set<Promise<void>>();
  #identity: Identity | undefined;
  #sweptMtime = Number.NaN;
  /** When (epoch ms) the last sweep read the directory. */
  #sweptAt = Number.NaN;
  #eventsSinceCheck = 0;
  /** The last check saw entries change with no event: dead unless one comes by the next. */
  #doubted = false;
  #missing = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** FIFOs held open, by entry name: the descriptor and the inode it is for. */
  readonly #fifos = new Map<string, { fd: number; ino: number }>();

  /** `system` replaces what the watch uses of the system (tests only; see DirectoryWatchSystem). */
  constructor(
    dir: string,
    handlers: DirectoryWatchHandlers,
    checkMs: number,
    system: Partial<DirectoryWatchSystem> = {},
  ) {
    this.#dir = dir;
    this.#system = { ...SYSTEM, ...system };
    this.#handlers = handlers;
    this.#checkMs = checkMs;
    // Event paths are absolute; they may name the directory as given or as resolved.
    const absolute = dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
    this.#dirPaths = new Set([absolute]);
  }

  /** The directory's paths as events name them. */
  get dirPaths(): ReadonlySet<string> {
    return this.#dirPaths;
  }

  /** Starts watching; throws when the directory cannot be watched. */
  start(listed?: Listed): void {
    this.#arm(listed);
    this.#timer ??= setInterval(() => this.check(), this.#checkMs);
  }

  /** Watches the directory afresh (whatever it is now); throws when it cannot be watched. */
  rearm(): void {
    this.#disarm();
    this.#arm();
  }

  /** Looks at the directory now: gone, replaced, back, or new entries to check for FIFOs. */
  check(): void {
    if (this.#closed) return;
    const identity = this.#stat();
    if (identity === undefined) {
      if (this.#missing) return;
      this.#missing = true;
      this.#disarm();
      this.#releaseFifos(new Set());
      this.#handlers.gone();
      return;
    }
    const known = this.#identity;
    if (this.#missing || !known || known.ino !== identity.ino || known.dev !== identity.dev) {
      this.#disarm();
      try {
        this.#arm();
      } catch (e) {
        this.#handlers.error(`Cannot watch ${this.#dir}: ${errorMessage(e)}`);
        return;
      }
      this.#missing = false;
      this.#handlers.back();
      return;
    }
    const quiet = this.#eventsSinceCheck === 0;
    this.#eventsSinceCheck = 0;
    // Entries changed with no event by the last check, and none has come since: the watch is
    // dead (seen after the directory was replaced and the old one removed). Watch afresh and
    // rescan (re-arming ends the doubt).
    if (this.#doubted && quiet) {
      try {
        this.rearm();
      } catch (e) {
        this.#handlers.error(`Cannot watch ${this.#dir}: ${errorMessage(e)}`);
        return;
      }
      this.#handlers.back();
      return;
    }
    this.#doubted = false;
    const changed = identity.mtime !== this.#sweptMtime;
    if (!changed && this.#sweptAt - identity.mtime > MTIME_TICK_MS) return;
    // A new FIFO explains a quiet watch: its thread waited on it, and goes on now that it is held
    // (re-arming then could block for good on another FIFO made meanwhile).
    if (this.#sweep(identity.mtime) || !quiet || !changed) return;
    // Entries changed but no event came yet: it may be on its way. Dead if none comes by the next
    // check.
    this.#doubted = true;
  }

  /** Stops watching and releases every FIFO held. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    // A FIFO made since the last check may be stalling the watcher: hold it so that it can stop.
    if (!this.#missing) this.#sweep(Number.NaN);
    this.#disarm();
    await Promise.all([...this.#loops]);
    this.#releaseFifos(new Set());
  }

  #arm(listed?: Listed): void {
    const identity = this.#stat();
    if (identity === undefined) throw new Deno.errors.NotFound(`${this.#dir} does not exist`);
    try {
      this.#dirPaths.add(Deno.realPathSync(this.#dir));
    } catch {
      // Gone again: the watch below fails and says so.
    }
    // FIFOs first: Deno.watchFs() waits for the watcher's thread, which may be waiting on one.
    this.#sweep(listed?.mtime ?? identity.mtime, listed);
    const watcher = this.#system.watchFs(this.#dir);
    this.#watcher = watcher;
    this.#identity = identity;
    const loop = (async () => {
      for await (const event of watcher) this.#onEvent(event);
    })().catch((e) => {
      if (!this.#closed && this.#watcher === watcher) {
        this.#handlers.error(`Watching ${this.#dir} failed: ${errorMessage(e)}`);
      }
    });
    this.#loops.add(loop);
    loop.then(() => this.#loops.delete(loop));
  }

  #disarm(): void {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    this.#doubted = false;
    try {
      watcher?.close();
    } catch {
      // Already closed.
    }
  }

  #onEvent(event: Deno.FsEvent): void {
    if (this.#closed) return;
    this.#eventsSinceCheck++;
    // Lost events ("any", flag "rescan") name the directory too: the store rescans for them.
    const lost = event.kind === "any" || event.kind === "other" || event.flag === "rescan";
    if (!lost && event.paths.some((path) => this.#dirPaths.has(path))) {
      // The directory itself was removed, renamed or changed: look at it at once.
      if (event.kind === "remove" || event.kind === "rename") setTimeout(() => this.check(), 0);
      return;
    }
    this.#handlers.event(event);
  }

  #stat(): Identity | undefined {
    try {
      const info = Deno.statSync(this.#dir);
      if (!info.isDirectory) return undefined;
      return { dev: info.dev, ino: info.ino ?? 0, mtime: info.mtime?.getTime() ?? 0 };
    } catch {
      return undefined;
    }
  }

  /**
   * Holds every FIFO of the directory (and every link in it to a FIFO), of `listed` when given;
   * releases the others. True when it held one it did not hold before.
   */
  #sweep(mtime: number, listed?: Listed): boolean {
    this.#sweptMtime = mtime;
    this.#sweptAt = listed?.at ?? Date.now();
    const seen = new Set<string>();
    let held = false;
    try {
      for (const entry of listed?.special ?? listDirectory(this.#dir) ?? []) {
        if (entry.isFile || entry.isDirectory) continue;
        const path = `${this.#dir}/${entry.name}`;
        try {
          const info = entry.isSymlink ? Deno.statSync(path) : Deno.lstatSync(path);
          if (!info.isFifo) continue;
          const ino = info.ino ?? 0;
          seen.add(entry.name);
          if (this.#fifos.get(entry.name)?.ino === ino) continue;
          this.#release(entry.name);
          const fd = this.#system.holdFifo(path, entry.isSymlink);
          if (fd < 0) continue;
          this.#fifos.set(entry.name, { fd, ino });
          held = true;
        } catch {
          // Gone or a dangling link: nothing to hold.
        }
      }
    } catch {
      // The directory is gone; the next check sees it.
    }
    this.#releaseFifos(seen);
    return held;
  }

  #releaseFifos(keep: ReadonlySet<string>): void {
    for (const name of [...this.#fifos.keys()]) if (!keep.has(name)) this.#release(name);
  }

  #release(name: string): void {
    const held = this.#fifos.get(name);
    if (held === undefined) return;
    this.#fifos.delete(name);
    releaseFifo(held.fd);
  }
}
