/** Writes the metrics file for node_exporter's textfile collector: atomically, on a timer. */

/**
 * Writes `text` to `path` atomically: a temporary file in the same directory, then a rename, so a
 * reader sees the old file or the new one, never half of one. The file is readable by all (0644):
 * node_exporter runs as another user.
 */
export function writeAtomically(path: string, text: string): void {
  const temp = `${path}.${Deno.pid}.tmp`;
  try {
    Deno.writeTextFileSync(temp, text, { mode: 0o644 });
    Deno.chmodSync(temp, 0o644); // the umask (0077 in the unit) must not narrow it
    Deno.renameSync(temp, path);
  } catch (e) {
    try {
      Deno.removeSync(temp);
    } catch {
      // never created
    }
    throw e;
  }
}

/** Every `intervalSeconds`, writes `render()` to `path`; `onError` hears of failures. */
export class MetricsFileWriter {
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly path: string,
    readonly intervalSeconds: number,
    private readonly render: () => string,
    private readonly onError: (message: string) => void,
  ) {}

  /** Writes once now, then on the timer (which does not keep the process alive). */
  start(): void {
    this.writeNow();
    const timer = setInterval(() => this.writeNow(), this.intervalSeconds * 1000);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  writeNow(): void {
    try {
      writeAtomically(this.path, this.render());
    } catch (e) {
      this.onError(
        `Cannot write the metrics file ${this.path}: ${e instanceof Error ? e.message : e}`,
      );
    }
  }

  /** Stops the timer; the file stays (its start time tells a stale one apart). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
