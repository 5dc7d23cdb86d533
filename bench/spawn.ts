/** Bench server processes: spawn in the hypervisor namespace, log to a file, wait for ready, stop. */

import { dropCleanup, onCleanup } from "./cleanup.ts";
import { BenchError, sleep } from "./exec.ts";
import type { Server } from "./options.ts";
import type { Topology } from "./topology.ts";

/** A started server. */
export interface Running {
  /** Which server it is. */
  server: Server;
  /** Process id (of `ip netns exec`, which execs the server: the server's own). */
  pid: number;
  /** `performance.now()` at spawn. */
  spawnedAt: number;
  /** Milliseconds from spawn to ready (the `ready` line, or 100 ms alive). */
  readyMs: number;
  /** SIGTERM, then SIGKILL after 5 s; waits for its output to be written. */
  stop(): Promise<void>;
}

/** Appends what `stream` carries to the file `path`, handing each line to `onLine`. */
async function pump(
  stream: ReadableStream<Uint8Array>,
  path: string,
  onLine?: (l: string) => void,
): Promise<void> {
  const file = await Deno.open(path, { create: true, append: true });
  const dec = new TextDecoder();
  let buf = "";
  try {
    for await (const chunk of stream) {
      await file.write(chunk);
      if (onLine) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
        if (buf.length > 65536) buf = "";
      }
    }
  } catch {
    // stream ended by the process being killed
  } finally {
    file.close();
  }
}

/** The last 15 lines of the file `path`, for an error message. */
async function tail(path: string): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).split("\n").slice(-15).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Starts `cmd` in the hypervisor namespace of `t`, its output appended to `logPath`. With
 * `readyLine`, waits (30 s at most) for a line saying `ready`; else checks it still runs after
 * 100 ms. Stopped at cleanup unless stopped before.
 */
export async function spawnServer(
  server: Server,
  t: Topology,
  cmd: string[],
  logPath: string,
  readyLine: boolean,
): Promise<Running> {
  const spawnedAt = performance.now();
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", t.hv, ...cmd],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  let readyResolve = (): void => {};
  const ready = new Promise<void>((r) => (readyResolve = r));
  const p1 = pump(child.stdout, logPath);
  const p2 = pump(child.stderr, logPath, (l) => {
    if (/\bready\b/i.test(l)) readyResolve();
  });
  const stop = async (): Promise<void> => {
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const killer = setTimeout(() => {
        try {
          if (!exited) child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      await status;
      clearTimeout(killer);
    }
    await Promise.allSettled([p1, p2]);
  };
  onCleanup(stop);
  if (readyLine) {
    const timeout = sleep(30_000).then(() => "timeout" as const);
    const outcome = await Promise.race([
      ready.then(() => "ready" as const),
      status.then(() => "exited" as const),
      timeout,
    ]);
    if (outcome !== "ready") {
      await stop();
      throw new BenchError(
        `${server} ${outcome === "exited" ? "exited" : "did not print 'ready' within 30 s"}; ` +
          `log ${logPath}:\n${await tail(logPath)}`,
      );
    }
  } else {
    await sleep(100);
    if (exited) {
      throw new BenchError(`${server} exited at start; log ${logPath}:\n${await tail(logPath)}`);
    }
  }
  return {
    server,
    pid: child.pid,
    spawnedAt,
    readyMs: performance.now() - spawnedAt,
    stop: async () => {
      await stop();
      dropCleanup(stop);
    },
  };
}
