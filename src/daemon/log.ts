/** Levelled logging: plain lines to stderr (the journal adds time), or timestamped lines to a file. */
import { escapeControls } from "../log_text.ts";

export type Level = "debug" | "info" | "warning" | "error";
const RANK: Record<Level, number> = { debug: 10, info: 20, warning: 30, error: 40 };
const encoder = new TextEncoder();

/** Where lines go: stderr as they are, or a file in the original's timestamped format. */
export interface LogSink {
  write(level: Level, message: string): void;
  reopen(): void;
  close(): void;
}

/**
 * sd-daemon(3) priority prefixes, which journald strips and records as the entry's priority:
 * debug 7 (LOG_DEBUG), info 6 (LOG_INFO), warning 4 (LOG_WARNING), error 3 (LOG_ERR). Every reason
 * the daemon cannot start or reload is an error, so `journalctl -p err` shows it.
 */
const JOURNAL_PRIORITY: Record<Level, string> = {
  debug: "<7>",
  info: "<6>",
  warning: "<4>",
  error: "<3>",
};

/**
 * True when systemd connected stdout or stderr to the journal (it sets JOURNAL_STREAM then).
 * Without permission to read it (`nfdhcpd check` may run with --allow-read alone) the answer is
 * no, never a permission prompt.
 */
export function stderrIsJournal(): boolean {
  const variable = "JOURNAL_STREAM";
  if (Deno.permissions.querySync({ name: "env", variable }).state !== "granted") return false;
  return Deno.env.get(variable) !== undefined;
}

/** The `<N>` prefix that gives a line `level`'s priority in the journal; "" off the journal. */
export function journalPrefix(level: Level, journal = stderrIsJournal()): string {
  return journal ? JOURNAL_PRIORITY[level] : "";
}

/**
 * Lines gathered while the JS thread runs and written with one system call when it is done (a
 * microtask: in the packet loop, at the end of its turn, at most a few ms later), so a burst of
 * served requests costs one write, not one each. A warning or an error is written at once, after
 * what came before it, and so is everything on `flush()` (a sink's reopen and close).
 */
class LineBatch {
  #lines: string[] = [];
  constructor(private readonly out: (bytes: Uint8Array) => void) {}

