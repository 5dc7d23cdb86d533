/** Integration harness: commands with time limits, polling with deadlines, tracked child processes. */

/** What a finished command printed and how it ended. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@linkcode run}. */
export interface RunOptions {
  /** Run inside this network namespace (`ip netns exec NS ...`). */
  readonly ns?: string;
  /** Return a non-zero exit instead of throwing. */
  readonly allowFailure?: boolean;
  /** Kill the command after this long (default 20 s). */
  readonly timeoutMs?: number;
  /** Text written to the command's stdin (default: no stdin). */
  readonly stdin?: string;
}

/** The repository root (the directory holding deno.json). */
export const REPO_ROOT: string = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/** Prefixes `cmd` with `ip netns exec NS` when `ns` is given. */
export function inNamespace(ns: string | undefined, cmd: readonly string[]): string[] {
  return ns === undefined ? [...cmd] : ["ip", "netns", "exec", ns, ...cmd];
}

/** Runs a command to completion, bounded in time; throws (with its output) on a non-zero exit. */
export async function run(
  cmd: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  const argv = inNamespace(options.ns, cmd);
  const [program, ...args] = argv;
  if (program === undefined) throw new Error("Cannot run a command: it is empty");
  const timeoutMs = options.timeoutMs ?? 20_000;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const child = new Deno.Command(program, {
      args,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
    }).spawn();
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin));
      await writer.close();
    }
    const out = await child.output();
    const decoder = new TextDecoder();
    const result = {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
    if (abort.signal.aborted) {
      throw new Error(
        `Command timed out after ${timeoutMs} ms: ${argv.join(" ")}\n${result.stderr}`,
      );
    }
    if (result.code !== 0 && !options.allowFailure) {
      throw new Error(
        `Command failed with exit code ${result.code}: ${
          argv.join(" ")
        }\n${result.stderr}${result.stdout}`,
      );
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs an `ip -j` style command and returns its parsed JSON (an empty output is an empty array). */
export async function runJson(cmd: readonly string[], options: RunOptions = {}): Promise<unknown> {
  const { stdout } = await run(cmd, options);
  return stdout.trim() === "" ? [] : JSON.parse(stdout);
}

/** Resolves after `ms` milliseconds; only {@linkcode waitFor} uses it, as its poll interval. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Options for {@linkcode waitFor}. */
export interface WaitOptions {
  readonly timeoutMs: number;
  /** Poll interval (default 50 ms). */
  readonly intervalMs?: number;
}

/**
 * Polls `probe` until it returns something other than `undefined`, `null` or `false`, and returns that;
 * throws `Timed out after N ms waiting for <what>` at the deadline.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${options.timeoutMs} ms waiting for ${what}`);
    }
    await delay(Math.min(options.intervalMs ?? 50, Math.max(1, deadline - Date.now())));
  }
}

/** Finds `name` on PATH (or returns it when it is already a path to an executable file). */
export function findExecutable(name: string): string | null {
  const candidates = name.includes("/")
    ? [name]
    : (Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")
      .concat(["/usr/sbin", "/sbin"])
      .map((dir) => `${dir}/${name}`);
  for (const path of candidates) {
    try {
      const info = Deno.statSync(path);
      if (info.isFile && info.mode !== null && (info.mode & 0o111) !== 0) return path;
    } catch {
      // not here; try the next directory
    }
  }
  return null;
}

/** Throws a clear error unless running as root: the harness needs namespaces and iptables. */
export function requireRoot(): void {
  const uid = Deno.uid();
  if (uid !== 0) {
    throw new Error(
      `Integration harness needs root (uid is ${uid}): it creates network namespaces and iptables rules`,
    );
  }
}

/** Throws a clear error naming every command of `names` that is not installed. */
export function requireCommands(names: readonly string[]): void {
  const missing = names.filter((name) => findExecutable(name) === null);
  if (missing.length > 0) {
    throw new Error(
      `Integration harness needs these commands, which are not installed: ${missing.join(", ")}` +
        " (see the Makefile's package list)",
    );
  }
}

/** The deno binary for child processes: `deno` on PATH, else the repo's `.tools` copy, else this one. */
export function denoExecutable(): string {
  return findExecutable("deno") ??
    findExecutable(`${REPO_ROOT}/.tools/node_modules/.bin/deno`) ??
    Deno.execPath();
}

/**
 * The `setpriv` prefix that runs a command as `account` without groups, as systemd's `User=`
 * does; with `capabilities` (e.g. `-all,+net_admin,+net_raw`), also as its
 * `AmbientCapabilities=` and `CapabilityBoundingSet=` do.
 */
export function setprivAs(
  account: { readonly uid: number; readonly gid: number },
  capabilities?: string,
): string[] {
  const caps = capabilities === undefined ? [] : [
    `--inh-caps=${capabilities}`,
    `--ambient-caps=${capabilities}`,
    `--bounding-set=${capabilities}`,
  ];
  return [
    ...["setpriv", `--reuid=${account.uid}`, `--regid=${account.gid}`, "--clear-groups"],
    ...caps,
    "--",
  ];
}

/** A long-running child process whose output is collected as it comes; stopped with {@linkcode Proc.stop}. */
export class Proc implements AsyncDisposable {
  readonly argv: readonly string[];
  readonly pid: number;
  readonly #child: Deno.ChildProcess;
  readonly #readers: Promise<void>[];
  #stdout = "";
  #stderr = "";
  #status: Deno.CommandStatus | null = null;
  readonly #statusPromise: Promise<Deno.CommandStatus>;
  readonly #echo: ((text: string) => void) | undefined;

  /** Spawns `cmd` (inside `ns` when given); `echo` sees stderr text as it arrives. */
  constructor(cmd: readonly string[], ns?: string, echo?: (text: string) => void) {
    this.argv = inNamespace(ns, cmd);
    const [program, ...args] = this.argv;
    if (program === undefined) throw new Error("Cannot spawn a command: it is empty");
    this.#echo = echo;
    this.#child = new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid;
    this.#readers = [
      this.#collect(this.#child.stdout, (t) => this.#stdout += t),
      this.#collect(this.#child.stderr, (t) => {
        this.#stderr += t;
        this.#echo?.(t);
      }),
    ];
    this.#statusPromise = this.#child.status.then((status) => this.#status = status);
  }

  async #collect(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) sink(text);
  }

  /** Everything written to stdout so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** Everything written to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** The exit status, or null while running. */
  get status(): Deno.CommandStatus | null {
    return this.#status;
  }

  /** Sends a signal; does nothing once the process has exited. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#status !== null) return;
    try {
      this.#child.kill(signal);
    } catch {
      // exited between the check and the kill
    }
  }

  /** Resolves with `promise`'s value, or with null after `timeoutMs`. */
  async #within<T>(promise: Promise<T>, timeoutMs: number): Promise<T | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) =>
      timer = setTimeout(() => resolve(null), timeoutMs)
    );
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Waits (bounded) for the process to exit on its own and its output to be read; null if it still
   * runs at the deadline. A child it left holding the pipes does not hold us up past the deadline.
   */
  async waitExit(timeoutMs: number): Promise<Deno.CommandStatus | null> {
    const deadline = Date.now() + timeoutMs;
    const status = await this.#within(this.#statusPromise, timeoutMs);
    if (status !== null) {
      await this.#within(Promise.all(this.#readers), Math.max(deadline - Date.now(), 500));
    }
    return status;
  }

  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves with the exit status once output is drained. */
  async stop(graceMs = 3000, signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    this.kill(signal);
    const status = await this.waitExit(graceMs);
    if (status !== null) return status;
    this.kill("SIGKILL");
    const killed = await this.#statusPromise;
    await this.#within(Promise.all(this.#readers), 1000);
    return killed;
  }

  /** Stops the process (see {@linkcode Proc.stop}). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
