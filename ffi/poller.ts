/** Waits for readable file descriptors off the JS thread and runs their synchronous drain handlers. */
import { EFD_CLOEXEC, EFD_NONBLOCK, POLLIN } from "./libc.ts";
import { callError, libc } from "./native.ts";

/** Longest wait on the JS thread for the next packet while traffic is flowing. */
const SPIN_WAIT_MS = 1;
/** Longest time on the JS thread before the event loop gets a turn. */
const SPIN_BUDGET_MS = 2;

/** A file descriptor and the handler that drains it when it becomes readable. */
interface Watched {
  readonly fd: number;
  readonly onReadable: () => void;
}

/**
 * One `poll()` per wake-up runs on Deno's blocking pool (a `nonblocking` FFI call), so the event
 * loop keeps serving timers, signals and file watches; the handlers then drain synchronously.
 * An eventfd wakes the wait for `stop()`.
 */
export class Poller {
  #watched: Watched[] = [];
  #wakeFd: number;
  #pollfds = new Uint8Array(0);
  #stopping = false;
  #running: Promise<void> | null = null;
  #closed = false;
  #drainWake = new Uint8Array(8);

  /** `onError` hears of a handler that threw; the loop goes on. */
  constructor(private readonly onError: (message: string) => void = () => {}) {
    this.#wakeFd = libc().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (this.#wakeFd < 0) throw callError("eventfd()");
  }

  /** Adds `fd`; `onReadable` must drain it without blocking. */
  watch(fd: number, onReadable: () => void): void {
    this.#watched.push({ fd, onReadable });
    this.#rebuild();
    this.#wake();
  }

  /** Removes `fd` from the set. */
  unwatch(fd: number): void {
    this.#watched = this.#watched.filter((w) => w.fd !== fd);
    this.#rebuild();
    this.#wake();
  }

  /** Runs until `stop()`; resolves after the last wake-up's handlers have finished. */
  run(): Promise<void> {
    this.#running ??= this.#loop();
    return this.#running;
  }

  /** Asks `run()` to end after the current wake-up. */
  stop(): void {
    this.#stopping = true;
    this.#wake();
  }

  /** Releases the eventfd; idempotent. Call after `run()` resolved (`stop()` ends it). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc().close(this.#wakeFd);
  }

  #rebuild(): void {
    const fds = [this.#wakeFd, ...this.#watched.map((w) => w.fd)];
    const buf = new Uint8Array(8 * fds.length);
    const view = new DataView(buf.buffer);
    fds.forEach((fd, i) => {
      view.setInt32(8 * i, fd, true);
      view.setInt16(8 * i + 4, POLLIN, true);
    });
    this.#pollfds = buf;
  }

  #wake(): void {
    libc().write(this.#wakeFd, new BigUint64Array([1n]), 8n);
  }

  /**
   * Each turn arms a wait off the JS thread (a `nonblocking` poll, whose wake-up through a Promise
   * costs tens of microseconds), then serves on the JS thread while traffic flows: synchronous
   * polls of up to SPIN_WAIT_MS, for at most SPIN_BUDGET_MS, so a VM's next request (its REQUEST
   * right after our OFFER) is answered at once. Then it awaits the armed wait (already settled if
   * packets came meanwhile), which gives timers, signals and file watches their turn.
   */
  async #loop(): Promise<void> {
    while (!this.#stopping) {
      const fds = this.#pollfds;
      const watched = this.#watched;
      // Its own buffer: the kernel writes revents into it from the other thread.
      const armedFds = fds.slice();
      const armed = libc().poll(armedFds, BigInt(armedFds.length / 8), -1);
      const until = performance.now() + SPIN_BUDGET_MS;
      while (!this.#stopping && performance.now() < until) {
        if (libc().poll_sync(fds, BigInt(fds.length / 8), SPIN_WAIT_MS) <= 0) break;
        this.#dispatch(fds, watched);
      }
      if (await armed > 0) this.#dispatch(armedFds, watched);
    }
  }

  #dispatch(fds: Uint8Array, watched: readonly Watched[]): void {
    const view = new DataView(fds.buffer);
    if (view.getInt16(6, true) !== 0) {
      while (libc().read(this.#wakeFd, this.#drainWake, 8n) > 0) { /* drain */ }
    }
    for (let i = 0; i < watched.length; i++) {
      if (view.getInt16(8 * (i + 1) + 6, true) === 0) continue;
      try {
        watched[i]!.onReadable();
      } catch (e) {
        // One handler's bug must not end the loop that serves every queue.
        this.onError(
          `Handler for fd ${watched[i]!.fd} failed: ${e instanceof Error ? e.stack : e}`,
        );
      }
    }
  }
}
