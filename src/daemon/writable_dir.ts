/** Whether the account the daemon drops to can create files in a directory (its pid and log dirs). */

/** The owner, group and permission bits of a directory, as stat(2) gives them. */
export interface DirectoryStat {
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

/**
 * Null when `account` (uid and primary gid; the daemon keeps no supplementary groups) may create
 * files in the directory `path`, else the reason, naming the user, the path, its owner and mode.
 * Creating needs write and search permission, by owner, group or other bits in that order.
 */
export function whyNotWritable(
  path: string,
  stat: DirectoryStat,
  account: { readonly name: string; readonly uid: number; readonly gid: number },
): string | null {
  if (account.uid === 0) return null;
  const bits = stat.uid === account.uid
    ? (stat.mode >> 6) & 7
    : stat.gid === account.gid
    ? (stat.mode >> 3) & 7
    : stat.mode & 7;
  if ((bits & 3) === 3) return null;
  const mode = (stat.mode & 0o7777).toString(8).padStart(4, "0");
  return `${path} is not writable by user ${account.name} (uid ${account.uid}, gid ${account.gid}): ` +
    `it belongs to uid ${stat.uid}, gid ${stat.gid} with mode ${mode}; give it to ${account.name} ` +
    `or choose another directory`;
}
