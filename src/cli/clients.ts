/** `nfdhcpd clients [--json] [TAP]`: each binding, whether its TAP exists, its last traffic. */
import type { ClientReport } from "../control/protocol.ts";
import { askOrExit, controlArgs, formatDuration } from "./status.ts";

const USAGE = `Usage: nfdhcpd clients [--json] [-c CONF | --socket PATH] [TAP]

One line per binding of the running daemon: TAP, whether it exists, MAC, IPv4, IPv6 (its
addresses, then its delegated prefixes), hostname, flags, and its last request, reply and
refusal. Exit code 3: not running.`;

const HEADER = [
  "TAP",
  "TAP?",
  "MAC",
  "IPV4",
  "IPV6",
  "HOSTNAME",
  "FLAGS",
  "LAST REQUEST",
  "LAST REPLY",
  "LAST REFUSAL",
];
const NONE = "-";

function ago(at: number, now: number): string {
  return `${formatDuration(now - at)} ago`;
}

function row(c: ClientReport, now: number): string[] {
  const { lastRequest: q, lastReply: r, lastRefusal: x } = c;
  return [
    c.tap,
    c.present ? "present" : "absent",
    c.mac,
    c.ipv4 ?? NONE,
    [...c.addresses6, ...c.prefixes6].join(",") || NONE,
    c.hostname ?? NONE,
    c.flags.length === 0 ? NONE : c.flags.join(","),
    q === null ? NONE : `${q.protocol} ${q.type} ${ago(q.at, now)}`,
    r === null ? NONE : `${r.type}${r.address === null ? "" : ` ${r.address}`} ${ago(r.at, now)}`,
    x === null ? NONE : `${x.reason} ${ago(x.at, now)}: ${x.why}`,
  ];
}

/** The table: a header and one aligned line per client; the last column is not padded. */
export function formatClients(clients: readonly ClientReport[], now: number): string[] {
  const rows = [HEADER, ...clients.map((c) => row(c, now))];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd()
  );
}

/** Runs `nfdhcpd clients`; returns the exit code. */
export async function clientsCommand(args: string[]): Promise<number> {
  const parsed = await controlArgs(args, USAGE, 1);
  if (typeof parsed === "number") return parsed;
  const tap = parsed.positionals[0] ?? null;
  const asked = await askOrExit(parsed.socket, "clients", tap);
  if (typeof asked === "number") return asked;
  const { clients } = (asked as { answer: { clients: ClientReport[] } }).answer;
  if (parsed.json) console.log(JSON.stringify(clients, null, 2));
  else console.log(formatClients(clients, Date.now()).join("\n"));
  if (tap !== null && clients.length === 0) {
    console.error(`nfdhcpd: no binding for ${tap}`);
    return 1;
  }
  return 0;
}
