/** What reading nfdhcpd.conf found wrong or odd, kept with its place so that tools can format it. */
import { iniLocation } from "./ini.ts";

/** One error or warning: section (`""` for none), key when there is one, line (0: not in the file). */
export interface ConfigProblem {
  readonly severity: "error" | "warning";
  readonly section: string;
  readonly key?: string;
  readonly line: number;
  readonly reason: string;
}

/** The daemon's form: `file [section] key (line 7): reason`, leaving out what is unknown. */
export function describeProblem(fileName: string, problem: ConfigProblem): string {
  const { section, key, line, reason } = problem;
  return `${iniLocation(fileName, section, key, line)}: ${reason}`;
}

/** Collects problems in the order they are found. */
export class Findings {
  readonly problems: ConfigProblem[] = [];

  add(severity: ConfigProblem["severity"], problem: Omit<ConfigProblem, "severity">): void {
    this.problems.push({ severity, ...problem });
  }

  get errorCount(): number {
    return this.problems.filter((p) => p.severity === "error").length;
  }

  /** The messages of one severity, in the daemon's form. */
  messages(fileName: string, severity: ConfigProblem["severity"]): string[] {
    return this.problems.filter((p) => p.severity === severity)
      .map((p) => describeProblem(fileName, p));
  }
}
