/**
 * Keeps Deno's V8 inspector shut. Deno (2.9.2 and later) opens the inspector on 127.0.0.1:9229
 * when the process receives SIGUSR1, and any local process that reaches that port can then run
 * code inside the daemon, with its capabilities. A JS listener for SIGUSR1 does not prevent it,
 * and ignoring the signal through libc is undone when Deno installs its own handler (about half a
 * second after start). What holds is the signal mask: a thread never takes a signal it blocks, and
 * an image started by execve(2) begins with the mask of the thread that called it, which every
 * thread it starts inherits. So the daemon, first thing, blocks (and ignores) SIGUSR1 and
 * re-executes itself with the same command line; the new image then has SIGUSR1 blocked in every
 * thread, for good. Before that re-execution SIGUSR1 has its default action (the process ends)
 * or is ignored, so it never reaches Deno's handler.
 */
import { SIGUSR1 } from "../../ffi/libc.ts";
import { execve, selfCommandLine } from "../../ffi/process.ts";
import { readProcFile } from "../../ffi/procfs.ts";
import { blockAndIgnore, maskHas, threadsNotBlocking } from "../../ffi/signals.ts";

/**
 * Returns when SIGUSR1 is blocked in every thread of this process; otherwise blocks it and
 * re-executes this program (and does not return). Throws, so that the daemon does not start, when
 * it cannot make sure.
 */
export function keepInspectorShut(): void {
  const status = readProcFile("/proc/self/status");
  if (status === null) throw new Error("Cannot read /proc/self/status: is /proc mounted?");
  if (maskHas(status, "SigBlk", SIGUSR1)) {
    const open = threadsNotBlocking(SIGUSR1);
    if (open.length > 0) {
      throw new Error(`SIGUSR1 is not blocked in threads ${open.join(", ")}: refusing to run`);
    }
    return;
  }
  blockAndIgnore(SIGUSR1);
  const self = selfCommandLine();
  execve(self.program, [self.program, ...self.args], Deno.env.toObject());
}
