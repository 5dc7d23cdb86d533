/** nfdhcpd's command line: pick the subcommand, run it; the daemon when none is named. */
import { checkCommand } from "./src/cli/check.ts";
import { rulesCommand } from "./src/cli/rules.ts";

/**
 * The daemon's command line, loaded only when it is used: its modules reach into ffi/ (some need
 * --allow-ffi as soon as they load), which `check` and `rules` must run without.
 */
const runCli = () => import("./src/cli/run.ts");
const runCommand = async (args: string[]) => (await runCli()).runCommand(args);

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
  ["check", {
    summary: "check the configuration and binding files; start nothing (no root needed)",
    main: checkCommand,
  }],
  ["rules", {
    summary: "print the firewall rules for the configured queues (iptables, ferm or nft)",
    main: rulesCommand,
  }],
  ["replay", {
    summary: "show what the daemon would answer to each request of a capture (pcap, pcapng)",
    main: async (args) => (await import("./src/cli/replay.ts")).replayCommand(args),
  }],
  ["status", {
    summary: "show the running daemon's queues, bindings and counters (its control socket)",
    main: async (args) => (await import("./src/cli/status.ts")).statusCommand(args),
  }],
  ["clients", {
    summary: "list the running daemon's bindings with each TAP's last request, reply, refusal",
    main: async (args) => (await import("./src/cli/clients.ts")).clientsCommand(args),
  }],
  ["metrics", {
    summary: "print the running daemon's metrics (Prometheus text format)",
    main: async (args) => (await import("./src/cli/metrics.ts")).metricsCommand(args),
  }],
  ["trace", {
    summary: "print the running daemon's requests and answers live, until interrupted",
    main: async (args) => (await import("./src/cli/trace.ts")).traceCommand(args),
  }],
  ["help", { summary: "show this help", main: async () => (console.log(await usage()), 0) }],
]);

async function usage(): Promise<string> {
  const { RUN_USAGE } = await runCli();
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
