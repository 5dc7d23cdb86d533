/** Unix datagram sockets by address (a path, or `@name` in the abstract namespace), as sd_notify uses them. */
import {
  AF_UNIX,
  EAGAIN,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  POLLIN,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
} from "./libc.ts";
import { callError, errno, libc } from "./native.ts";

const SUN_PATH_SIZE = 108;
const encoder = new TextEncoder();

/**
 * A `struct sockaddr_un` for `address` and its length: a leading `@` names the abstract namespace
 * (a NUL first byte, no terminating NUL, the length counts only the name), anything else is a path.
 */
export function unixAddress(address: string): { bytes: Uint8Array; length: number } {
  const abstract = address.startsWith("@");
  const name = encoder.encode(abstract ? address.slice(1) : address);
  const pathLength = abstract ? 1 + name.length : name.length + 1;
  if (name.length === 0 || pathLength > SUN_PATH_SIZE) {
    throw new Error(`Cannot use unix socket address "${address}": empty or longer than 107 bytes`);
  }
  const bytes = new Uint8Array(2 + SUN_PATH_SIZE);
  new DataView(bytes.buffer).setUint16(0, AF_UNIX, true);
  bytes.set(name, abstract ? 3 : 2);
  return { bytes, length: 2 + pathLength };
}

/** Sends one datagram to the socket at `address`; throws with the errno text on failure. */
export function sendUnixDatagram(address: string, data: Uint8Array): void {
  const to = unixAddress(address);
  const c = libc();
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw callError("socket(AF_UNIX, SOCK_DGRAM)");
  try {
    const sent = c.sendto(fd, data, BigInt(data.length), MSG_NOSIGNAL, to.bytes, to.length);
    if (sent < 0) throw callError(`sendto(${address})`);
  } finally {
    c.close(fd);
  }
}

/** A bound unix datagram socket that waits for datagrams without blocking the event loop. */
export class UnixDatagramReceiver {
  #fd: number;
  #pollfd = new Uint8Array(8);
  #buf = new Uint8Array(4096);
  #waiting = false;
  #closeWhenDone = false;

  /** Binds `address` (a path must not exist yet; an abstract name must be free). */
  constructor(readonly address: string) {
    const at = unixAddress(address);
    const c = libc();
    this.#fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (this.#fd < 0) throw callError("socket(AF_UNIX, SOCK_DGRAM)");
    if (c.bind(this.#fd, at.bytes, at.length) !== 0) {
      const e = callError(`bind(${address})`);
      c.close(this.#fd);
      throw e;
    }
    const view = new DataView(this.#pollfd.buffer);
    view.setInt32(0, this.#fd, true);
    view.setInt16(4, POLLIN, true);
  }

  /** The next datagram, or null when none came within `timeoutMs`. One wait at a time. */
  async receive(timeoutMs: number): Promise<Uint8Array | null> {
    if (this.#fd < 0) throw new Error("Cannot receive: the socket is closed");
    if (this.#waiting) throw new Error("Cannot receive: already waiting");
    const now = this.#tryRecv();
    if (now !== null) return now;
    this.#waiting = true;
    try {
      // poll runs on another thread (nonblocking symbol); #pollfd stays referenced by `this`.
      await libc().poll(this.#pollfd, 1n, Math.max(0, Math.floor(timeoutMs)));
    } finally {
      this.#waiting = false;
    }
    if (this.#closeWhenDone) {
      this.close();
      return null;
    }
    return this.#tryRecv();
  }

  #tryRecv(): Uint8Array | null {
    const n = Number(libc().recv(this.#fd, this.#buf, BigInt(this.#buf.length), MSG_DONTWAIT));
    if (n >= 0) return this.#buf.slice(0, n);
    const code = errno();
    if (code === EAGAIN) return null;
    throw callError(`recv(${this.address})`, code);
  }

  /**
   * Closes the socket (and removes its path, for a filesystem address); idempotent. During a wait,
   * the socket closes when that wait ends (its poll still uses the descriptor).
   */
  close(): void {
    if (this.#fd < 0) return;
    if (this.#waiting) {
      this.#closeWhenDone = true;
      return;
    }
    libc().close(this.#fd);
    this.#fd = -1;
    if (!this.address.startsWith("@")) {
      try {
        Deno.removeSync(this.address);
      } catch {
        // already gone
      }
    }
  }
}
