/**
 * The control socket's server: a unix stream socket, a few clients at a time, one bounded request
 * line each, answered from the daemon's counters. Runs on the event loop beside the packet path and
 * never blocks it: every read and write is awaited, bounded in size and in time.
 */
import type { UnixStreamConn, UnixStreamListener } from "../../ffi/unix_stream.ts";
import { errorMessage } from "../error_message.ts";
import { type LineRead, parseRequest, readLine, type Request } from "./protocol.ts";
import { listenUnix } from "./socket_file.ts";
import type { TraceHub } from "./trace.ts";

/** What the daemon answers with; each is called only when a client asks. */
export interface ControlHandlers {
  /** The answer to `status`, `clients` (filtered by TAP) or `metrics`, as a JSON-able value. */
  answer(request: Request): unknown;
  readonly trace: TraceHub;
}

export interface ControlLimits {
  /** Clients connected at once; more are told so and closed. */
  readonly maxClients: number;
  /** A client that has not sent its whole request line by then is closed. */
  readonly requestTimeoutMs: number;
  /** A client that does not take an answer by then is closed. */
  readonly writeTimeoutMs: number;
}

export const DEFAULT_LIMITS: ControlLimits = {
  maxClients: 8,
  requestTimeoutMs: 5000,
  writeTimeoutMs: 10_000,
};

const encoder = new TextEncoder();

/** Rejects after `ms` with `what`; the timer is cleared when `work` settles. */
async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The listening control socket and its clients. */
export class ControlServer {
  readonly #listener: UnixStreamListener;
  /** Clients being served; `#refused` are being told the limit is reached. */
  readonly #connections = new Set<UnixStreamConn>();
  readonly #refused = new Set<UnixStreamConn>();
  /** Every client's service, awaited by close() so no socket call outlives the server. */
  readonly #serving = new Set<Promise<void>>();
  #closed = false;
  readonly #accepting: Promise<void>;

  private constructor(
    readonly path: string,
    listener: UnixStreamListener,
    private readonly handlers: ControlHandlers,
    private readonly limits: ControlLimits,
    private readonly onError: (message: string) => void,
  ) {
    this.#listener = listener;
    this.#accepting = this.#acceptLoop();
  }

  /** Binds `path` (see socket_file.ts) and starts accepting; rejects with the reason if it cannot. */
  static open(
    path: string,
    handlers: ControlHandlers,
    onError: (message: string) => void,
    limits: ControlLimits = DEFAULT_LIMITS,
  ): Promise<ControlServer> {
    return Promise.resolve().then(() =>
      new ControlServer(path, listenUnix(path), handlers, limits, onError)
    );
  }

  get clients(): number {
    return this.#connections.size;
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let conn: UnixStreamConn | null;
      try {
        conn = await this.#listener.accept();
        if (conn === null) return; // closed
      } catch (e) {
        if (this.#closed) return;
        this.onError(`Control socket: cannot accept: ${errorMessage(e)}`);
        // Out of descriptors: wait a little rather than spin.
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const accepted = conn;
      const refused = this.#connections.size >= this.limits.maxClients;
      const set = refused ? this.#refused : this.#connections;
      set.add(accepted);
      const service = (refused ? this.#refuse(accepted) : this.#serve(accepted)).finally(() => {
        set.delete(accepted);
        accepted.close();
        this.#serving.delete(service);
      });
      this.#serving.add(service);
    }
  }

  async #refuse(conn: UnixStreamConn): Promise<void> {
    try {
      await within(this.#write(conn, { error: "Too many control clients; try again" }), 1000, "");
    } catch {
      // it will see the close
    }
  }

  async #write(conn: UnixStreamConn, value: unknown): Promise<void> {
    await this.#writeText(conn, `${JSON.stringify(value)}\n`);
  }

  async #writeText(conn: UnixStreamConn, text: string): Promise<void> {
    await conn.write(encoder.encode(text));
  }

  async #serve(conn: UnixStreamConn): Promise<void> {
    let read: LineRead;
    try {
      read = await within(
        readLine((into) => conn.read(into)),
        this.limits.requestTimeoutMs,
        "no request in time",
      );
    } catch {
      return; // timed out, or the client went away
    }
    if (read.kind !== "line") {
      if (read.kind === "too-long") await this.#tryWrite(conn, { error: "Request line too long" });
      return;
    }
    const parsed = parseRequest(read.line);
    if (!parsed.ok) return await this.#tryWrite(conn, { error: parsed.error });
    if (parsed.request.command === "trace") return await this.#trace(conn, parsed.request.tap);
    let answer: unknown;
    try {
      answer = this.handlers.answer(parsed.request);
    } catch (e) {
      this.onError(`Control socket: ${parsed.request.command} failed: ${errorMessage(e)}`);
      answer = { error: `${parsed.request.command} failed: ${errorMessage(e)}` };
    }
    await this.#tryWrite(conn, answer);
  }

  async #tryWrite(conn: UnixStreamConn, value: unknown): Promise<void> {
    try {
      await within(this.#write(conn, value), this.limits.writeTimeoutMs, "answer not taken");
    } catch {
      // the client left or does not read: the finally of #serve closes it
    }
  }

  /** Streams trace lines until the client closes its end (or stops reading for too long). */
  async #trace(conn: UnixStreamConn, tap: string | null): Promise<void> {
    const subscription = this.handlers.trace.subscribe(tap);
    let open = true;
    // The client sends nothing more: a read that ends means it closed.
    const gone = conn.read(new Uint8Array(64)).then(() => {
      open = false;
      subscription.close();
    });
    try {
      await within(this.#write(conn, { trace: tap ?? "all" }), this.limits.writeTimeoutMs, "");
      while (open && !this.#closed) {
        await Promise.race([subscription.wait(), gone]);
        const text = subscription.take();
        if (text === "" || !open) continue;
        await within(this.#writeText(conn, text), this.limits.writeTimeoutMs, "trace not read");
      }
    } catch {
      // the client left or stopped reading
    } finally {
      subscription.close();
    }
  }

  /** Stops accepting, closes every client, and removes the socket file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    for (const conn of [...this.#connections, ...this.#refused]) conn.close();
    await this.#accepting;
    await Promise.all(this.#serving);
    try {
      Deno.removeSync(this.path);
    } catch {
      // removed by someone else
    }
  }
}
