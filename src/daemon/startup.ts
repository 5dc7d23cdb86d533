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

/** The account that will own the daemon's directories: its `user` when started as root. */
function ownerOf(general: GeneralConfig): Account | null {
  return general.user !== null && Deno.uid() === 0 ? lookupAccount(general.user) : null;
}

/** The directories of the control socket and the metrics file, where configured. */
export function runtimeDirectories(general: GeneralConfig): Array<readonly [string, string]> {
  const dirs: Array<readonly [string, string]> = [];
  if (general.controlSocket !== null) {
    dirs.push([dirnameOf(general.controlSocket), "control socket"]);
  }
  if (general.metricsFile !== null) dirs.push([dirnameOf(general.metricsFile), "metrics file"]);
  return dirs;
}

/**
 * Makes each missing directory (mode 0755, owned by `owner` when given), since the daemon writes
 * in them after dropping root; with `required`, an existing one that `owner` cannot write stops
 * the start (the others are reported when the daemon fails to write there).
 */
function prepareDirectories(
  dirs: ReadonlyArray<readonly [string, string]>,
  owner: Account | null,
  required = true,
): void {
  for (const [dir, what] of dirs) {
    if (!ensureDirectory(dir, owner) && !required) continue;
    const st = Deno.statSync(dir);
    const why = owner &&
      whyNotWritable(dir, { uid: st.uid ?? 0, gid: st.gid ?? 0, mode: st.mode ?? 0 }, owner);
    if (why) throw new Error(`Cannot write the ${what}: ${why}`);
  }
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
      const owner = ownerOf(general);
      prepareDirectories([[dirnameOf(general.pidfile), "pidfile"], [general.logdir, "log"]], owner);
      const outcome = await detach();
      if (outcome.code !== 0) {
        log.error(`${outcome.message}${existsSync(logPath) ? `; see ${logPath}` : ""}`);
      }
      return { kind: "exit", code: outcome.code };
    }
    // The control socket and metrics file are made after dropping root, in the foreground too.
    prepareDirectories(runtimeDirectories(general), ownerOf(general), false);
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
