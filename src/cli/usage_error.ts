/** How every subcommand reports a usage error: why, then its usage text, and exit code 2. */
export function usageError(command: string, why: string, usage: string): number {
  console.error(`${command}: ${why}\n\n${usage}`);
  return 2;
}
