/**
 * Unix stream sockets through libc, so the control socket needs no `--allow-net` (Deno asks for
 * `--allow-net=unix:<path>` for its own unix sockets; the daemon never gets network permission).
 *
 * Waits (accept, recv, send) are `nonblocking` FFI calls: they block one thread of Deno's blocking
 * pool, never the JS thread. Their errno is not readable afterwards (another thread), so a failed
 * wait counts as "closed". `close()` first shuts the socket down, which wakes every wait on it,
 * and closes the descriptor only once no wait uses it any more: a descriptor number closed under a
 * pending call could be reused by the next open() and the call would act on that file.
 */
import { AF_UNIX, ECONNREFUSED, FIONBIO, MSG_NOSIGNAL, SHUT_RDWR, SOCK_CLOEXEC } from "./libc.ts";
import { SOCK_NONBLOCK, SOCK_STREAM } from "./libc.ts";
import { callError, errno, errnoText, libc } from "./native.ts";
import { unixAddress } from "./unix_datagram.ts";

/** Pending connections the kernel queues before `accept()` takes them. */
const BACKLOG = 16;

/** A descriptor shared by waits on the blocking pool: closed when closing and none is pending. */
class SharedFd {
  #fd: number;
  #pending = 0;
  #closing = false;

  constructor(fd: number) {
    this.#fd = fd;
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Runs one wait on the descriptor; the descriptor stays open until it settles. */
  async wait<T>(call: (fd: number) => Promise<T>): Promise<T> {
    this.#pending++;
    try {
      return await call(this.#fd);
    } finally {
      this.#pending--;
      this.#closeIfIdle();
    }
  }

  /** Wakes every wait (shutdown) and closes the descriptor once they have returned; idempotent. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    libc().shutdown(this.#fd, SHUT_RDWR);
    this.#closeIfIdle();
  }

  #closeIfIdle(): void {
    if (!this.#closing || this.#pending > 0 || this.#fd < 0) return;
    libc().close(this.#fd);
    this.#fd = -1;
  }
}

/** A connected unix stream socket: the read/write/close that the control protocol uses. */
export class UnixStreamConn {
  readonly #fd: SharedFd;

  /** Takes ownership of `fd`, a connected blocking stream socket. */
  constructor(fd: number, readonly path: string) {
    this.#fd = new SharedFd(fd);
  }

  /**
   * Reads into `into`: the byte count, or null at the end of the stream, after `close()`, or on an
   * error (which one is not knowable, see above; the connection is done either way).
   */
  async read(into: Uint8Array): Promise<number | null> {
    if (this.#fd.closing) return null;
    // `into` stays referenced by this frame until the call settles.
    const n = Number(
      await this.#fd.wait((fd) => libc().recv_wait(fd, into, BigInt(into.length), 0)),
    );
    if (n < 0 || (n === 0 && into.length > 0)) return null;
    return n;
  }

  /** Writes all of `bytes` (looping on partial sends); rejects once the connection is closed. */
  async write(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      if (this.#fd.closing) throw new Error(`Cannot send on ${this.path}: connection closed`);
      const rest = bytes.subarray(at);
      // MSG_NOSIGNAL: a peer gone is -1 (EPIPE), not a SIGPIPE that ends the process.
      const n = Number(
        await this.#fd.wait((fd) => libc().send_wait(fd, rest, BigInt(rest.length), MSG_NOSIGNAL)),
      );
      if (n <= 0) throw new Error(`Cannot send on ${this.path}: connection closed`);
      at += n;
    }
  }

  /** Shuts the connection down (a pending read returns null, a pending write rejects); idempotent. */
  close(): void {
    this.#fd.close();
  }
}

/** Why `connect()` failed: the errno and its text (e.g. "Connection refused"). */
export class UnixConnectError extends Error {
  constructor(readonly path: string, readonly code: number, readonly reason: string) {
    super(`Cannot connect to ${path}: ${reason}`);
  }

  /** A socket file nobody listens on: what a killed process leaves behind. */
  get refused(): boolean {
    return this.code === ECONNREFUSED;
  }
}

/**
 * Connects to the stream socket at `path`. Never blocks: a listener whose queue is full answers
 * EAGAIN at once instead of holding the JS thread (the socket is made blocking only afterwards).
 */
export function connectUnixStream(path: string): UnixStreamConn {
  const to = unixAddress(path);
  const c = libc();
  const fd = c.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw callError("socket(AF_UNIX, SOCK_STREAM)");
  if (c.connect(fd, to.bytes, to.length) !== 0) {
    const code = errno(); // read before close() can change it
    c.close(fd);
    throw new UnixConnectError(path, code, errnoText(code));
  }
  if (c.ioctl(fd, BigInt(FIONBIO), new Uint8Array(4)) !== 0) {
    const e = callError(`ioctl(${path}, FIONBIO)`);
    c.close(fd);
    throw e;
  }
  return new UnixStreamConn(fd, path);
}

/** A listening unix stream socket bound to a path (which must not exist). */
export class UnixStreamListener {
  readonly #fd: SharedFd;

  private constructor(fd: number, readonly path: string) {
    this.#fd = new SharedFd(fd);
  }

  /** Binds `path` and listens; throws with the errno text (e.g. "Address already in use"). */
  static listen(path: string): UnixStreamListener {
    const at = unixAddress(path);
    const c = libc();
    const fd = c.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw callError("socket(AF_UNIX, SOCK_STREAM)");
    const failed = c.bind(fd, at.bytes, at.length) !== 0
      ? callError(`bind(${path})`)
      : c.listen(fd, BACKLOG) !== 0
      ? callError(`listen(${path})`)
      : null;
    if (failed !== null) {
      c.close(fd);
      throw failed;
    }
    return new UnixStreamListener(fd, path);
  }

  /**
   * The next connection, or null once `close()` was called. Throws when accept fails while open
   * (out of descriptors, most likely; the errno itself stays on the pool thread).
   */
  async accept(): Promise<UnixStreamConn | null> {
    if (this.#fd.closing) return null;
    const fd = await this.#fd.wait((fd) => libc().accept4_wait(fd, null, null, SOCK_CLOEXEC));
    if (this.#fd.closing) {
      if (fd >= 0) libc().close(fd);
      return null;
    }
    if (fd < 0) throw new Error(`Cannot accept on ${this.path}: accept4() failed`);
    return new UnixStreamConn(fd, this.path);
  }

  /** Stops listening (a pending `accept()` returns null); the path is left for the caller. */
  close(): void {
    this.#fd.close();
  }
}
