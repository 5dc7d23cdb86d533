/**
 * Least privilege: from root, re-exec under setpriv as `user` with only CAP_NET_ADMIN and
 * CAP_NET_RAW, then check that every thread runs so. The policy; ffi/privileges.ts reads the facts.
 */
import {
  type Account,
  currentCapabilities,
  formatCapabilities,
  lookupAccount,
  type ThreadPrivileges,
} from "../../ffi/privileges.ts";
import { execve, findProgram, selfCommandLine } from "../../ffi/process.ts";

/** Sending NFQUEUE verdicts (netlink) needs CAP_NET_ADMIN. */
export const CAP_NET_ADMIN = 12;
/** Writing whole frames with an AF_PACKET socket needs CAP_NET_RAW. */
export const CAP_NET_RAW = 13;
/** The only capabilities the daemon keeps: 0x3000. */
export const NET_CAPABILITIES = (1n << BigInt(CAP_NET_ADMIN)) | (1n << BigInt(CAP_NET_RAW));

/**
 * Set in the environment of the re-executed daemon (`uid:gid` it must run as), so that it checks
 * the drop instead of re-executing again, and fails rather than loops if it is somehow still root.
 */
export const DROPPED_ENV = "NFDHCPD_DROPPED_TO";

/** Whether the daemon re-executed itself to drop root, and why not when it did not. */
export type PrivilegeState =
  | { readonly kind: "dropped"; readonly account: Account }
  | { readonly kind: "kept"; readonly reason: string };

/**
 * What is wrong with `threads` for a daemon that dropped root to `account`: every thread must run
 * as that uid and gid, without supplementary groups, with exactly CAP_NET_ADMIN and CAP_NET_RAW as
 * its effective, permitted and bounding sets, and no_new_privs. Empty when all is well.
 */
export function droppedPrivilegeProblems(
  threads: readonly ThreadPrivileges[],
  account: { readonly uid: number; readonly gid: number },
): string[] {
  const problems: string[] = [];
  const want = formatCapabilities(NET_CAPABILITIES);
  for (const t of threads) {
    const at = `thread ${t.tid}`;
    if (t.uids.some((u) => u !== account.uid)) problems.push(`${at}: uids ${t.uids.join(" ")}`);
    if (t.gids.some((g) => g !== account.gid)) problems.push(`${at}: gids ${t.gids.join(" ")}`);
    if (t.groups.length > 0) problems.push(`${at}: supplementary groups ${t.groups.join(" ")}`);
    for (
      const [set, mask] of [["CapEff", t.effective], ["CapPrm", t.permitted], [
        "CapBnd",
        t.bounding,
      ]] as const
    ) {
      if (mask !== NET_CAPABILITIES) {
        problems.push(`${at}: ${set} ${formatCapabilities(mask)}, not ${want}`);
      }
    }
    if (!t.noNewPrivs) problems.push(`${at}: no_new_privs is not set`);
  }
  if (threads.length === 0) problems.push("no thread found");
  return problems;
}

/**
 * Null when every thread has CAP_NET_ADMIN and CAP_NET_RAW in its effective set, else a sentence
 * saying what is missing: the check for a daemon started unprivileged (systemd's `User=` with
 * `AmbientCapabilities=`), which cannot serve without them.
 */
export function missingNetCapabilities(threads = currentCapabilities()): string | null {
  const lacking = threads.filter((t) => (t.effective & NET_CAPABILITIES) !== NET_CAPABILITIES);
  if (lacking.length === 0) return null;
  const eff = lacking.map((t) => formatCapabilities(t.effective));
  return `Running as uid ${Deno.uid()} without CAP_NET_ADMIN and CAP_NET_RAW (CapEff ${
    [...new Set(eff)].join(", ")
  }): start nfdhcpd as root with "user" set, or give it these two capabilities ` +
    `(AmbientCapabilities= in its systemd unit)`;
}

