/** For the firewall tests: the plan with every service, and the statement and comment lines of output. */
import type { FirewallPlan } from "../../src/firewall/plan.ts";

/** Every service on its default queue, routed TAPs only. */
export const ALL: FirewallPlan = {
  rules: [
    { kind: "dhcp4", queue: 42 },
    { kind: "rs", queue: 43 },
    { kind: "ns", queue: 44 },
    { kind: "dhcp6", queue: 45 },
  ],
  bridged: false,
};

/** The lines of generated firewall rules that are not comments or blank. */ export function statements(
  out: string,
): string[] {
  return out.split("\n").filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
}

/** The comment lines of generated firewall rules. */
export function comments(out: string): string[] {
  return out.split("\n").filter((l) => l.trimStart().startsWith("#"));
}
