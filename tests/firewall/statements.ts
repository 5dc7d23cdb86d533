/** The lines of generated firewall rules that are not comments or blank, for the tests. */
export function statements(out: string): string[] {
  return out.split("\n").filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
}

/** The comment lines of generated firewall rules. */
export function comments(out: string): string[] {
  return out.split("\n").filter((l) => l.trimStart().startsWith("#"));
}
