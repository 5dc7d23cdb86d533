/** Least privilege: from root, re-exec under setpriv as `user` with only CAP_NET_ADMIN and CAP_NET_RAW. */
import { execve, findProgram, selfCommandLine } from "./process.ts";
import { cString, libc } from "./native.ts";
import { listProcDir, readProcFile } from "./procfs.ts";

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

/** A user from the passwd database. */
export interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** What one thread of a process runs with, from /proc/PID/task/TID/status. */
export interface ThreadPrivileges {
  readonly tid: number;
  /** Real, effective, saved and filesystem ids. */
  readonly uids: readonly number[];
  readonly gids: readonly number[];
  readonly groups: readonly number[];
  readonly inheritable: bigint;
  readonly permitted: bigint;
  readonly effective: bigint;
  readonly bounding: bigint;
  readonly ambient: bigint;
  readonly noNewPrivs: boolean;
}

/** Whether the daemon re-executed itself to drop root, and why not when it did not. */
export type PrivilegeState =
  | { readonly kind: "dropped"; readonly account: Account }
  | { readonly kind: "kept"; readonly reason: string };

/** `user` (a name, or a numeric uid as the original accepts) looked up with getpwnam/getpwuid. */
export function lookupAccount(user: string): Account {
  const c = libc();
  const entry = /^\d+$/.test(user) ? c.getpwuid(Number(user)) : c.getpwnam(cString(user));
  if (entry === null) {
    throw new Error(`Cannot find user ${user}: no such user in the passwd database`);
  }
  // struct passwd on LP64: char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ...
  const view = new Deno.UnsafePointerView(entry);
  const name = view.getPointer(0);
  return {
    name: name === null ? user : Deno.UnsafePointerView.getCString(name),
    uid: view.getUint32(16),
    gid: view.getUint32(20),
  };
}

/** The capability mask as /proc prints it: 16 hex digits. */
export function formatCapabilities(mask: bigint): string {
  return mask.toString(16).padStart(16, "0");
}

function idList(value: string | undefined): number[] {
  return (value ?? "").trim().split(/\s+/).filter((s) => s !== "").map(Number);
}

/** Parses one /proc/.../status file. */
export function parseStatus(tid: number, text: string): ThreadPrivileges {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const cap = (key: string) => BigInt(`0x${fields.get(key) ?? "0"}`);
  return {
    tid,
    uids: idList(fields.get("Uid")),
    gids: idList(fields.get("Gid")),
    groups: idList(fields.get("Groups")),
    inheritable: cap("CapInh"),
    permitted: cap("CapPrm"),
    effective: cap("CapEff"),
    bounding: cap("CapBnd"),
    ambient: cap("CapAmb"),
    noNewPrivs: fields.get("NoNewPrivs") === "1",
  };
}

/**
 * Every thread's ids and capabilities (capabilities are per thread, and Deno runs several), from
 * /proc/`pid`/task/\*\/status (through libc: Deno wants --allow-all for /proc); a thread that
 * ends while we read is left out.
 */
export function currentCapabilities(pid: number | "self" = "self"): ThreadPrivileges[] {
  const dir = `/proc/${pid}/task`;
  const tids = listProcDir(dir);
  if (tids === null) throw new Error(`Cannot read ${dir}: no such process`);
  const out: ThreadPrivileges[] = [];
  for (const tid of tids) {
    const text = readProcFile(`${dir}/${tid}/status`);
    if (text !== null) out.push(parseStatus(Number(tid), text));
  }
  return out.sort((a, b) => a.tid - b.tid);
}

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
