/** Signal masks and dispositions, for what Deno's API cannot do: block or ignore a signal. */
import { SIG_BLOCK, SIGSET_BYTES } from "./libc.ts";
import { callError, libc } from "./native.ts";
import { listProcDir, readProcFile } from "./procfs.ts";

/**
 * Ignores `signal` process-wide and blocks it in the calling thread; the calling thread's mask and
 * the ignored disposition are what an execve(2) from this thread passes on to the new image, and
 * every thread that image starts inherits the mask.
 */
export function blockAndIgnore(signal: number): void {
  const c = libc();
  // SIG_IGN, the "ignore" disposition, is the handler pointer value 1.
  c.signal(signal, Deno.UnsafePointer.create(1n));
  const set = new Uint8Array(SIGSET_BYTES);
  set[(signal - 1) >> 3] = 1 << ((signal - 1) & 7);
  const rc = c.pthread_sigmask(SIG_BLOCK, set, null);
  // pthread_sigmask returns the error number itself rather than setting errno.
  if (rc !== 0) throw callError(`pthread_sigmask(SIG_BLOCK, ${signal})`, rc);
}

/** True when `signal` is set in a /proc status mask such as `SigBlk:\t0000000000000200`. */
export function maskHas(statusText: string, field: string, signal: number): boolean {
  const match = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, "m").exec(statusText);
  if (match === null) return false;
  return ((BigInt(`0x${match[1]}`) >> BigInt(signal - 1)) & 1n) === 1n;
}

/** The ids of this process's threads whose mask does not block `signal` (empty when all do). */
export function threadsNotBlocking(signal: number): string[] {
  const tasks = listProcDir("/proc/self/task") ?? [];
  return tasks.filter((tid) => {
    const status = readProcFile(`/proc/self/task/${tid}/status`);
    return status !== null && !maskHas(status, "SigBlk", signal);
  });
}
