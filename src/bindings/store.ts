/** The live table of bindings: every file in `datapath`, kept current with `Deno.watchFs`. */
import { listDirectory } from "../../ffi/directory.ts";
import { type FileRead, RegularFileReader } from "../../ffi/regular_file.ts";
import { errorMessage } from "../error_message.ts";
import { escapeForLog } from "../log_text.ts";
import { type Binding, BindingInterner, isInterfaceName, parseBinding } from "./binding.ts";
import { ChangeReport } from "./change_report.ts";
import { DirectoryWatch, type Listed } from "./directory_watch.ts";
import { lookAt, Settler } from "./settle.ts";

/** Where the store reports what it does; `debug` is for the chatty part. */
export interface BindingStoreLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Called after a binding appears, changes (`binding`) or goes away (`undefined`). */
export type BindingListener = (tap: string, binding: Binding | undefined) => void;

/** Timing of the watch path (see {@link Settler}) and the edges tests replace. */
export interface BindingStoreOptions {
  /** A changed file is read once it showed no change for this long (ms). */
  readonly settleMs?: number;
  /** A file still changing after this long is reported (ms); it keeps being looked at. */
  readonly stuckMs?: number;
  /** How often the directory itself is checked: gone, replaced, back, FIFOs (ms). */
  readonly checkMs?: number;
  /** Reads one file (tests slow it down); the default reads regular files only, never blocking. */
  readonly readFile?: (path: string, listedRegular: boolean) => FileRead | Promise<FileRead>;
  /**
   * Whether a network interface of this name exists now. A file whose name is not one is
   * served on its INDEV (see {@link BindingStore.get}); the default takes every name for one,
   * so every binding is found by its file name only.
   */
  readonly isInterface?: (name: string) => boolean;
  /** Makes the directory's watcher (tests feed events with it); by default `Deno.watchFs`. */
  readonly watchFs?: (dir: string) => Deno.FsWatcher;
}

/** A file that did not parse: its text and why. */
interface Rejected {
  readonly text: string;
  readonly errors: readonly string[];
}

/** Under a second from the last write to the read, and longer than any writer's pause seen. */
const SETTLE_MS = 400;
/** A file changing for this long is reported as never settling. */
const STUCK_MS = 10_000;
/** Files larger than this are not binding files (a real one is a few hundred bytes). */
const MAX_FILE_BYTES = 64 * 1024;
/** How many files are read before the event loop gets a turn (reads are synchronous). */
const READS_PER_TURN = 256;
/** Resolves after the event loop has had a turn (timers, signals, queued packets). */
const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Names of editors', tools' and package managers' temporary and backup files: never bindings. */
const IGNORED_NAMES = [
  /~$/,
  /\.(tmp|temp|swp|swx|swo|bak|new|old|orig|rej|part|rpmnew|rpmsave)$/,
  /\.dpkg-[a-z]+$/,
  /\.ucf-[a-z]+$/,
  /\.puppettmp_\d+$/,
  /^#.*#$/,
];

/**
 * True when a file in `datapath` can be a binding: its name could name a TAP (see
 * {@link isInterfaceName}), it is not hidden (`.tap0.swp`, mktemp's `.tap0.XXXXXX`, Ansible's
 * `.ansible_tmp...`) and it does not look like an editor's or tool's temporary or backup file
 * (`tap0~`, `tap0.tmp`, `tap0.dpkg-new`, `tap0.puppettmp_42`, `#tap0#`...). Temporary files with
 * other names (`sed -i`'s `sedXXXXXX`, Python's `tmpXXXXXXXX`) are gone before they settle.
 */