/** The setpriv command line that runs `command` as `account` keeping only the two capabilities. */
export function setprivArguments(
  account: Account,
  program: string,
  args: readonly string[],
): string[] {
  const caps = "-all,+net_admin,+net_raw";
  return [
    `--reuid=${account.uid}`,
    `--regid=${account.gid}`,
    // As the original (capng's CAPNG_DROP_SUPP_GRP): no supplementary groups.
    "--clear-groups",
    `--inh-caps=${caps}`,
    // Ambient capabilities survive the execve of the (capability-less) Deno binary as non-root.
    `--ambient-caps=${caps}`,
    `--bounding-set=${caps}`,
    "--no-new-privs",
    "--",
    program,
    ...args,
  ];
}

/**
 * Drops root the only way that reaches every thread Deno runs: before anything else is opened,
 * execve(2) `setpriv ... <this same command line>` (same pid, so pidfiles and systemd still know
 * us), with {@link DROPPED_ENV} set. The re-executed process calls this again, sees the marker,
 * checks every thread ({@link droppedPrivilegeProblems}) and returns `{ kind: "dropped" }`, or
 * throws if the drop did not happen.
 *
 * Nothing is done (`{ kind: "kept" }`) when `user` is null, or when not started as root: then
 * whoever started us (systemd with `User=` and `AmbientCapabilities=`) already chose the user and
 * the capabilities, and re-executing could only fail; check {@link missingNetCapabilities} then.
 *
 * When it re-executes it does not return; it throws if setpriv or the user is missing.
 */
export function dropPrivilegesByReexec(user: string | null): PrivilegeState {
  const marker = Deno.env.get(DROPPED_ENV);
  if (marker !== undefined) {
    Deno.env.delete(DROPPED_ENV);
    const [uid, gid] = marker.split(":").map(Number);
    if (uid === undefined || gid === undefined || Number.isNaN(uid) || Number.isNaN(gid)) {
      throw new Error(
        `Cannot check the dropped privileges: ${DROPPED_ENV}=${marker} is not uid:gid`,
      );
    }
    const problems = droppedPrivilegeProblems(currentCapabilities(), { uid, gid });
    if (problems.length > 0) {
      throw new Error(`Cannot drop privileges to uid ${uid}: ${problems.join("; ")}`);
    }
    let name = String(uid);
    try {
      name = lookupAccount(String(uid)).name;
    } catch {
      // a uid without a passwd entry still runs fine; name it by number
    }
    return { kind: "dropped", account: { name, uid, gid } };
  }
  if (user === null) return { kind: "kept", reason: "no user is configured" };
  const uid = Deno.uid();
  if (uid !== 0) {
    return {
      kind: "kept",
      reason: `not started as root (uid ${uid}): running with the user and capabilities given`,
    };
  }
  const account = lookupAccount(user);
  if (account.uid === 0) return { kind: "kept", reason: `user ${user} is root` };
  const setpriv = findProgram("setpriv");
  if (setpriv === null) {
    throw new Error("Cannot drop privileges: setpriv not found (install the util-linux package)");
  }
  const self = selfCommandLine();
  const env = { ...Deno.env.toObject(), [DROPPED_ENV]: `${account.uid}:${account.gid}` };
  return execve(setpriv, ["setpriv", ...setprivArguments(account, self.program, self.args)], env);
}

/**
 * Creates `path` (and its parents) if missing and, when we are root and `owner` is given, hands the
 * directory we created to `owner`, so the daemon can still write its pidfile and log there after
 * dropping root. Existing directories are left as they are. Returns true when it created `path`.
 */
export function ensureDirectory(path: string, owner: Account | null): boolean {
  try {
    if (Deno.statSync(path).isDirectory) return false;
    throw new Error(`Cannot use ${path}: it is not a directory`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  Deno.mkdirSync(path, { recursive: true, mode: 0o755 });
  if (owner !== null && Deno.uid() === 0) Deno.chownSync(path, owner.uid, owner.gid);
  return true;
}
