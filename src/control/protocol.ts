/**
 * The control socket's protocol: the client writes one JSON line `{"command": ...}`, the daemon
 * answers one JSON line (`trace`: one line per traced request until the client closes). Pure: the
 * request parser, the bounded line reader, and the shapes of the answers (`status`'s with the
 * counters, in src/metrics/status_report.ts).
 */

/** Longest request line accepted, newline included. */
export const MAX_REQUEST_BYTES = 4096;

export const COMMANDS = ["status", "clients", "metrics", "trace"] as const;
export type Command = (typeof COMMANDS)[number];

/** A valid request; `tap` filters `clients` and `trace` to one TAP. */
export interface Request {
  readonly command: Command;
  readonly tap: string | null;
}

/** A TAP name as Linux allows it: 1 to 15 bytes, no slash, no whitespace. */
const TAP_NAME = /^[^\s/]{1,15}$/;

/** The request in `line` (one JSON object), or why it is not one. */
export function parseRequest(line: string): { ok: true; request: Request } | {
  ok: false;
  error: string;
} {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, error: "Cannot parse the request: not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: "Cannot parse the request: not a JSON object" };
  }
  const { command, tap } = value as Record<string, unknown>;
  if (!COMMANDS.includes(command as Command)) {
    return {
      ok: false,
      error: `Unknown command ${JSON.stringify(command)}: expected one of ${COMMANDS.join(", ")}`,
    };
  }
  if (tap !== undefined && tap !== null && (typeof tap !== "string" || !TAP_NAME.test(tap))) {
    return { ok: false, error: "Cannot parse the request: tap is not an interface name" };
  }
  return { ok: true, request: { command: command as Command, tap: tap ?? null } };
}

/** What the reader found: a whole line, the end of input, or a line past the bound. */
export type LineRead =
  | { readonly kind: "line"; readonly line: string }
  | { readonly kind: "eof" }
  | { readonly kind: "too-long" };

/**
 * Reads one newline-terminated line of at most `max` bytes from `read` (which fills a buffer and
 * returns the byte count, or null at the end). Never buffers more than `max` bytes.
 */
export async function readLine(
  read: (into: Uint8Array) => Promise<number | null>,
  max = MAX_REQUEST_BYTES,
): Promise<LineRead> {
  const buffer = new Uint8Array(max);
  let used = 0;
  while (used < max) {
    const n = await read(buffer.subarray(used));
    if (n === null || n === 0) return { kind: "eof" };
    const end = buffer.subarray(used, used + n).indexOf(10);
    used += n;
    if (end >= 0) {
      const length = used - n + end;
      return { kind: "line", line: new TextDecoder().decode(buffer.subarray(0, length)) };
    }
  }
  return { kind: "too-long" };
}

/** One binding in the answer to `clients`; times in milliseconds since the epoch, null: never. */
export interface ClientReport {
  readonly tap: string;
  /** Whether the TAP exists now. */
  readonly present: boolean;
  readonly mac: string;
  readonly ipv4: string | null;
  /** The VM's IPv6 address by the responders' rule (the first of `addresses6`). */
  readonly ipv6: string | null;
  /** Every address DHCPv6 leases it: EUI64 and IP6 (or the SLAAC address alone). */
  readonly addresses6: readonly string[];
  /** The prefixes delegated to it (PREFIX6), as `PREFIX/LEN`. */
  readonly prefixes6: readonly string[];
  readonly hostname: string | null;
  readonly flags: readonly string[];
  readonly lastRequest:
    | { readonly protocol: string; readonly type: string; readonly at: number }
    | null;
  readonly lastReply:
    | { readonly type: string; readonly address: string | null; readonly at: number }
    | null;
  readonly lastRefusal:
    | { readonly reason: string; readonly why: string; readonly at: number }
    | null;
}

export interface ClientsReport {
  readonly clients: readonly ClientReport[];
}

/** An error answer: `{"error": "..."}`. */
export interface ErrorReply {
  readonly error: string;
}
