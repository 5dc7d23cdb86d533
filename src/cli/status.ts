/** `nfdhcpd status [--json] [-c CONF | --socket PATH]`: the running daemon's state and counters. */
import { usageError } from "./usage_error.ts";
import { parseArgs } from "./args.ts";
import { ask, reportFailure, socketPath } from "../control/client.ts";
import type { Command } from "../control/protocol.ts";
import type { Counts, StatusReport } from "../metrics/status_report.ts";
import { errorMessage } from "../error_message.ts";

/** The options every control command takes; `usage` is shown on a bad one. */
export interface ControlArgs {
  readonly json: boolean;
  readonly socket: string;
  readonly positionals: readonly string[];
}

/** Parses `[--json] [-c CONF | --socket PATH] [positionals]`; an exit code when it cannot. */
export async function controlArgs(
  args: string[],
  usage: string,
  maxPositionals: number,
): Promise<ControlArgs | number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        json: { type: "boolean", default: false },
        config: { type: "string", short: "c" },
        socket: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: true,
    });
    if (parsed.positionals.length > maxPositionals) throw new Error("too many arguments");
    if (parsed.values.config !== undefined && parsed.values.socket !== undefined) {
      throw new Error("give -c or --socket, not both");
    }
  } catch (e) {
    return usageError("nfdhcpd", errorMessage(e), usage);
  }
  if (parsed.values.help) {
    console.log(usage);
    return 0;
  }
  try {
    const socket = await socketPath(parsed.values);
    return { json: parsed.values.json, socket, positionals: parsed.positionals };
  } catch (e) {
    console.error(`nfdhcpd: ${errorMessage(e)}`);
    return 1;
  }
}

/** Asks the daemon; prints the error and gives the exit code when it cannot. */
export async function askOrExit(
  socket: string,
  command: Command,
  tap: string | null = null,
): Promise<unknown | number> {
  try {
    return { answer: await ask(socket, { command, tap }) };
  } catch (e) {
    return reportFailure(e);
  }
}

const USAGE = `Usage: nfdhcpd status [--json] [-c CONF | --socket PATH]

Shows the running daemon's version, uptime, queues, bindings and counters, through its control
socket (control_socket in CONF, default /etc/nfdhcpd/nfdhcpd.conf). Exit code 3: not running.`;

/** `1h 02m 03s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const [d, h, m] = [Math.floor(s / 86400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60];
  const p = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d ${p(h)}h ${p(m)}m`;
  if (h > 0) return `${h}h ${p(m)}m ${p(s % 60)}s`;
  return m > 0 ? `${m}m ${p(s % 60)}s` : `${s}s`;
}

/** `2024-05-01 12:00:01` in local time. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** `dhcp4 DISCOVER 3, REQUEST 3; rs RS 2`, or `none`. */
function formatCounts(counts: Counts): string {
  const parts = Object.entries(counts).map(([protocol, row]) =>
    `${protocol} ${Object.entries(row).map(([k, n]) => `${k} ${n}`).join(", ")}`
  );
  return parts.length === 0 ? "none" : parts.join("; ");
}

const known = (n: number | null) => (n === null ? "?" : String(n));

/** The human form: one aligned `label  value` line per fact. */
export function formatStatus(s: StatusReport): string[] {
  const rows: [string, string][] = [
    ["version", `nfdhcpd ${s.version}, pid ${s.pid}`],
    ["uptime", `${formatDuration(s.now - s.startedAt)} (since ${formatTime(s.startedAt)})`],
    ["config", s.configPath],
    ...s.queues.map((q): [string, string] => [
      `queue ${q.queue}`,
      `${q.service}: copy ${q.copy}, max ${q.maxLength}, ` +
      `${q.failOpen ? "fail-open" : "fail-closed"}; ${known(q.waiting)} waiting, ` +
      `overruns: ${s.packets.enobufs} ENOBUFS, ${known(q.queueDropped)} queue full, ` +
      `${known(q.socketDropped)} socket full`,
    ]),
    ["bindings", `${s.bindings.loaded} loaded, ${s.bindings.rejected} not loaded`],
    [
      "packets",
      `${s.packets.received} received: ${s.packets.dropped} answered or refused, ` +
      `${s.packets.accepted} passed on`,
    ],
    ["requests", formatCounts(s.requests)],
    ["replies", formatCounts(s.replies)],
    ["refused", formatCounts(s.refused)],
    ["errors", String(s.errors)],
    [
      "latency",
      s.latency.count === 0
        ? "no reply yet"
        : `mean ${
          ((s.latency.sum / s.latency.count) * 1000).toFixed(3)
        } ms over ${s.latency.count} replies`,
    ],
    [
      "last reload",
      s.lastReload === null
        ? "none"
        : `${formatTime(s.lastReload.at)} ${
          s.lastReload.ok ? "ok" : "FAILED"
        }: ${s.lastReload.detail}`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
}

/** Runs `nfdhcpd status`; returns the exit code. */
export async function statusCommand(args: string[]): Promise<number> {
  const parsed = await controlArgs(args, USAGE, 0);
  if (typeof parsed === "number") return parsed;
  const asked = await askOrExit(parsed.socket, "status");
  if (typeof asked === "number") return asked;
  const report = (asked as { answer: StatusReport }).answer;
  console.log(parsed.json ? JSON.stringify(report, null, 2) : formatStatus(report).join("\n"));
  return 0;
}
