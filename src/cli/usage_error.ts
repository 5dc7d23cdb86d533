/** How every subcommand reports a usage error: why, then its usage text, and exit code 2. */
import { journalPrefix } from "../daemon/log.ts";

/** Under systemd the reason is at priority err (a bad option in /etc/default/nfdhcpd). */
export function usageError(command: string, why: string, usage: string): number {
  console.error(`${journalPrefix("error")}${command}: ${why}\n\n${usage}`);
  return 2;
}
