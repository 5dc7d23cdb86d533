/** The live table of bindings: every file in `datapath`, kept current with `Deno.watchFs`. */
import { errorMessage } from "../error_message.ts";
import { type Binding, isInterfaceName, parseBinding } from "./binding.ts";

/** Where the store reports what it does; `debug` is for the chatty part. */
export interface BindingStoreLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Called after a binding appears, changes (`binding`) or goes away (`undefined`). */
export type BindingListener = (tap: string, binding: Binding | undefined) => void;

/** Timing of the watch path: a burst of events is read once, within the latency bound. */
export interface BindingStoreOptions {
  /** Read a changed file once no event has come for it for this long (ms). */
  readonly quietMs?: number;
  /** ...but at most this long after the first event of a burst (ms). */
  readonly maxDelayMs?: number;
}

/** Files larger than this are not binding files (a real one is a few hundred bytes). */
const MAX_FILE_BYTES = 64 * 1024;
/** How many files are read at once during a full (re)load. */
const READ_CONCURRENCY = 32;
/** Suffixes of editor, package-manager and temporary files that are never bindings. */
const IGNORED_SUFFIXES = [
  "~",
  ".tmp",
  ".swp",
  ".swx",
  ".bak",
  ".new",
  ".old",
  ".orig",
  ".rej",
  ".dpkg-new",
  ".dpkg-old",
  ".dpkg-dist",
  ".rpmnew",
  ".rpmsave",
];

/**
 * True when a file in `datapath` can be a binding: its name could name a TAP (see
 * {@link isInterfaceName}), it is not hidden (`.tap0.swp`, mktemp's `.tap0.XXXXXX`) and it does
 * not end like an editor or temporary file (`tap0~`, `tap0.tmp`, `tap0.dpkg-new`...). VM managers
 * that write a temporary file and rename it over the binding thus never have the temporary
 * file read.
 */
