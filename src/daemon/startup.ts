/** Becoming a daemon: detach (without -f), drop to the configured user, take the pidfile. */
import { errorMessage } from "../error_message.ts";
import { type Account, lookupAccount } from "../../ffi/privileges.ts";
import { dropPrivilegesByReexec, ensureDirectory, missingNetCapabilities } from "./privileges.ts";
import type { GeneralConfig } from "../config/types.ts";
import { detach, isDetachedChild } from "./detach.ts";
import { FileSink, type Logger, StderrSink, TeeSink } from "./log.ts";
import { inspectPidfile, Pidfile, PidfileHeldError } from "./pidfile.ts";
import { whyNotWritable } from "./writable_dir.ts";

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function dirnameOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** The path of the log file a detached daemon writes. */
export function logPathOf(general: GeneralConfig): string {
  return `${general.logdir}/nfdhcpd.log`;
}

/**
 * How start-up ended: `exit` with a code for the process that started us (it detached a child,
 * or something failed, already logged), or `serve` with the pidfile held (null in foreground).
 */
export type Startup =
  | { readonly kind: "exit"; readonly code: number }
  | { readonly kind: "serve"; readonly pidfile: Pidfile | null };

/**
 * Runs the steps before serving, in order: without -f the starting process checks the pidfile,
 * prepares the directories the unprivileged daemon writes to and detaches; then, as root with
 * `user` set, the process re-executes itself as that user with only CAP_NET_ADMIN and CAP_NET_RAW
 * (this call does not return then); the detached daemon logs to its file and takes the pidfile.
 */
export async function startUp(
  general: GeneralConfig,
  foreground: boolean,
  log: Logger,
): Promise<Startup> {
  const logPath = logPathOf(general);
  try {
    if (!foreground && !isDetachedChild()) {
      const held = inspectPidfile(general.pidfile);
      if (held.state === "held") throw new PidfileHeldError(general.pidfile, held.pid);
      const owner: Account | null = general.user !== null && Deno.uid() === 0
        ? lookupAccount(general.user)
        : null;
      // Created for the user the daemon drops to, or checked: it writes both after dropping root.
      const dirs = [[dirnameOf(general.pidfile), "pidfile"], [general.logdir, "log"]] as const;
      for (const [dir, what] of dirs) {
        ensureDirectory(dir, owner);
        const st = Deno.statSync(dir);
        const why = owner &&
          whyNotWritable(dir, { uid: st.uid ?? 0, gid: st.gid ?? 0, mode: st.mode ?? 0 }, owner);
        if (why) throw new Error(`Cannot write the ${what}: ${why}`);
      }
      const outcome = await detach();
      if (outcome.code !== 0) {
        log.error(`${outcome.message}${existsSync(logPath) ? `; see ${logPath}` : ""}`);
      }
      return { kind: "exit", code: outcome.code };
    }
    const privileges = dropPrivilegesByReexec(general.user);
    if (privileges.kind === "kept" && Deno.uid() !== 0) {
      const missing = missingNetCapabilities();
      if (missing !== null) throw new Error(missing);
    }
    let pidfile: Pidfile | null = null;
    if (!foreground) {
      // Until ready, errors also go to the starter's stderr (it relays them to the terminal).
      log.setSink(new TeeSink(new FileSink(logPath), new StderrSink(false)));
      pidfile = Pidfile.acquire(general.pidfile, {
        onStale: (s) => log.warning(`Removing stale pidfile ${general.pidfile}: ${s.why}`),
      });
    }
    const a = privileges.kind === "dropped" ? privileges.account : null;
    log.info(
      a !== null
        ? `Running as ${a.name} (uid ${a.uid}, gid ${a.gid}) with CAP_NET_ADMIN and CAP_NET_RAW only`
        : `Running as uid ${Deno.uid()}: ${privileges.kind === "kept" ? privileges.reason : ""}`,
    );
    return { kind: "serve", pidfile };
  } catch (e) {
    log.error(errorMessage(e));
    return { kind: "exit", code: 1 };
  }
}
