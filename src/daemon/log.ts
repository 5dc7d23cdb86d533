/** Levelled logging: plain lines to stderr (the journal adds time), or timestamped lines to a file. */

export type Level = "debug" | "info" | "warning" | "error";
const RANK: Record<Level, number> = { debug: 10, info: 20, warning: 30, error: 40 };
const encoder = new TextEncoder();

/** Where lines go: stderr as they are, or a file with the original's timestamped format. */
export interface LogSink {
  write(line: string): void;
  reopen(): void;
  close(): void;
}

/** Plain `LEVEL: message` lines on stderr. */
export class StderrSink implements LogSink {
  write(line: string): void {
    Deno.stderr.writeSync(encoder.encode(line + "\n"));
  }
  reopen(): void {}
  close(): void {}
}

/** Appends to `path`; `reopen()` follows logrotate moving the file. */
export class FileSink implements LogSink {
  #file: Deno.FsFile;
  constructor(readonly path: string) {
    this.#file = FileSink.#open(path);
  }
  static #open(path: string): Deno.FsFile {
    return Deno.openSync(path, { append: true, create: true, mode: 0o640 });
  }
  write(line: string): void {
    this.#file.writeSync(encoder.encode(`${timestamp(new Date())} nfdhcpd[${Deno.pid}] ${line}\n`));
  }
  reopen(): void {
    const next = FileSink.#open(this.path);
    this.#file.close();
    this.#file = next;
  }
  close(): void {
    this.#file.close();
  }
}

/** `YYYY-MM-DD HH:MM:SS,mmm` in local time, as Python's logging writes it. */
function timestamp(d: Date): string {
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

  log(level: Level, message: string): void {
    if (RANK[level] >= this.#threshold) this.#sink.write(`${level.toUpperCase()}: ${message}`);
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
      if (s && s.suppressed > 0) this.log(level, `${s.suppressed} similar messages suppressed (${key})`);
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