export function isBindingFileName(name: string): boolean {
  if (!isInterfaceName(name) || name.startsWith(".")) return false;
  return !IGNORED_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/**
 * The bindings of `datapath`, by TAP name. A file that does not parse is logged (file, line,
 * reason) and its binding withdrawn, also when an earlier version of it was good: the file is the
 * VM manager's statement of what to serve, and a stale version may hand out an address that has
 * since moved. The other bindings keep working.
 *
 * Use: `store.watch(); await store.load();` (watching first, so that no change between the two
 * is missed), then `get(tap)` on the packet path, and `await store.close()` at the end.
 */
export class BindingStore {
  readonly #dir: string;
  readonly #log: BindingStoreLog;
  readonly #quietMs: number;
  readonly #maxDelayMs: number;
  readonly #bindings = new Map<string, Binding>();
  readonly #listeners = new Set<BindingListener>();
  /** Per name, the number of the latest read started; an older read's result is dropped. */
  readonly #generation = new Map<string, number>();
  /** Per name, the text last read, so that an unchanged file is neither parsed nor announced. */
  readonly #texts = new Map<string, string>();
  #reads = 0;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #pending = new Set<string>();
  #rescanPending = false;
  #rescanWhy = "";
  #burstStart = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #watcher: Deno.FsWatcher | undefined;
  #watchLoop: Promise<void> | undefined;
  #dirPaths = new Set<string>();
  #closed = false;
  #loaded = false;

  /** `datapath` is the directory of binding files; `log` receives what happens. */
  constructor(datapath: string, log: BindingStoreLog, options: BindingStoreOptions = {}) {
    this.#dir = datapath.replace(/(.)\/+$/, "$1");
    this.#log = log;
    this.#quietMs = options.quietMs ?? 10;
    this.#maxDelayMs = options.maxDelayMs ?? 40;
  }

  /** The binding of `tap`, if any. */
  get(tap: string): Binding | undefined {
    return this.#bindings.get(tap);
  }

  /** Every binding, in no particular order. */
  all(): IterableIterator<Binding> {
    return this.#bindings.values();
  }

  /** How many bindings there are. */
  get size(): number {
    return this.#bindings.size;
  }

  /** Adds a listener for changes; returns the function that removes it. */
  onChange(listener: BindingListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Reads every binding file of the directory and forgets bindings whose file is gone; listeners
   * hear of each change. Throws when the directory cannot be listed; files that cannot be read or
   * parsed are logged.
   */
  async load(): Promise<void> {
    const names = new Set<string>(this.#bindings.keys());
    for await (const entry of Deno.readDir(this.#dir)) {
      if (entry.isDirectory) continue;
      if (isBindingFileName(entry.name)) names.add(entry.name);
      else this.#log.debug(`Binding directory ${this.#dir}: ignoring ${entry.name}`);
    }
    const queue = [...names];
    const worker = async () => {
      for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
        await this.#refresh(name);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, queue.length) }, worker));
    this.#loaded = true;
    this.#log.info(`Loaded ${this.#bindings.size} bindings from ${this.#dir}`);
  }

  /**
   * Starts following the directory: files created, rewritten, deleted or renamed into or out
   * of it take effect within `maxDelayMs` plus the time to read them. A lost-events signal
   * (inotify queue overflow) or an event of unknown kind reloads everything, as does calling
   * this after `load()` (to catch up with changes made in between). Throws when the directory
   * cannot be watched.
   */
  watch(): void {
    if (this.#watcher || this.#closed) return;
    // Event paths are absolute; they may name the directory as given or as resolved.
    const absolute = this.#dir.startsWith("/") ? this.#dir : `${Deno.cwd()}/${this.#dir}`;
    this.#dirPaths = new Set([absolute, Deno.realPathSync(this.#dir)]);
    const watcher = Deno.watchFs(this.#dir, { recursive: false });
    this.#watcher = watcher;
    this.#watchLoop = (async () => {
      for await (const event of watcher) this.#onEvent(event);
    })().catch((e) => {
      if (!this.#closed) this.#log.error(`Watching ${this.#dir} failed: ${errorMessage(e)}`);
    });
    if (this.#loaded) {
      // Changes made between load() and now were missed: read everything again, in the
      // background; files that did not change are neither parsed nor announced again.
      this.#scheduleRescan("catching up with changes made before watching");
    }
  }

  /** Stops watching and waits for reads under way; the table stays readable. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#watcher) {
      try {
        this.#watcher.close();
      } catch {
        // Already closed.
      }
    }
    await this.#watchLoop;
    await Promise.all([...this.#inFlight]);
  }

  #onEvent(event: Deno.FsEvent): void {
    if (event.flag === "rescan" || event.kind === "any" || event.kind === "other") {
      return this.#scheduleRescan(
        event.flag === "rescan" ? "watch events were lost" : `${event.kind} event`,
      );
    }
    for (const path of event.paths) {
      const slash = path.lastIndexOf("/");
      // Skip events about the directory itself (e.g. its attributes).
      if (!this.#dirPaths.has(path.slice(0, slash))) continue;
      const name = path.slice(slash + 1);
      if (isBindingFileName(name)) this.#pending.add(name);
    }
    if (this.#pending.size > 0) this.#schedule();
  }

  #scheduleRescan(why: string): void {
    this.#rescanPending = true;
    this.#rescanWhy = why;
    this.#schedule();
  }

  /** Flushes once events stop for `quietMs`, or `maxDelayMs` after the first, whichever is first. */
  #schedule(): void {
    const now = performance.now();
    if (this.#timer === undefined) this.#burstStart = now;
    clearTimeout(this.#timer);
    const wait = Math.min(this.#quietMs, this.#burstStart + this.#maxDelayMs - now);
    this.#timer = setTimeout(() => this.#flush(), Math.max(0, wait));
  }

  #flush(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    if (this.#rescanPending) {
      this.#rescanPending = false;
      this.#pending.clear();
      this.#log.info(`Reloading every binding of ${this.#dir}: ${this.#rescanWhy}`);
      this.#track(this.load());
      return;
    }
    const names = [...this.#pending];
    this.#pending.clear();
    for (const name of names) this.#track(this.#refresh(name));
  }

  #track(work: Promise<void>): void {
    const done = work.catch((e) => this.#log.error(`Binding update failed: ${errorMessage(e)}`));
    this.#inFlight.add(done);
    done.then(() => this.#inFlight.delete(done));
  }

  /** Reads `name` again and brings the table in line with it (added, replaced or removed). */
  async #refresh(name: string): Promise<void> {
    const generation = ++this.#reads;
    this.#generation.set(name, generation);
    const path = `${this.#dir}/${name}`;
    let text: string | null = null;
    let why = "file removed";
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        this.#log.error(`Cannot read binding file ${path}: ${errorMessage(e)}`);
        why = "file unreadable";
      }
    }
    if (this.#closed || this.#generation.get(name) !== generation) return;
    if (text !== null && text.length > MAX_FILE_BYTES) {
      this.#log.error(`Cannot parse binding ${name}: file larger than ${MAX_FILE_BYTES} bytes`);
      text = null;
      why = "file rejected";
    }
    if (text === null) {
      this.#texts.delete(name);
      return this.#remove(name, why);
    }
    if (this.#texts.get(name) === text) return; // Touched, or reloaded after lost events.
    this.#texts.set(name, text);
    const result = parseBinding(name, text);
    if (!result.ok) {
      for (const error of result.errors) this.#log.error(error);
      return this.#remove(name, "file rejected");
    }
    for (const warning of result.warnings) this.#log.warn(warning);
    const replaced = this.#bindings.has(name);
    this.#bindings.set(name, result.binding);
    this.#log.debug(
      `${replaced ? "Updated" : "Added"} binding ${name} (MAC ${result.binding.macText})`,
    );
    this.#notify(name, result.binding);
  }

  #remove(name: string, why: string): void {
    this.#generation.delete(name);
    if (!this.#bindings.delete(name)) return;
    this.#log.info(`Removed binding ${name}: ${why}`);
    this.#notify(name, undefined);
  }

  #notify(tap: string, binding: Binding | undefined): void {
    for (const listener of this.#listeners) {
      try {
        listener(tap, binding);
      } catch (e) {
        this.#log.error(`Binding listener failed for ${tap}: ${errorMessage(e)}`);
      }
    }
  }
}
