/** The control socket's client: finds the socket, sends one request, reads the answer or a stream. */
import { connectUnixStream, UnixConnectError, type UnixStreamConn } from "../../ffi/unix_stream.ts";
import { CONFIG_DEFAULTS, DEFAULT_CONFIG_PATH, loadConfig } from "../config/config.ts";
import { errorMessage } from "../error_message.ts";
import { readLine, type Request } from "./protocol.ts";

/** Exit code when no daemon answers (LSB's "program is not running", as `systemctl status`). */
export const EXIT_NOT_RUNNING = 3;

/** No daemon answers on the socket: the message names the path and why. */
export class NotRunningError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`nfdhcpd is not running: cannot connect to ${path} (${reason})`);
  }
}

/** Prints why a control request failed; the exit code: EXIT_NOT_RUNNING when no daemon answers. */
export function reportFailure(e: unknown): number {
  if (e instanceof NotRunningError) {
    console.error(e.message);
    return EXIT_NOT_RUNNING;
  }
  console.error(`nfdhcpd: ${errorMessage(e)}`);
  return 1;
}

/** Longest answer line accepted (a `clients` answer for many thousand bindings). */
const MAX_ANSWER_BYTES = 64 << 20;

/**
 * The socket to talk to: `--socket`, else the `control_socket` of the configuration file (`-c`,
 * else the default one; when that cannot be read, the default socket). Throws when the
 * configuration turns the socket off or is broken.
 */
export async function socketPath(
  options: { socket?: string; config?: string },
): Promise<string> {
  if (options.socket !== undefined) return options.socket;
  const configPath = options.config ?? DEFAULT_CONFIG_PATH;
  const loaded = await loadConfig(configPath);
  if (!loaded.ok) {
    if (options.config === undefined) return CONFIG_DEFAULTS.controlSocket;
    throw new Error(`Cannot read the configuration: ${loaded.errors.join("; ")}`);
  }
  const path = loaded.config.general.controlSocket;
  if (path === null) throw new Error(`${configPath} sets no control_socket`);
  return path;
}

function connect(path: string): UnixStreamConn {
  try {
    return connectUnixStream(path);
  } catch (e) {
    throw new NotRunningError(path, e instanceof UnixConnectError ? e.reason : errorMessage(e));
  }
}

async function send(conn: UnixStreamConn, request: Request): Promise<void> {
  await conn.write(new TextEncoder().encode(`${JSON.stringify(request)}\n`));
}

/** A daemon's `{"error": ...}` answer. */
export class ControlError extends Error {}

function checked(value: unknown): unknown {
  if (typeof value === "object" && value !== null && "error" in value) {
    throw new ControlError(`nfdhcpd answered: ${String((value as { error: unknown }).error)}`);
  }
  return value;
}

/** Sends `request` to the daemon at `path` and returns its (parsed) one-line answer. */
export async function ask(path: string, request: Request): Promise<unknown> {
  const conn = connect(path);
  try {
    await send(conn, request);
    const read = await readLine((into) => conn.read(into), MAX_ANSWER_BYTES);
    if (read.kind !== "line") throw new ControlError(`nfdhcpd sent no answer on ${path}`);
    return checked(JSON.parse(read.line));
  } finally {
    conn.close();
  }
}

/**
 * Sends `request` and calls `onLine` with each JSON line of the stream until the daemon closes it
 * or `signal` aborts; the first line (the daemon's acknowledgement) is checked, not passed on.
 */
export async function stream(
  path: string,
  request: Request,
  onLine: (value: unknown) => void,
  signal?: AbortSignal,
): Promise<void> {
  const conn = connect(path);
  const abort = () => conn.close();
  signal?.addEventListener("abort", abort);
  try {
    await send(conn, request);
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(65536);
    let pending = "";
    let first = true;
    for (;;) {
      // null at the end of the stream, and after the abort closed the connection.
      const n = await conn.read(buffer);
      if (n === null) return;
      pending += decoder.decode(buffer.subarray(0, n), { stream: true });
      let end: number;
      while ((end = pending.indexOf("\n")) >= 0) {
        const value = checked(JSON.parse(pending.slice(0, end)));
        pending = pending.slice(end + 1);
        if (!first) onLine(value);
        first = false;
      }
    }
  } finally {
    signal?.removeEventListener("abort", abort);
    conn.close();
  }
}
