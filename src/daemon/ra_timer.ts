/** Periodic unsolicited router advertisements, sent in small slices so the packet path never stalls. */
import type { Binding } from "../bindings/binding.ts";

export interface RaTimerDeps {
  /** Every binding now known. */
  readonly bindings: () => Iterable<Binding>;
  /** Builds and sends one binding's unsolicited RA; returns false when it has nothing to send. */
  readonly advertise: (binding: Binding) => boolean;
  /** Seconds between rounds (ra_period). */
  readonly periodSeconds: () => number;
  readonly onRound?: (sent: number, millis: number) => void;
}

/** How long one slice of a round may run before yielding to the event loop (and queued packets). */
const SLICE_MS = 0.5;

/** Sends one RA to every binding with SUBNET6 each period, and one at once for a new or changed binding. */
export class RaTimer {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #stopped = false;

  constructor(private readonly deps: RaTimerDeps) {}

  /** Schedules the first round one period from now. */
  start(): void {
    this.#schedule();
  }

  /** Advertises to one binding right away (a new VM need not wait a whole period). */
  advertiseNow(binding: Binding): void {
    if (binding.subnet6 !== null) this.deps.advertise(binding);
  }

  /** Runs one full round now; resolves when every slice was sent. */
  async round(): Promise<number> {
    if (this.#running) return 0;
    this.#running = true;
    const started = performance.now();
    let sent = 0;
    try {
      const targets = [...this.deps.bindings()].filter((b) => b.subnet6 !== null);
      let sliceStart = performance.now();
      for (const binding of targets) {
        if (this.#stopped) break;
        if (this.deps.advertise(binding)) sent++;
        if (performance.now() - sliceStart >= SLICE_MS) {
          await new Promise((r) => setTimeout(r, 0));
          sliceStart = performance.now();
        }
      }
    } finally {
      this.#running = false;
    }
    this.deps.onRound?.(sent, performance.now() - started);
    return sent;
  }

  /** Cancels the schedule; an unfinished round stops after its current slice. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(async () => {
      await this.round();
      this.#schedule();
    }, this.deps.periodSeconds() * 1000);
  }
}