export function isBindingFileName(name: string): boolean {
  if (!isInterfaceName(name) || name.startsWith(".")) return false;
  return !IGNORED_NAMES.some((pattern) => pattern.test(name));
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
 * followed or opened in a way that can wait, at load, on events and on reload alike. After an
 * event, a file is read once it has stopped changing ({@link Settler}), whatever the writer did;
 * a file whose content is the same as last read (chmod, chown, touch) changes nothing.
 *
 * Use: `await store.load(); store.watch();` (loading first: a watched directory's every open and
 * close is an inotify event, which made the reads at start twice as slow; the watch catches up
 * with what changed during the load), then `get(tap)` on the packet path, `await
 * store.reload()` on SIGHUP, and `await store.close()` at the end.
 */
export class BindingStore {
  readonly #dir: string;
  readonly #log: BindingStoreLog;
  readonly #settler: Settler;
  readonly #checkMs: number;
  readonly #readFile: (path: string, listedRegular: boolean) => FileRead | Promise<FileRead>;
  readonly #reader = new RegularFileReader(MAX_FILE_BYTES);
  #isInterface: (name: string) => boolean;
  readonly #bindings = new Map<string, Binding>();
  /** INDEV → the files naming it that are not named after it: who may be served there. */
  readonly #claims = new Map<string, Set<string>>();
  /** The SUBNET6/GATEWAY6 values its bindings share. */
  readonly #interner = new BindingInterner();
  readonly #listeners = new Set<BindingListener>();
  /** Per name being read, the number of the latest read started; an older read's is dropped. */
  readonly #generation = new Map<string, number>();
  /**
   * Per name, the text last read, with its errors when it did not parse: an unchanged file is
   * neither parsed nor announced again, and a reload reports it rejected again.
   */
  readonly #texts = new Map<string, string | Rejected>();
  #reads = 0;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #watchFs: ((dir: string) => Deno.FsWatcher) | undefined;
  #rescanPending = false;
  #rescanWhy = "";
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #watch: DirectoryWatch | undefined;
  #dirPaths: ReadonlySet<string> = new Set();
  #closed = false;
  #loaded = false;
  /** What the last load listed and read (and when it began), for {@link watch}'s catch-up. */
  #lastLoad: { readonly names: ReadonlySet<string>; readonly listed: Listed } | undefined;

  /** `datapath` is the directory of binding files; `log` receives what happens. */
  constructor(datapath: string, log: BindingStoreLog, options: BindingStoreOptions = {}) {
    this.#dir = datapath.replace(/(.)\/+$/, "$1");
    this.#log = log;
    this.#settler = new Settler(options.settleMs ?? SETTLE_MS, options.stuckMs ?? STUCK_MS);
    this.#checkMs = options.checkMs ?? 1000;
    this.#isInterface = options.isInterface ?? (() => true);
    this.#watchFs = options.watchFs;
    this.#readFile = options.readFile ??
      ((path, listedRegular) => this.#reader.read(path, listedRegular));
  }

  /**
   * The binding served on interface `tap`: the file named `tap`, else the one file whose INDEV
   * is `tap` and whose own name is no interface (the OpenNebula fork's driver names files
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
   * Reads every binding file of the directory now, whatever the watcher reported, and forgets
   * bindings whose file is gone; listeners hear of each change, the log gets one summary (added,
   * updated, removed, rejected, unchanged; each rejected file's reason before it). Throws when
   * the directory cannot be listed.
   */
  async load(): Promise<void> {
    const at = Date.now();
    const mtime = Deno.statSync(this.#dir).mtime?.getTime() ?? 0;
    const special: Deno.DirEntry[] = [];
    const regular = new Set<string>();
    const names = new Set<string>(this.#bindings.keys());
    const report = new ChangeReport(this.#log);
    const entries = listDirectory(this.#dir);
    if (entries === null) throw new Deno.errors.NotFound(`No such directory: ${this.#dir}`);
    for (const entry of entries) {
      if (entry.isDirectory) continue;
      if (entry.isFile) regular.add(entry.name);
      else special.push(entry);
      if (isBindingFileName(entry.name)) names.add(entry.name);
      else this.#log.debug(`Binding directory ${this.#dir}: ignoring ${escapeForLog(entry.name)}`);
    }
    await this.#refreshAll([...names], report, true, regular);
    // Closed meanwhile (the daemon is stopping): the load was cut short and reports nothing.
    if (this.#closed) return;
    this.#loaded = true;
    if (this.#watch === undefined) this.#lastLoad = { names, listed: { mtime, at, special } };
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
   * of it take effect once they settle (`settleMs` after the last change) plus the time to read
   * them. A lost-events signal (inotify queue overflow) or an event of unknown kind reloads
   * everything. Called after `load()`, it catches up with the changes made since the load
   * began: files added, removed, or whose status changed since then are looked at as after an
   * event. The watch survives the directory going away and coming back. Throws when the
   * directory cannot be watched.
   */
  watch(): void {
    if (this.#watch || this.#closed) return;
    const watch = new DirectoryWatch(
      this.#dir,
      {
        event: (event) => this.#onEvent(event),
        gone: () => this.#onGone(),
        back: () => this.#scheduleRescan(`${this.#dir} is back`),
        error: (message) => this.#log.error(message),
      },
      this.#checkMs,
      this.#watchFs ? { watchFs: this.#watchFs } : {},
    );
    // The FIFOs the load found are held at once; the load's listing spares a second one.
    watch.start(this.#lastLoad?.listed);
    this.#watch = watch;
    this.#dirPaths = watch.dirPaths;
    const load = this.#lastLoad;
    if (load !== undefined) this.#track(this.#catchUp(load));
  }

  /**
   * Marks as changed every name added, removed or whose status changed (ctime, which every write,
   * rename and chmod sets) since `load` began, with a second's margin for the file system's
   * coarse clock. One statx a file, no read, and no listing unless the directory changed: what
   * did not change is not read again. It starts after the caller's turn (the daemon says it is
   * ready first) and gives the event loop a turn every {@link READS_PER_TURN} files; what it
   * finds is read once it settles, as after an event.
   */
  async #catchUp(
    load: { readonly names: ReadonlySet<string>; readonly listed: Listed },
  ): Promise<void> {
    this.#lastLoad = undefined;
    await nextTurn();
    const since = load.listed.at - 1000;
    const changedSince = (path: string) => {
      const at = this.#reader.statusChangedAt(path);
      return at === null || at >= since;
    };
    const changed = (name: string) => this.#settler.changed(name, performance.now());
    // Adding, removing or renaming a file changes the directory: when it did not change, only
    // the files read at load can have changed (in place), and there is nothing to list.
    let names = [...load.names];
    if (changedSince(this.#dir)) {
      let entries: Deno.DirEntry[] | null;
      try {
        entries = listDirectory(this.#dir);
      } catch {
        entries = null;
      }
      if (entries === null) {
        return this.#scheduleRescan("the directory could not be listed after loading");
      }
      const listed = new Set<string>();
      for (const entry of entries) {
        if (!entry.isDirectory && isBindingFileName(entry.name)) listed.add(entry.name);
      }
      for (const name of load.names) if (!listed.has(name)) changed(name);
      for (const name of listed) if (!load.names.has(name)) changed(name);
      names = names.filter((name) => listed.has(name));
    }
    for (let i = 0; i < names.length; i++) {
      if (i > 0 && i % READS_PER_TURN === 0) await nextTurn();
      if (this.#closed) return;
      if (changedSince(`${this.#dir}/${names[i]}`)) changed(names[i]!);
    }
    this.#schedule();
  }

  /** Stops watching and waits for reads under way; the table stays readable. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
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
      // Whatever the kind (a write, its close, an attribute change, a rename, a removal): the
      // file is looked at until it stops changing.
      if (isBindingFileName(name)) this.#settler.changed(name, performance.now());
    }
    this.#schedule();
  }

  #onGone(): void {
    this.#log.error(
      `Binding directory ${this.#dir} is gone: withdrawing its ${this.#bindings.size} ` +
        "bindings until it is back",
    );
    this.#settler.clear();
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

  /** Sets the timer for the next rescan (at once) or look at unsettled files. */
  #schedule(): void {
    if (this.#closed) return;
    const at = this.#rescanPending ? 0 : this.#settler.nextAt();
    if (at === undefined) return;
    // A timer due sooner is already set; a later one is moved up.
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#flush(), Math.max(0, at - performance.now()));
  }

  #flush(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#closed) return;
    if (this.#rescanPending) {
      this.#rescanPending = false;
      this.#log.info(`Reloading every binding of ${this.#dir}: ${this.#rescanWhy}`);
      this.#track(this.load().then(() => this.#schedule()));
      return;
    }
    const { ready, stuck } = this.#settler.tick(
      performance.now(),
      (name) => lookAt(`${this.#dir}/${name}`),
    );
    for (const { name, forMs } of stuck) {
      this.#log.warn(
        `Binding file ${this.#dir}/${escapeForLog(name)} has not stopped changing for ` +
          `${Math.round(forMs / 1000)} s: it is read once it has; until then its last complete ` +
          "version is served",
      );
    }
    this.#schedule();
    if (ready.length === 0) return;
    const report = new ChangeReport(this.#log);
    this.#track(
      this.#refreshAll(ready, report, false).then(() => {
        if (!report.empty) report.finish(`Bindings: ${report.counts()}`);
      }),
    );
  }

  /** Names waiting for their file to stop changing, with when the change began (epoch ms). */
  unsettled(): ReadonlyMap<string, number> {
    const offset = Date.now() - performance.now();
    return new Map([...this.#settler.waiting()].map(([name, since]) => [name, since + offset]));
  }

  #track(work: Promise<void>): void {
    const done = work.catch((e) => this.#log.error(`Binding update failed: ${errorMessage(e)}`));
    this.#inFlight.add(done);
    done.then(() => this.#inFlight.delete(done));
  }

  /**
   * Refreshes each of `names`; `reload`: also report again the unchanged files not served;
   * `listedRegular`: the names a listing just showed as regular files (see RegularFileReader).
   */
  async #refreshAll(
    names: readonly string[],
    report: ChangeReport,
    reload: boolean,
    listedRegular: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    // The first load has nobody to give a turn to (no queue is bound yet), and each turn costs
    // a timer's 4 ms nesting clamp: it reads straight through.
    const perTurn = this.#loaded ? READS_PER_TURN : Number.POSITIVE_INFINITY;
    for (let i = 0; i < names.length; i++) {
      if (i > 0 && i % perTurn === 0) await nextTurn();
      if (this.#closed) return;
      const name = names[i]!;
      const pending = this.#refresh(name, report, reload, listedRegular.has(name));
      if (pending !== undefined) await pending;
    }
  }

  /** Reads `name` again and brings the table in line with it (added, replaced or removed). */
  #refresh(
    name: string,
    report: ChangeReport,
    reload: boolean,
    listedRegular: boolean,
  ): Promise<void> | void {
    const generation = ++this.#reads;
    this.#generation.set(name, generation);
    let read: FileRead | Promise<FileRead>;
    try {
      read = this.#readFile(`${this.#dir}/${name}`, listedRegular);
    } catch (e) {
      read = { kind: "refused", reason: errorMessage(e) };
    }
    // The daemon's reads are synchronous: no promise (and no turn of the event loop) per file.
    if (!(read instanceof Promise)) return this.#apply(name, generation, read, report, reload);
    return read.then(
      (r) => this.#apply(name, generation, r, report, reload),
      (e) =>
        this.#apply(name, generation, { kind: "refused", reason: errorMessage(e) }, report, reload),
    );
  }

  /** Brings the table in line with what the read of `generation` gave. */
  #apply(
    name: string,
    generation: number,
    read: FileRead,
    report: ChangeReport,
    reload: boolean,
  ): void {
    if (this.#closed || this.#generation.get(name) !== generation) return;
    // The latest read is in: an older one still under way is stale too (no entry, no match).
    this.#generation.delete(name);
    const shown = escapeForLog(name);
    if (read.kind !== "text") {
      this.#texts.delete(name);
      if (read.kind === "missing") return this.#remove(name, "file removed", report);
      report.reject([`Binding file ${this.#dir}/${shown} is not used: ${read.reason}`]);
      return this.#remove(name, "file rejected", report);
    }
    const text = read.text;
    const last = this.#texts.get(name);
    if (last === text) {
      // Touched, chmod'ed, or read again by a reload: nothing to parse or announce.
      report.unchanged++;
      return;
    }
    if (typeof last === "object" && last.text === text) {
      if (reload) report.reject(last.errors);
      return;
    }
    const result = parseBinding(name, text, false, this.#interner);
    this.#texts.set(name, result.ok ? text : { text, errors: result.errors });
    if (!result.ok) {
      report.reject(result.errors);
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
