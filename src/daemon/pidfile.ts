/** The daemon's pidfile: refuse to start while a live process holds it, replace a stale one. */
import { errorMessage } from "../error_message.ts";
import { processExists } from "../../ffi/process.ts";

/** What a pidfile says: nothing there, a live process, or a leftover from a dead one. */
export type PidfileState =
  | { readonly state: "absent" }
  | { readonly state: "held"; readonly pid: number }
  | { readonly state: "stale"; readonly pid: number | null; readonly why: string };

/** Starting while another daemon holds the pidfile. */
export class PidfileHeldError extends Error {
  constructor(readonly path: string, readonly pid: number) {
    super(`Cannot start: nfdhcpd is already running as pid ${pid} (pidfile ${path})`);
    this.name = "PidfileHeldError";
  }
}

function readPid(text: string): number | null {
  const t = text.trim();
  return /^\d{1,10}$/.test(t) && Number(t) > 0 ? Number(t) : null;
}

/**
 * Reads `path`: absent, held by a live process other than `self`, or stale (dead process, not a
 * pid, or our own pid left by an earlier image of this very process).
 */
export function inspectPidfile(
  path: string,
  self = Deno.pid,
  alive: (pid: number) => boolean = processExists,
): PidfileState {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { state: "absent" };
    throw new Error(`Cannot read pidfile ${path}: ${errorMessage(e)}`);
  }
  const pid = readPid(text);
  if (pid === null) return { state: "stale", pid: null, why: "it holds no process id" };
  if (pid === self) return { state: "stale", pid, why: "it holds our own pid" };
  if (!alive(pid)) return { state: "stale", pid, why: `no process ${pid} is running` };
  return { state: "held", pid };
}

/** A pidfile we wrote; {@link Pidfile.remove} deletes it on a clean stop. */
export class Pidfile {
  private constructor(readonly path: string, readonly pid: number) {}

  /**
   * Writes `pid` (`"<pid>\n"`) to `path`, created exclusively so two daemons starting together
   * cannot both win. Throws {@link PidfileHeldError} when a live process holds it; a stale one is
   * replaced and reported through `onStale`.
   */
  static acquire(
    path: string,
    options: {
      readonly pid?: number;
      readonly alive?: (pid: number) => boolean;
      readonly onStale?: (state: PidfileState & { state: "stale" }) => void;
    } = {},
  ): Pidfile {
    const pid = options.pid ?? Deno.pid;
    for (let attempt = 0; attempt < 3; attempt++) {
      let file: Deno.FsFile;
      try {
        file = Deno.openSync(path, { write: true, createNew: true, mode: 0o644 });
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) {
          throw new Error(`Cannot create pidfile ${path}: ${errorMessage(e)}`);
        }
        const found = inspectPidfile(path, pid, options.alive);
        if (found.state === "held") throw new PidfileHeldError(path, found.pid);
        if (found.state === "stale") {
          options.onStale?.(found);
          removeIfPresent(path);
        }
        continue;
      }
      try {
        file.writeSync(new TextEncoder().encode(`${pid}\n`));
      } catch (e) {
        removeIfPresent(path);
        throw new Error(`Cannot write pidfile ${path}: ${errorMessage(e)}`);
      } finally {
        file.close();
      }
      return new Pidfile(path, pid);
    }
    throw new Error(`Cannot create pidfile ${path}: it keeps reappearing`);
  }

  /** Deletes the pidfile if it still holds our pid; returns true when it did. */
  remove(): boolean {
    try {
      if (readPid(Deno.readTextFileSync(this.path)) !== this.pid) return false;
      Deno.removeSync(this.path);
      return true;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return false;
      throw new Error(`Cannot remove pidfile ${this.path}: ${errorMessage(e)}`);
    }
  }
}

function removeIfPresent(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new Error(`Cannot remove stale pidfile ${path}: ${errorMessage(e)}`);
    }
  }
}
