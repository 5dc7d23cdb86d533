/** When a binding file is read: once it has stopped changing, whatever its writer did. */

/** What a look at a file shows; `null` when there is nothing (gone, or not reachable). */
export interface Look {
  readonly size: number;
  readonly mtime: number;
  readonly ctime: number;
  readonly ino: number;
}

/** The look a stat result gives. */
export function lookOf(info: Deno.FileInfo): Look {
  return {
    size: info.size,
    mtime: info.mtime?.getTime() ?? 0,
    ctime: info.ctime?.getTime() ?? 0,
    ino: info.ino ?? 0,
  };
}

/** The state of the file at `path` now (never following a link), or null when there is none. */
export function lookAt(path: string): Look | null {
  try {
    return lookOf(Deno.lstatSync(path));
  } catch {
    return null;
  }
}

/** True when two looks show the same file in the same state. */
export function sameLook(a: Look | null, b: Look | null): boolean {
  if (a === null || b === null) return a === b;
  return a.size === b.size && a.mtime === b.mtime && a.ctime === b.ctime && a.ino === b.ino;
}

interface Unsettled {
  /** When the first event of this change came (ms). */
  readonly since: number;
  /** When the latest event came (ms). */
  lastEvent: number;
  /** The latest look, taken at `lookedAt` (undefined: none since the latest event). */
  look: Look | null | undefined;
  lookedAt: number;
  /** Whether it was already reported as never settling. */
  reported: boolean;
}

/** What {@link Settler.tick} found: names to read now, and names changing for too long. */
export interface SettleTick {
  readonly ready: string[];
  readonly stuck: Array<{ readonly name: string; readonly forMs: number }>;
}

/**
 * The one rule for every writer (redirect, `sed -i`, `cp`, `install`, editors, configuration
 * management that sets the mode after writing, a descriptor kept open): a name with any event is
 * unsettled; it is ready once no event came for `settleMs` and two looks `settleMs / 2` apart,
 * the first at least that long after the latest event, show the same size, mtime, ctime and
 * inode. Which events came, and in which order, does not matter: an event only restarts the
 * wait, and a look that differs (a change the watcher did not report) waits again. No state is
 * permanent: every unsettled name is looked at again until it settles, and one changing for
 * `stuckMs` is reported once (it stays unsettled, its last read version served). The caller
 * gives the clock and the looks.
 */
export class Settler {
  readonly #half: number;
  readonly #stuckMs: number;
  readonly #names = new Map<string, Unsettled>();

  constructor(settleMs: number, stuckMs: number) {
    this.#half = settleMs / 2;
    this.#stuckMs = stuckMs;
  }

  /** Something happened to `name` at `now`. */
  changed(name: string, now: number): void {
    const entry = this.#names.get(name);
    if (entry === undefined) {
      this.#names.set(name, {
        since: now,
        lastEvent: now,
        look: undefined,
        lookedAt: 0,
        reported: false,
      });
      return;
    }
    entry.lastEvent = now;
    entry.look = undefined;
  }

  /** Stops waiting for every name (they are read now, or the directory is gone). */
  clear(): void {
    this.#names.clear();
  }

  /** The names still waiting to settle, with when their change began (ms). */
  waiting(): ReadonlyMap<string, number> {
    return new Map([...this.#names].map(([name, entry]) => [name, entry.since]));
  }

  /** When {@link tick} next has something to do, or undefined when nothing waits. */
  nextAt(): number | undefined {
    let next: number | undefined;
    for (const entry of this.#names.values()) {
      const due = this.#due(entry);
      const at = entry.reported ? due : Math.min(due, entry.since + this.#stuckMs);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** When `entry` is next looked at. */
  #due(entry: Unsettled): number {
    return (entry.look === undefined ? entry.lastEvent : entry.lookedAt) + this.#half;
  }

  /** Looks at every name whose time has come (`look` reads the file's state). */
  tick(now: number, look: (name: string) => Look | null): SettleTick {
    const ready: string[] = [];
    const stuck: Array<{ name: string; forMs: number }> = [];
    for (const [name, entry] of this.#names) {
      if (!entry.reported && now - entry.since >= this.#stuckMs) {
        entry.reported = true;
        stuck.push({ name, forMs: now - entry.since });
      }
      if (now < this.#due(entry)) continue;
      const seen = look(name);
      if (entry.look !== undefined && sameLook(seen, entry.look)) {
        this.#names.delete(name);
        ready.push(name);
        continue;
      }
      entry.look = seen;
      entry.lookedAt = now;
    }
    return { ready, stuck };
  }
}
