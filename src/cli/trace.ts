/** `nfdhcpd trace [--json] [TAP]`: live requests and what became of them, until interrupted. */
import { reportFailure, stream } from "../control/client.ts";
import type { TraceLine } from "../control/trace.ts";
import { controlArgs } from "./status.ts";

const USAGE = `Usage: nfdhcpd trace [--json] [-c CONF | --socket PATH] [TAP]

Prints each request from a bound TAP (or from TAP alone) as the running daemon decides it, until
interrupted (Ctrl-C). Exit code 3: not running.`;

/** `12:00:01.234`, local time. */
function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${
    p(d.getMilliseconds(), 3)
  }`;
}

/** One line: `12:00:01.234 tap1 dhcp4 DISCOVER 52:54:00:12:34:56 -> OFFER 10.0.0.5`. */
export function formatTraceLine(t: TraceLine): string {
  const head = `${clock(t.at)} ${t.tap} ${t.protocol} ${t.request} ${t.mac ?? "-"}`;
  switch (t.outcome) {
    case "reply":
      return `${head} -> ${t.reply}${t.address === null ? "" : ` ${t.address}`}`;
    case "drop":
      return `${head} -> dropped (${t.reason}): ${t.why}`;
    case "pass":
      return `${head} -> passed on: ${t.why}`;
    default:
      return `${head} -> error: ${t.why}`;
  }
}

function isLost(value: unknown): value is { lost: number } {
  return typeof value === "object" && value !== null && "lost" in value;
}

/** Runs `nfdhcpd trace`; returns the exit code (0 when interrupted). */
export async function traceCommand(args: string[]): Promise<number> {
  const parsed = await controlArgs(args, USAGE, 1);
  if (typeof parsed === "number") return parsed;
  const tap = parsed.positionals[0] ?? null;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  for (const s of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(s, onSignal);
  try {
    await stream(parsed.socket, { command: "trace", tap }, (value) => {
      if (parsed.json) console.log(JSON.stringify(value));
      else if (isLost(value)) console.log(`... ${value.lost} lines lost (not read in time)`);
      else console.log(formatTraceLine(value as TraceLine));
    }, stop.signal);
    return 0;
  } catch (e) {
    return reportFailure(e);
  } finally {
    for (const s of ["SIGINT", "SIGTERM"] as const) Deno.removeSignalListener(s, onSignal);
  }
}