  add(level: Level, line: string): void {
    this.#lines.push(line);
    if (RANK[level] >= RANK.warning) this.flush();
    else if (this.#lines.length === 1) queueMicrotask(() => this.flush());
  }

  flush(): void {
    if (this.#lines.length === 0) return;
    const bytes = encoder.encode(this.#lines.join(""));
    this.#lines = [];
    try {
      this.out(bytes);
    } catch {
      // stderr closed (EPIPE), a full disk: lost lines must not stop the daemon
    }
  }
}

/** Writes all of `bytes` to `file` (a pipe may take less than all at once). */
function writeAll(file: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
}

/** One batch for the process's stderr, whichever sink writes to it: its lines stay in order. */
const stderrBatch = new LineBatch((bytes) => writeAll(Deno.stderr, bytes));

/**
 * `LEVEL: message` lines on stderr. When stderr goes to the journal (systemd sets JOURNAL_STREAM),
 * each line starts with its `<N>` priority, which journald strips and records, so `journalctl -p
 * warning` works, and the journal adds the time; anywhere else (a terminal, a file, runit, a
 * container log) each line starts with its time, as the log file's lines do.
 */
export class StderrSink implements LogSink {
  constructor(
    readonly journal = stderrIsJournal(),
    private readonly now: () => number = () => Date.now(),
  ) {}
  write(level: Level, message: string): void {
    const prefix = this.journal
      ? journalPrefix(level, true)
      : `${timestamp(new Date(this.now()))} `;
    stderrBatch.add(level, `${prefix}${level.toUpperCase()}: ${message}\n`);
  }
  reopen(): void {
    stderrBatch.flush();
  }
  close(): void {
    stderrBatch.flush();
  }
}

/**
 * Appends `YYYY-MM-DD HH:MM:SS,mmm LEVEL    message` lines to `path`, the original's format
 * (Python logging's `%(asctime)-15s %(levelname)-8s %(message)s`). Like the original's
 * WatchedFileHandler it follows logrotate by itself: at most once a second (`checkEveryMs`) it
 * checks that `path` is still the file it writes to, and reopens (creating) it when it was moved or
 * deleted, so no signal is needed after rotation. `reopen()` forces that. Writing never throws:
 * when the file cannot be reopened it goes on with the old one, and a failed write (disk full)
 * loses that line, not the daemon.
 */
export class FileSink implements LogSink {
  #file: Deno.FsFile;
  readonly #batch = new LineBatch((bytes) => writeAll(this.#file, bytes));
  #ino: number | null;
  #checkedAt: number;

  constructor(
    readonly path: string,
    private readonly now: () => number = () => Date.now(),
    private readonly checkEveryMs = 1000,
  ) {
    this.#file = FileSink.#open(path);
    this.#ino = this.#file.statSync().ino;
    this.#checkedAt = now();
  }
  static #open(path: string): Deno.FsFile {
    return Deno.openSync(path, { append: true, create: true, mode: 0o640 });
  }
  write(level: Level, message: string): void {
    const t = this.now();
    if (t - this.#checkedAt >= this.checkEveryMs) {
      this.#checkedAt = t;
      try {
        if (this.#moved()) this.reopen();
      } catch {
        // cannot reopen (e.g. the directory is gone): keep the old file, try again later
      }
    }
    this.#batch.add(
      level,
      `${timestamp(new Date(t))} ${level.toUpperCase().padEnd(8)} ${message}\n`,
    );
  }
  #moved(): boolean {
    try {
      return Deno.statSync(this.path).ino !== this.#ino;
    } catch {
      return true;
    }
  }
  reopen(): void {
    this.#batch.flush(); // What was logged before goes where it would have gone.
    const next = FileSink.#open(this.path);
    this.#file.close();
    this.#file = next;
    this.#ino = next.statSync().ino;
  }
  close(): void {
    this.#batch.flush();
    this.#file.close();
  }
}

/** Writes every line to each of `sinks` (e.g. the log file and stderr while a detached start is watched). */
export class TeeSink implements LogSink {
  readonly sinks: readonly LogSink[];
  constructor(...sinks: LogSink[]) {
    this.sinks = sinks;
  }
  write(level: Level, message: string): void {
    for (const s of this.sinks) s.write(level, message);
  }
  reopen(): void {
    for (const s of this.sinks) s.reopen();
  }
  close(): void {
    for (const s of this.sinks) s.close();
  }
}

/** `YYYY-MM-DD HH:MM:SS,mmm` in local time, as Python's logging writes it. */
export function timestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${
    p(d.getMinutes())
  }:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

/** A logger with a level threshold and per-key rate limiting for warnings a flood could trigger. */
export class Logger {
  #sink: LogSink;
  #threshold: number;
  #limits = new Map<string, { windowStart: number; count: number; suppressed: number }>();

  constructor(sink: LogSink, level: Level = "info", private readonly now = () => Date.now()) {
    this.#sink = sink;
    this.#threshold = RANK[level];
  }

  /** True when `level` lines are written (lets hot paths skip building messages). */
  enabled(level: Level): boolean {
    return RANK[level] >= this.#threshold;
  }

  /** Writes `message` as one line: control characters in it are escaped, never written raw. */
  log(level: Level, message: string): void {
    if (RANK[level] >= this.#threshold) this.#sink.write(level, escapeControls(message));
  }
  debug(message: string): void {
    this.log("debug", message);
  }
  info(message: string): void {
    this.log("info", message);
  }
  warning(message: string): void {
    this.log("warning", message);
  }
  error(message: string): void {
    this.log("error", message);
  }

  /**
   * Logs at most `perMinute` lines per `key` each minute; the next line after a quiet period says
   * how many were suppressed, so a flood of bad packets cannot fill a disk.
   */
  limited(level: Level, key: string, message: string, perMinute = 10): void {
    const t = this.now();
    let s = this.#limits.get(key);
    if (!s || t - s.windowStart >= 60_000) {
      if (s && s.suppressed > 0) {
        this.log(level, `${s.suppressed} similar messages suppressed (${key})`);
      }
      if (this.#limits.size > 10_000) this.#limits.clear();
      s = { windowStart: t, count: 0, suppressed: 0 };
      this.#limits.set(key, s);
    }
    if (s.count++ < perMinute) this.log(level, message);
    else s.suppressed++;
  }

  /** Switches where lines go (e.g. from stderr to the log file after detaching). */
  setSink(sink: LogSink): void {
    this.#sink.close();
    this.#sink = sink;
  }

  setLevel(level: Level): void {
    this.#threshold = RANK[level];
  }

  reopen(): void {
    this.#sink.reopen();
  }

  close(): void {
    this.#sink.close();
  }
}
