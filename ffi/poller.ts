/** Waits for readable file descriptors off the JS thread and runs their synchronous drain handlers. */
import { EFD_CLOEXEC, EFD_NONBLOCK, POLLIN } from "./libc.ts";
import { callError, libc } from "./native.ts";

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

  constructor() {
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

  /** Stops and releases the eventfd; call after `run()` resolved. */
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

  async #loop(): Promise<void> {
    const drainWake = new Uint8Array(8);
    while (!this.#stopping) {
      // Keep a reference to the exact buffer handed to the pending call until it settles.
      const fds = this.#pollfds;
      const watched = this.#watched;
      const n = await libc().poll(fds, BigInt(fds.length / 8), -1);
      if (n <= 0) continue; // EINTR; errno is not ours to read after a nonblocking call
      const view = new DataView(fds.buffer);
      if (view.getInt16(6, true) !== 0) {
        while (libc().read(this.#wakeFd, drainWake, 8n) > 0) { /* drain */ }
      }
      for (let i = 0; i < watched.length; i++) {
        if (view.getInt16(8 * (i + 1) + 6, true) !== 0) watched[i]!.onReadable();
      }
    }
  }
}
