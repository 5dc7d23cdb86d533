/** One summary per batch of binding changes, so that thousands of files do not flood the log. */

/** Where the summary and the errors go. */
export interface ReportLog {
  info(message: string): void;
  error(message: string): void;
}

/** Errors logged one by one per batch; the rest are only counted. */
const MAX_ERRORS_PER_BATCH = 20;

/**
 * Counts what one load or one flush of events did. Per-file errors are logged as they come, up
 * to {@link MAX_ERRORS_PER_BATCH}; {@link finish} logs one info line with the counts and, when
 * errors were held back, one error line saying how many.
 */
export class ChangeReport {
  added = 0;
  updated = 0;
  removed = 0;
  rejected = 0;
  /** Files read whose content had not changed (not counted as changes). */
  unchanged = 0;
  #errors = 0;
  readonly #log: ReportLog;

  constructor(log: ReportLog) {
    this.#log = log;
  }

  /** Logs `message` as an error unless this batch already logged its share. */
  error(message: string): void {
    if (++this.#errors <= MAX_ERRORS_PER_BATCH) this.#log.error(message);
  }

  /** Counts one file not used, and logs why (`errors`: its messages). */
  reject(errors: readonly string[]): void {
    this.rejected++;
    for (const message of errors) this.error(message);
  }

  /** True when nothing was added, updated, removed or rejected. */
  get empty(): boolean {
    return this.added + this.updated + this.removed + this.rejected === 0 && this.#errors === 0;
  }

  /** The counts, e.g. `9998 added, 2 updated, 0 removed, 1 rejected, 0 unchanged`. */
  counts(): string {
    return `${this.added} added, ${this.updated} updated, ${this.removed} removed, ` +
      `${this.rejected} rejected, ${this.unchanged} unchanged`;
  }

  /** Logs `summary` (info) and the number of errors not shown, if any. */
  finish(summary: string): void {
    const hidden = this.#errors - MAX_ERRORS_PER_BATCH;
    if (hidden > 0) this.#log.error(`${hidden} more binding errors not shown`);
    this.#log.info(summary);
  }
}
