/** Daemonizing without fork: start ourselves again in a new session and wait until it is ready. */
import { redirectStdioToDevNull, selfCommandLine } from "../../ffi/process.ts";
import { UnixDatagramReceiver } from "../../ffi/unix_datagram.ts";
import { notify, parseNotification } from "./notify.ts";

/** Set in the detached daemon's environment so that it runs instead of detaching again. */
export const DETACHED_ENV = "NFDHCPD_DETACHED";

/** True in the process {@link detach} started (until {@link finishDetach}). */
export function isDetachedChild(): boolean {
  return Deno.env.get(DETACHED_ENV) !== undefined;
}

export interface DetachOptions {
  /** How long the daemon may take to say READY=1 before it is stopped (default 60 s). */
  readonly timeoutMs?: number;
  /** Where the daemon's stderr is copied until it is ready (default: our stderr). */
  readonly stderr?: WritableStream<Uint8Array>;
  /** The program to start (default: this one, with the same arguments); for tests. */
  readonly command?: { readonly program: string; readonly args: readonly string[] };
}

/** How {@link detach} ended: the exit code for the starting process and, for the log, why. */
export interface DetachOutcome {
  readonly code: number;
  readonly pid: number;
  readonly message: string;
}

function randomName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * In the starting process: runs this same command line again as the daemon, in a new session
 * (`setsid`, so no terminal can stop it; util-linux, like setpriv), with {@link DETACHED_ENV} set
 * and NOTIFY_SOCKET naming a fresh abstract socket of ours. The daemon reports READY=1 there with
 * {@link notify} exactly as it would to systemd; until then its stderr is copied to ours, so startup
 * errors reach the terminal. Resolves with code 0 once it is ready; with its exit code (or 1) when
 * it ends first; with 1 after stopping it (SIGTERM) when it is not ready in time. When we were
 * ourselves started by systemd, READY=1 and MAINPID= go on to it.
 */
export async function detach(options: DetachOptions = {}): Promise<DetachOutcome> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const self = options.command ?? selfCommandLine();
  const address = `@nfdhcpd-ready-${Deno.pid}-${randomName()}`;
  const receiver = new UnixDatagramReceiver(address);
  const outerNotify = Deno.env.get("NOTIFY_SOCKET");
  try {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command("setsid", {
        args: [self.program, ...self.args],
        env: { [DETACHED_ENV]: "1", NOTIFY_SOCKET: address },
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      throw new Error("Cannot detach: setsid not found (install the util-linux package)");
    }
    const relay = child.stderr
      .pipeTo(options.stderr ?? Deno.stderr.writable, { preventClose: true })
      .catch(() => {});
    let status: Deno.CommandStatus | null = null;
    const exited = child.status.then((s) => {
      status = s;
    });
    const deadline = Date.now() + timeoutMs;
    let ready = false;
    while (status === null && !ready && Date.now() < deadline) {
      const datagram = await receiver.receive(Math.min(200, Math.max(0, deadline - Date.now())));
      if (datagram !== null && parseNotification(datagram).get("READY") === "1") ready = true;
    }
    if (ready) {
      // The daemon points its stdio at /dev/null right after READY=1: wait (briefly) for that EOF.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([relay, new Promise((r) => timer = setTimeout(r, 2000))]);
      clearTimeout(timer);
      child.unref();
      if (outerNotify !== undefined) {
        try {
          notify(`READY=1\nMAINPID=${child.pid}`, outerNotify);
        } catch {
          // systemd is gone or not listening: nothing to tell
        }
      }
      return { code: 0, pid: child.pid, message: `nfdhcpd started as pid ${child.pid}` };
    }
    if (status === null) {
      try {
        child.kill("SIGTERM");
      } catch {
        // ended meanwhile
      }
      await exited;
      await relay;
      return {
        code: 1,
        pid: child.pid,
        message: `nfdhcpd (pid ${child.pid}) was not ready within ${
          timeoutMs / 1000
        } s and has been stopped`,
      };
    }
    await relay;
    const ended: Deno.CommandStatus = status;
    return {
      code: ended.code === 0 ? 1 : ended.code,
      pid: child.pid,
      message: `nfdhcpd (pid ${child.pid}) exited with ${
        ended.signal === null ? `status ${ended.code}` : `signal ${ended.signal}`
      } before it was ready`,
    };
  } finally {
    receiver.close();
  }
}

/**
 * In the detached daemon, right after it sent READY=1: forgets the starter's NOTIFY_SOCKET (it is
 * gone; later STOPPING=1 must not fail) and the marker, and points stdin, stdout and stderr at
 * /dev/null so that nothing ever writes into the starter's closed pipe.
 */
export function finishDetach(): void {
  Deno.env.delete("NOTIFY_SOCKET");
  Deno.env.delete(DETACHED_ENV);
  redirectStdioToDevNull();
}
