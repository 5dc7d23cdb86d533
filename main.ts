/** nfdhcpd's command line: pick the subcommand, run it; the daemon when none is named. */
import { RUN_USAGE, runCommand } from "./src/cli/run.ts";

/** A subcommand: what `nfdhcpd help` says of it, and what runs it (returning the exit code). */
interface Subcommand {
  readonly summary: string;
  readonly main: (args: string[]) => Promise<number> | number;
}

const SUBCOMMANDS: ReadonlyMap<string, Subcommand> = new Map([
  ["run", {
    summary: "run the daemon (the default when no subcommand is named)",
    main: runCommand,
  }],
  ["help", { summary: "show this help", main: () => (console.log(usage()), 0) }],
]);

function usage(): string {
  const width = Math.max(...[...SUBCOMMANDS.keys()].map((n) => n.length));
  const lines = [...SUBCOMMANDS].map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return `${RUN_USAGE}\nSubcommands:\n${lines.join("\n")}\n`;
}

/** The subcommand named by the first argument, else the daemon with every argument. */
function main(args: string[]): Promise<number> | number {
  const [first, ...rest] = args;
  const command = first === undefined ? undefined : SUBCOMMANDS.get(first);
  return command ? command.main(rest) : runCommand(args);
}

Deno.exit(await main(Deno.args));
