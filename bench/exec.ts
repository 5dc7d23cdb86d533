/** Bench commands: run one to completion (tracked, so an interruption can end it), log, sleep. */

/** A failure the bench explains in its message: printed without a stack trace. */
export class BenchError extends Error {}

/** Commands still running (load generator, ip, iptables): ended on interruption. */
const live = new Set<Deno.ChildProcess>();

/** What a finished command printed and how it ended. */
export interface RunResult {
  /** Exit status. */
  code: number;
  /** All it wrote to stdout. */
  stdout: string;
  /** All it wrote to stderr. */
  stderr: string;
}

/** Options for {@linkcode run}. */
export interface RunOptions {
  /** Text written to the command's stdin (default: no stdin). */
  stdin?: string;
  /** Return a non-zero exit instead of throwing. */
  allowFail?: boolean;
  /** Abort the command after this long (default 120 s). */
  timeoutMs?: number;
}

/**
 * Runs a command to completion; throws a {@linkcode BenchError} with its stderr on a non-zero exit.
 * Unlike lab/proc.ts's `run`, the child is tracked until it ends, so that
 * {@linkcode killLive} can stop it when the bench is interrupted.
 */
export async function run(cmd: string, args: string[], opt: RunOptions = {}): Promise<RunResult> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: opt.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(opt.timeoutMs ?? 120_000),
  }).spawn();
  live.add(child);
  if (opt.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opt.stdin));
    await w.close();
  }
  const out = await child.output().finally(() => live.delete(child));
  const r = {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
  if (r.code !== 0 && !opt.allowFail) {
    throw new BenchError(
      `command failed (${r.code}${out.signal ? `, ${out.signal}` : ""}): ${cmd} ${
        args.join(" ").slice(0, 200)
      }\n${r.stderr.trim().slice(-2000)}`,
    );
  }
  return r;
}

/** {@linkcode run} inside network namespace `ns` (`ip netns exec NS CMD ...`). */
export function nsExec(
  ns: string,
  cmd: string,
  args: string[],
  opt: RunOptions = {},
): Promise<RunResult> {
  return run("ip", ["netns", "exec", ns, cmd, ...args], opt);
}

/** Runs `ip` commands (one per line) in namespace `ns` through one `ip -batch`. */
export async function ipBatch(ns: string, lines: string[]): Promise<void> {
  if (!lines.length) return;
  await run("ip", ["-n", ns, "-batch", "-"], {
    stdin: lines.join("\n") + "\n",
    timeoutMs: 600_000,
  });
}

/** Sends SIGTERM to every command {@linkcode run} still waits for. */
export function killLive(): void {
  for (const c of live) {
    try {
      c.kill("SIGTERM");
    } catch { /* already gone */ }
  }
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));

/** A progress line on stderr, with the time of day. */
export function log(msg: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}
