/**
 * Live trace: the dispatcher's trace hook fans out to the `trace` clients as JSON lines. The hook is
 * set only while a client listens; each client has a bounded backlog, so a client that does not
 * read loses lines (and is told how many), never slows the packet path or grows the heap.
 */
import { formatIpv4 } from "../address.ts";
import type { TraceEvent } from "../metrics/trace_event.ts";

/** One traced request as it goes over the socket. */
export interface TraceLine {
  readonly at: number;
  readonly tap: string;
  readonly protocol: string;
  readonly request: string;
  readonly mac: string | null;
  readonly clientId: string | null;
  readonly requested: readonly number[] | null;
  readonly outcome: TraceEvent["outcome"];
  readonly reply: string | null;
  readonly address: string | null;
  readonly options: readonly number[] | null;
  readonly reason: string | null;
  readonly why: string;
}

/** Most lines a client may have waiting; past it, lines are counted as lost. */
export const TRACE_BACKLOG = 1000;

/** A trace client: its TAP filter, its waiting lines, and the wake-up of its writer. */
class Subscriber {
  lines: string[] = [];
  lost = 0;
  #wake: (() => void) | null = null;

  constructor(readonly tap: string | null) {}

  push(line: string): void {
    if (this.lines.length >= TRACE_BACKLOG) {
      this.lost++;
      return;
    }
    this.lines.push(line);
    this.#wake?.();
  }

  /** Resolves when there is something to write (or at once if there is). */
  wait(): Promise<void> {
    if (this.lines.length > 0 || this.lost > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = null;
        resolve();
      };
    });
  }

  /** Takes what is waiting, with a `{"lost": n}` line first if lines were lost. */
  take(): string {
    const out = this.lost > 0
      ? [`${JSON.stringify({ lost: this.lost })}\n`, ...this.lines]
      : this.lines;
    this.lines = [];
    this.lost = 0;
    return out.join("");
  }

  /** Wakes a waiting writer so it can see the end. */
  end(): void {
    this.#wake?.();
  }
}

/** The trace clients of one daemon. */
export class TraceHub {
  readonly #subscribers = new Set<Subscriber>();

  /** `setHook` installs (or, with null, removes) the dispatcher's trace hook. */
  constructor(private readonly setHook: (hook: ((event: TraceEvent) => void) | null) => void) {}

  get clients(): number {
    return this.#subscribers.size;
  }

  /** Adds a client for `tap` (null: every TAP); `close()` removes it. */
  subscribe(tap: string | null): {
    wait(): Promise<void>;
    take(): string;
    close(): void;
  } {
    const s = new Subscriber(tap);
    this.#subscribers.add(s);
    if (this.#subscribers.size === 1) this.setHook((e) => this.publish(e));
    return {
      wait: () => s.wait(),
      take: () => s.take(),
      close: () => {
        this.#subscribers.delete(s);
        if (this.#subscribers.size === 0) this.setHook(null);
        s.end();
      },
    };
  }

  /** Sends `event` to every client whose filter it passes; the line is built once. */
  publish(event: TraceEvent): void {
    let line: string | null = null;
    for (const s of this.#subscribers) {
      if (s.tap !== null && s.tap !== event.tap) continue;
      line ??= `${JSON.stringify(traceLine(event))}\n`;
      s.push(line);
    }
  }
}

/** The wire form of `event`. */
export function traceLine(event: TraceEvent): TraceLine {
  return {
    at: event.at,
    tap: event.tap,
    protocol: event.protocol,
    request: event.requestType,
    mac: event.mac,
    clientId: event.clientId,
    requested: event.requested,
    outcome: event.outcome,
    reply: event.replyType,
    address: event.address === 0 ? null : formatIpv4(event.address),
    options: event.options,
    reason: event.reason,
    why: event.why,
  };
}
