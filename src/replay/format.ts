/** Replay records as text blocks (request  ->  answer) or as one JSON object per line. */
import type { FieldValue, PacketSummary } from "./describe.ts";
import type { ReplayRecord } from "./replay.ts";
import type { CaptureTime } from "../pcap/capture.ts";

/** `HH:MM:SS.mmm` (UTC) of a capture time; `--:--:--.---` when the capture has none. */
export function timeOfDay(time: CaptureTime | null): string {
  if (time === null) return "--:--:--.---";
  const ms = time.seconds * 1000 + Math.floor(time.nanoseconds / 1e6);
  return new Date(ms).toISOString().slice(11, 23);
}

const SECONDS = new Set(["lease", "renewal", "rebinding", "routerLifetime", "ipv6OnlyWait"]);

function fieldText(name: string, value: FieldValue): string {
  if (value === true) return name;
  const shown = Array.isArray(value) ? value.join(" ") : String(value);
  return `${name} ${shown}${SECONDS.has(name) ? "s" : ""}`;
}

/** What an operator looks for first in a reply; other fields follow in packet order. */
const FIRST = ["router", "dns", "lease", "mask", "prefix", "routerLifetime", "flags", "status"];
const rank = (name: string) => FIRST.includes(name) ? FIRST.indexOf(name) : FIRST.length;

/** The fields of `summary` but `left`, as `name value, ...`. */
function fieldList(summary: PacketSummary, left: readonly string[]): string {
  return Object.entries(summary.fields)
    .filter(([name]) => !left.includes(name))
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([name, value]) => fieldText(name, value))
    .join(", ");
}

/** `DHCPv4 DISCOVER from 52:54:00:77:00:10 xid 0xa83e8246 (requested 10.77.0.95)`. */
export function requestText(record: ReplayRecord): string {
  const r = record.request;
  if (r === null) return "(no IP packet)";
  if (r.malformed !== null) return `${r.protocol} message from ${record.mac ?? "an unknown MAC"}`;
  const from = record.mac ?? r.source;
  const xid = r.xid === null ? "" : ` xid ${r.xid}`;
  // What the client asks for and its other options (client id, vendor class...) stay in --json.
  const left = ["yiaddr", "requests", "options"];
  // chaddr is the sender's MAC: shown only when it is not the frame's.
  if (r.fields.chaddr === record.mac) left.push("chaddr");
  const details = fieldList(r, left);
  return `${r.protocol} ${r.type} from ${from}${xid}${details ? ` (${details})` : ""}`;
}

/** The answer of a reply: `OFFER 10.77.0.95 (router 10.77.0.1, ...)`. */
export function replyText(reply: PacketSummary): string {
  const headline = reply.fields.yiaddr ?? reply.fields.address ?? reply.fields.target;
  const head = headline === undefined
    ? reply.type
    : `${reply.type} ${fieldText("", headline).trim()}`;
  const details = fieldList(reply, ["yiaddr", "address", "target", "chaddr"]);
  return `${head}${details ? ` (${details})` : ""} to ${reply.destination}`;
}

/** What the daemon does: the reply, or why nothing is sent. */
export function outcomeText(record: ReplayRecord): string {
  switch (record.kind) {
    case "reply":
      return replyText(record.reply!);
    case "drop":
      return `dropped (${record.reason}): ${record.why}`;
    case "ignore":
      return `passed on: ${record.why}`;
    case "skip":
      return `not a request: ${record.why}`;
  }
}

/** One block of text per record: the request, the answer, and where a broken packet breaks. */
export function recordText(record: ReplayRecord): string {
  const line = `#${record.number} ${timeOfDay(record.time)} ${requestText(record)}  ->  ${
    outcomeText(record)
  }`;
  const malformed = record.request?.malformed;
  return malformed ? `${line}\n    where: ${malformed}` : line;
}

/** One JSON object per record, for tools. */
export function recordJson(record: ReplayRecord): string {
  const { time } = record;
  return JSON.stringify({
    number: record.number,
    time: time === null ? null : new Date(time.seconds * 1000 + Math.floor(time.nanoseconds / 1e6))
      .toISOString(),
    mac: record.mac,
    tap: record.tap,
    request: record.request,
    decision: record.kind,
    reason: record.reason,
    why: record.why,
    reply: record.reply,
    report: record.report,
  });
}
