/** `nfdhcpd metrics [-c CONF | --socket PATH]`: the running daemon's Prometheus metrics. */
import { askOrExit, controlArgs } from "./status.ts";

const USAGE = `Usage: nfdhcpd metrics [-c CONF | --socket PATH]

Prints the running daemon's metrics in the Prometheus text format (what metrics_file holds).
Exit code 3: not running.`;

/** Runs `nfdhcpd metrics`; returns the exit code. */
export async function metricsCommand(args: string[]): Promise<number> {
  const parsed = await controlArgs(args, USAGE, 0);
  if (typeof parsed === "number") return parsed;
  const asked = await askOrExit(parsed.socket, "metrics");
  if (typeof asked === "number") return asked;
  const { metrics } = (asked as { answer: { metrics: string } }).answer;
  await Deno.stdout.write(new TextEncoder().encode(metrics));
  return 0;
}
