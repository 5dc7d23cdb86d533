/** Starting the daemon without -f in a lab, and following the detached process by its pid. */
import assert from "node:assert/strict";
import { daemonCommand } from "./daemon.ts";
import type { Lab } from "./netns.ts";
import { waitFor } from "./proc.ts";

/** True while process `pid` runs (a zombie counts as ended). */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

/** The pid in `path`, or null. */
export function pidIn(path: string): number | null {
  try {
    const n = Number(Deno.readTextFileSync(path).trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** SIGTERMs a detached daemon, waits (bounded) for it to exit and checks it removed its pidfile. */
export async function terminate(pid: number, pidfile: string): Promise<void> {
  Deno.kill(pid, "SIGTERM");
  await waitFor("the daemon to exit", () => !alive(pid), { timeoutMs: 10_000 });
  await assert.rejects(Deno.stat(pidfile), Deno.errors.NotFound, "pidfile removed");
}

/** What starting the daemon without -f gave: the starter's exit and output, the daemon's pid. */
export interface Detached {
  readonly code: number;
  readonly output: string;
  readonly pid: number | null;
}

/**
 * Starts `nfdhcpd -c CONFIG` (no -f) in the lab's hypervisor namespace and waits for the starting
 * process to exit, which it does once the detached daemon is ready (or failed). The lab stops the
 * daemon (by its pidfile's pid) on dispose.
 */
export async function startDetached(
  lab: Lab,
  configPath: string,
  pidfile: string,
): Promise<Detached> {
  const proc = lab.spawn([...daemonCommand(), "-c", configPath], lab.hv);
  const status = await proc.waitExit(30_000);
  if (status === null) {
    await proc.stop();
    throw new Error(`nfdhcpd did not return within 30 s:\n${proc.stderr}`);
  }
  const pid = status.code === 0 ? pidIn(pidfile) : null;
  if (pid !== null) {
    lab.defer(`stop nfdhcpd ${pid}`, async () => {
      if (!alive(pid)) return;
      Deno.kill(pid, "SIGTERM");
      await waitFor(`nfdhcpd ${pid} to stop`, () => !alive(pid), { timeoutMs: 5000 }).catch(() =>
        Deno.kill(pid, "SIGKILL")
      );
    });
  }
  return { code: status.code, output: proc.stderr + proc.stdout, pid };
}
