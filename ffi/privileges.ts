/**
 * What the kernel says about users and privileges: accounts from the passwd database (getpwnam)
 * and every thread's ids and capabilities from /proc. The policy that uses them (which capabilities
 * to keep, when and how to re-exec) is src/daemon/privileges.ts.
 */
import { cString, libc } from "./native.ts";
import { listProcDir, readProcFile } from "./procfs.ts";

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
