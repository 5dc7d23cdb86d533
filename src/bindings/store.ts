/** The live table of bindings: every file in `datapath`, kept current with `Deno.watchFs`. */
import { type FileRead, RegularFileReader } from "../../ffi/regular_file.ts";
import { errorMessage } from "../error_message.ts";
import { escapeForLog } from "../log_text.ts";
import { type Binding, BindingInterner, isInterfaceName, parseBinding } from "./binding.ts";
import { ChangeReport } from "./change_report.ts";
import { DirectoryWatch } from "./directory_watch.ts";

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
  /** How often the directory itself is checked: gone, replaced, back, FIFOs (ms). */
  readonly checkMs?: number;
  /** Reads one file (tests slow it down); the default reads regular files only, never blocking. */
  readonly readFile?: (path: string) => FileRead | Promise<FileRead>;
  /**
   * Whether a network interface of this name exists now. A file whose name is not one is
   * served on its INDEV (see {@link BindingStore.get}); the default takes every name for one,
   * so every binding is found by its file name only.
   */
  readonly isInterface?: (name: string) => boolean;
}

/** Files larger than this are not binding files (a real one is a few hundred bytes). */
const MAX_FILE_BYTES = 64 * 1024;
/** How many files are read before the event loop gets a turn (reads are synchronous). */
const READS_PER_TURN = 256;
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
 * The bindings of `datapath`, by TAP name: the file's name, or, for a file whose name is not an
 * interface (the OpenNebula driver's `one-42-0`, whose INDEV names the TAP), its INDEV. A file
 * that that does not parse is logged (file, line,
 * reason) and its binding withdrawn, also when an earlier version of it was good: the file is the
 * VM manager's statement of what to serve, and a stale version may hand out an address that has
 * since moved. The other bindings keep working.
 *
 * Only regular files are bindings: a symbolic link, FIFO, device or socket is reported and never
 * followed or opened in a way that can wait, at load, on events and on reload alike. A file is
 * read once its writer is done: after a close of a write, a rename into place, a link or a
 * removal, never on a bare modification (a writer pausing mid-file).
 *
 * Use: `store.watch(); await store.load();` (watching first, so that no change between the two
 * is missed), then `get(tap)` on the packet path, `await store.reload()` on SIGHUP, and
 * `await store.close()` at the end.
 */
export class BindingStore {
  readonly #dir: string;
  readonly #log: BindingStoreLog;
  readonly #quietMs: number;
  readonly #maxDelayMs: number;
  readonly #checkMs: number;
  readonly #readFile: (path: string) => FileRead | Promise<FileRead>;
  #isInterface: (name: string) => boolean;
  readonly #bindings = new Map<string, Binding>();
  /** INDEV → the files naming it that are not named after it: who may be served there. */
  readonly #claims = new Map<string, Set<string>>();
  /** The SUBNET6/GATEWAY6 values its bindings share. */
  readonly #interner = new BindingInterner();
  readonly #listeners = new Set<BindingListener>();
  /** Per name, the number of the latest read started; an older read's result is dropped. */
  readonly #generation = new Map<string, number>();
  /** Per name, the text last read, so that an unchanged file is neither parsed nor announced. */
  readonly #texts = new Map<string, string>();
  /** Names modified since their last close: a writer is at work, the content is partial. */
  readonly #writing = new Set<string>();
  #reads = 0;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #pending = new Set<string>();
  #rescanPending = false;
  #rescanWhy = "";
  #burstStart = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #watch: DirectoryWatch | undefined;
  #dirPaths: ReadonlySet<string> = new Set();
  #closed = false;
  #loaded = false;

  /** `datapath` is the directory of binding files; `log` receives what happens. */
  constructor(datapath: string, log: BindingStoreLog, options: BindingStoreOptions = {}) {
    this.#dir = datapath.replace(/(.)\/+$/, "$1");
    this.#log = log;
    this.#quietMs = options.quietMs ?? 10;
    this.#maxDelayMs = options.maxDelayMs ?? 40;
    this.#checkMs = options.checkMs ?? 1000;
    this.#isInterface = options.isInterface ?? (() => true);
    if (options.readFile) {
      this.#readFile = options.readFile;
    } else {
      const reader = new RegularFileReader(MAX_FILE_BYTES);
      this.#readFile = (path) => reader.read(path);
    }
  }

  /**
   * The binding served on interface `tap`: the file named `tap`, else the one file whose INDEV
   * is `tap` and whose own name is no interface (the original's OpenNebula driver names files
   * after the VM and NIC). Two such files claiming one interface are a conflict: neither is
   * served there (reported when the second appears), since either could be the stale one. A
   * Ganeti bridged binding (file `tap0`, INDEV the bridge) is found by its TAP only, once the
   * TAP exists.
   */
  get(tap: string): Binding | undefined {
    const own = this.#bindings.get(tap);
    if (own !== undefined) return own;
    const claims = this.#claims.get(tap);
    if (claims === undefined) return undefined;
    const claimants = this.#claimants(claims);
    return claimants.length === 1 ? this.#bindings.get(claimants[0]!) : undefined;
  }

  /**
   * Sets how the store tells interfaces from other names (see the `isInterface` option), for a
   * store made before the interfaces could be known; reports the INDEV conflicts this reveals.
   */
  useInterfaces(isInterface: (name: string) => boolean): void {
    this.#isInterface = isInterface;
    for (const [indev, claims] of this.#claims) this.#reportConflict(indev, claims);
  }

  /** The interface `binding` is served on: its file's name, or its INDEV (see {@link get}). */
  interfaceOf(binding: Binding): string {
    return binding.indev !== binding.tap && this.get(binding.indev) === binding
      ? binding.indev
      : binding.tap;
  }

  /** The files of `claims` that may be served on the INDEV they name: those not interfaces. */
  #claimants(claims: ReadonlySet<string>): string[] {
    return [...claims].filter((name) => !this.#isInterface(name));
  }

  /** Keeps the INDEV claims in line with `name`'s binding (`binding` undefined: gone). */
  #claim(name: string, before: Binding | undefined, binding: Binding | undefined): void {
    if (before !== undefined && before.indev !== name) {
      const claims = this.#claims.get(before.indev);
      claims?.delete(name);
      if (claims?.size === 0) this.#claims.delete(before.indev);
    }
    if (binding === undefined || binding.indev === name) return;
    let claims = this.#claims.get(binding.indev);
    if (claims === undefined) this.#claims.set(binding.indev, claims = new Set());
    claims.add(name);
    this.#reportConflict(binding.indev, claims);
  }

  #reportConflict(indev: string, claims: ReadonlySet<string>): void {
    if (claims.size < 2 || this.#bindings.has(indev)) return;
    const claimants = this.#claimants(claims);
    if (claimants.length < 2) return;
    this.#log.warn(
      `Binding files ${claimants.map(escapeForLog).join(", ")} all name INDEV ` +
        `${escapeForLog(indev)}, which no file is named after: none is served there`,
    );
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
   * hear of each change, the log gets one summary. Throws when the directory cannot be listed;
   * files that cannot be read or parsed are logged.
   */
  async load(): Promise<void> {
    const names = new Set<string>(this.#bindings.keys());
    const report = new ChangeReport(this.#log);
    for (const entry of Deno.readDirSync(this.#dir)) {
      if (entry.isDirectory) continue;
      if (isBindingFileName(entry.name)) names.add(entry.name);
      else this.#log.debug(`Binding directory ${this.#dir}: ignoring ${escapeForLog(entry.name)}`);
    }
    await this.#refreshAll([...names].filter((name) => !this.#writing.has(name)), report);
    // Closed meanwhile (the daemon is stopping): the load was cut short and reports nothing.
    if (this.#closed) return;
    this.#loaded = true;
    report.finish(`Loaded ${this.#bindings.size} bindings from ${this.#dir}: ${report.counts()}`);
  }

  /**
   * Watches the directory afresh (also when it was removed, replaced or renamed away) and reads
   * it again: what SIGHUP does. When the directory is missing, its bindings are withdrawn and it
   * is watched for again; no error is thrown.
   */
  async reload(): Promise<void> {
    if (this.#closed) return;
    if (this.#watch) {
      try {
        this.#watch.rearm();
      } catch {
        this.#watch.check(); // Missing: withdraws the bindings and waits for the directory.
        return;
      }
    }
    await this.load();
  }

  /**
   * Starts following the directory: files created, rewritten, deleted or renamed into or out
   * of it take effect within `maxDelayMs` plus the time to read them. A lost-events signal
   * (inotify queue overflow) or an event of unknown kind reloads everything, as does calling
   * this after `load()` (to catch up with changes made in between). The watch survives the
   * directory going away and coming back. Throws when the directory cannot be watched.
   */
  watch(): void {
    if (this.#watch || this.#closed) return;
    const watch = new DirectoryWatch(this.#dir, {
      event: (event) => this.#onEvent(event),
      gone: () => this.#onGone(),
      back: () => this.#scheduleRescan(`${this.#dir} is back`),
      error: (message) => this.#log.error(message),
    }, this.#checkMs);
    watch.start();
    this.#watch = watch;
    this.#dirPaths = watch.dirPaths;
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
    await this.#watch?.close();
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
      if (!this.#dirPaths.has(path.slice(0, slash))) continue;
      const name = path.slice(slash + 1);
      if (!isBindingFileName(name)) continue;
      // "modify" is a write (or truncation, or attribute change) by a writer that may not be
      // done; "access" is the close of a write; create, rename and remove are whole changes.
      if (event.kind === "modify") this.#writing.add(name);
      else this.#writing.delete(name);
      this.#pending.add(name);
    }
    if (this.#pending.size > 0) this.#schedule();
  }

  #onGone(): void {
    this.#log.error(
      `Binding directory ${this.#dir} is gone: withdrawing its ${this.#bindings.size} ` +
        "bindings until it is back",
    );
    this.#pending.clear();
    this.#writing.clear();
    const report = new ChangeReport(this.#log);
    for (const name of [...this.#bindings.keys()]) {
      this.#generation.set(name, ++this.#reads); // Reads under way are stale now.
      this.#texts.delete(name);
      this.#remove(name, "directory gone", report);
    }
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
    // A name still being written waits for its writer's close (another event).
    const names = [...this.#pending].filter((name) => !this.#writing.has(name));
    this.#pending.clear();
    if (names.length === 0) return;
    const report = new ChangeReport(this.#log);
    this.#track(
      this.#refreshAll(names, report).then(() => {
        if (!report.empty) report.finish(`Bindings: ${report.counts()}`);
      }),
    );
  }

  #track(work: Promise<void>): void {
    const done = work.catch((e) => this.#log.error(`Binding update failed: ${errorMessage(e)}`));
    this.#inFlight.add(done);
    done.then(() => this.#inFlight.delete(done));
  }

  async #refreshAll(names: readonly string[], report: ChangeReport): Promise<void> {
    for (let i = 0; i < names.length; i++) {
      if (i > 0 && i % READS_PER_TURN === 0) await new Promise((r) => setTimeout(r, 0));
      if (this.#closed) return;
      await this.#refresh(names[i]!, report);
    }
  }

  /** Reads `name` again and brings the table in line with it (added, replaced or removed). */
  async #refresh(name: string, report: ChangeReport): Promise<void> {
    const generation = ++this.#reads;
    this.#generation.set(name, generation);
    const shown = escapeForLog(name);
    let read: FileRead;
    try {
      read = await this.#readFile(`${this.#dir}/${name}`);
    } catch (e) {
      read = { kind: "refused", reason: errorMessage(e) };
    }
    if (this.#closed || this.#generation.get(name) !== generation) return;
    if (read.kind !== "text") {
      this.#texts.delete(name);
      if (read.kind === "missing") return this.#remove(name, "file removed", report);
      report.rejected++;
      report.error(`Binding file ${this.#dir}/${shown} is not used: ${read.reason}`);
      return this.#remove(name, "file rejected", report);
    }
    const text = read.text;
    if (this.#texts.get(name) === text) return; // Touched, or reloaded after lost events.
    this.#texts.set(name, text);
    const result = parseBinding(shown, text, false, this.#interner);
    if (!result.ok) {
      report.rejected++;
      for (const error of result.errors) report.error(error);
      return this.#remove(name, "file rejected", report);
    }
    for (const warning of result.warnings) this.#log.warn(warning);
    const before = this.#bindings.get(name);
    const replaced = before !== undefined;
    this.#bindings.set(name, result.binding);
    this.#claim(name, before, result.binding);
    if (replaced) report.updated++;
    else report.added++;
    this.#log.debug(
      `${replaced ? "Updated" : "Added"} binding ${shown} (MAC ${result.binding.macText})`,
    );
    this.#notify(name, result.binding);
  }

  #remove(name: string, why: string, report: ChangeReport): void {
    this.#generation.delete(name);
    const before = this.#bindings.get(name);
    if (!this.#bindings.delete(name)) return;
    this.#claim(name, before, undefined);
    report.removed++;
    this.#log.debug(`Removed binding ${escapeForLog(name)}: ${why}`);
    this.#notify(name, undefined);
  }

  #notify(tap: string, binding: Binding | undefined): void {
    for (const listener of this.#listeners) {
      try {
        listener(tap, binding);
      } catch (e) {
        this.#log.error(`Binding listener failed for ${escapeForLog(tap)}: ${errorMessage(e)}`);
      }
    }
  }
}
