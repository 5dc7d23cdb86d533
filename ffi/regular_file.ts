/**
 * Reading a file that may be hostile: never blocks on open (FIFO, device), never follows a
 * symbolic link, checks the type and size on the open descriptor, and never reads past a cap.
 */
import { EINTR, ENOENT, O_CLOEXEC, O_RDONLY, O_RDWR } from "./libc.ts";
import { cString, errno, errnoText, libc } from "./native.ts";

const O_NONBLOCK = 0o4000;
/** The flag differs by architecture (asm-generic value on arm64). */
const O_NOFOLLOW = Deno.build.arch === "aarch64" ? 0o100000 : 0o400000;
const ELOOP = 40;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFIFO = 0o010000;
/** Offsets of st_mode and st_size in struct stat (x86_64; arm64 uses the generic layout). */
const STAT = Deno.build.arch === "aarch64" ? { mode: 16, size: 48 } : { mode: 24, size: 48 };
/** Larger than struct stat on every Linux architecture Deno runs on. */
const STAT_BYTES = 256;
/** statx(2): relative to the working directory, not following a link, asking for ctime. */
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const STATX_CTIME = 0x80;
/** struct statx is the same on every architecture: 256 bytes, stx_ctime at 96. */
const STATX_BYTES = 256;
const STATX_CTIME_AT = 96;
/** Linux's PATH_MAX, the terminating NUL included. */
const PATH_BYTES = 4096;

const TYPE_NAMES: Readonly<Record<number, string>> = {
  0o010000: "a FIFO",
  0o020000: "a character device",
  0o040000: "a directory",
  0o060000: "a block device",
  0o120000: "a symbolic link",
  0o140000: "a socket",
};

/** What reading a file gave: its text, nothing (it is gone), or why it is not taken. */
export type FileRead =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "missing" }
  | { readonly kind: "refused"; readonly reason: string };

/**
 * Reads small regular files with one reused buffer. Each read is a few synchronous system calls
 * (open with O_NONBLOCK|O_NOFOLLOW, fstat, read): a regular file's read does not wait on
 * anything but the disk, and nothing else can be opened in a way that waits.
 */
export class RegularFileReader {
  readonly #maxBytes: number;
  readonly #buffer: Uint8Array;
  readonly #bufferBytes: bigint;
  readonly #stat = new Uint8Array(STAT_BYTES);
  readonly #statx = new Uint8Array(STATX_BYTES);
  readonly #statxView = new DataView(this.#statx.buffer);
  readonly #statView = new DataView(this.#stat.buffer);
  /** The path being opened, NUL-terminated: encoded in place, nothing allocated per file. */
  readonly #path = new Uint8Array(PATH_BYTES);
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();

  /** Files larger than `maxBytes` are refused; at most `maxBytes + 1` bytes are ever read. */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
    this.#buffer = new Uint8Array(maxBytes + 1);
    this.#bufferBytes = BigInt(this.#buffer.length);
  }

  /** `path` NUL-terminated in the reused buffer; false when it does not fit. */
  #setPath(path: string): boolean {
    const { read, written } = this.#encoder.encodeInto(path, this.#path);
    if (read < path.length || written >= PATH_BYTES) return false;
    this.#path[written] = 0;
    return true;
  }

  /**
   * When the status of `path` (the link itself, if it is one) last changed, in ms since the
   * epoch: every write, rename, chmod and chown sets it. Null when it cannot be had (gone).
   * One system call and nothing allocated, for looking at thousands of files.
   */
  statusChangedAt(path: string): number | null {
    if (!this.#setPath(path)) return null;
    const c = libc();
    if (c.statx(AT_FDCWD, this.#path, AT_SYMLINK_NOFOLLOW, STATX_CTIME, this.#statx) !== 0) {
      return null;
    }
    const view = this.#statxView;
    const seconds = view.getUint32(STATX_CTIME_AT, true) +
      view.getInt32(STATX_CTIME_AT + 4, true) * 2 ** 32;
    return seconds * 1000 + view.getUint32(STATX_CTIME_AT + 8, true) / 1e6;
  }

  /**
   * The text of `path` if it is a regular file (not a link to one) of at most `maxBytes`.
   * `listedRegular`: a directory listing just said it is one, so the fstat is left out (one
   * system call of four, for loading thousands of files). Whatever stands there by now still
   * cannot make the read wait (O_NONBLOCK) or go past the cap: a FIFO swapped in reads as empty
   * or fails with EAGAIN, a device as too large, a directory fails with EISDIR.
   */
  read(path: string, listedRegular = false): FileRead {
    const c = libc();
    if (!this.#setPath(path)) {
      return { kind: "refused", reason: "cannot open it: its path is too long" };
    }
    const fd = c.open(this.#path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd < 0) {
      const code = errno();
      if (code === ENOENT) return { kind: "missing" };
      if (code === ELOOP) return { kind: "refused", reason: "it is a symbolic link" };
      return { kind: "refused", reason: `cannot open it: ${errnoText(code)}` };
    }
    try {
      if (!listedRegular) {
        const refused = this.#notRegularOrTooLarge(fd);
        if (refused !== null) return refused;
      }
      return this.#readAll(fd);
    } finally {
      c.close(fd);
    }
  }

  /** Why the file open at `fd` is not taken (its type or size), or null when it is. */
  #notRegularOrTooLarge(fd: number): FileRead | null {
    if (libc().fstat(fd, this.#stat) !== 0) {
      return { kind: "refused", reason: `cannot fstat it: ${errnoText(errno())}` };
    }
    const view = this.#statView;
    const type = view.getUint32(STAT.mode, true) & S_IFMT;
    if (type !== S_IFREG) {
      return { kind: "refused", reason: `it is ${TYPE_NAMES[type] ?? "not a regular file"}` };
    }
    // st_size as two 32-bit halves: no BigInt per file.
    const sizeHigh = view.getInt32(STAT.size + 4, true);
    if (sizeHigh !== 0 || view.getUint32(STAT.size, true) > this.#maxBytes) {
      return this.#tooLarge();
    }
    return null;
  }

  /** The text of the file open at `fd`, at most `maxBytes` of it, or why not. */
  #readAll(fd: number): FileRead {
    const c = libc();
    // The size may change after fstat (or the listing): read at most one byte past the cap. A
    // read of a regular file returns less than asked for only at its end, so a short one is last.
    let total = 0;
    while (total < this.#buffer.length) {
      const want = this.#buffer.length - total;
      const n = Number(
        c.read(
          fd,
          total === 0 ? this.#buffer : this.#buffer.subarray(total),
          total === 0 ? this.#bufferBytes : BigInt(want),
        ),
      );
      if (n < 0) {
        const code = errno();
        if (code === EINTR) continue;
        return { kind: "refused", reason: `cannot read it: ${errnoText(code)}` };
      }
      total += n;
      if (n < want) break;
    }
    if (total > this.#maxBytes) return this.#tooLarge();
    return { kind: "text", text: this.#decoder.decode(this.#buffer.subarray(0, total)) };
  }

  #tooLarge(): FileRead {
    return { kind: "refused", reason: `it is larger than ${this.#maxBytes} bytes` };
  }
}

/**
 * Opens the FIFO at `path` for reading and writing without blocking, and returns the descriptor,
 * or -1 when `path` is not a FIFO (checked on the descriptor) or cannot be opened. While the
 * descriptor is open the FIFO has a writer, so nobody's blocking open of it for reading waits.
 * `followLink` says whether a symbolic link at `path` is followed.
 */
export function holdFifo(path: string, followLink: boolean): number {
  const c = libc();
  const flags = O_RDWR | O_NONBLOCK | O_CLOEXEC | (followLink ? 0 : O_NOFOLLOW);
  const fd = c.open(cString(path), flags, 0);
  if (fd < 0) return -1;
  const stat = new Uint8Array(STAT_BYTES);
  const type = c.fstat(fd, stat) === 0
    ? new DataView(stat.buffer).getUint32(STAT.mode, true) & S_IFMT
    : 0;
  if (type === S_IFIFO) return fd;
  c.close(fd);
  return -1;
}

/** Closes a descriptor from {@link holdFifo}. */
export function releaseFifo(fd: number): void {
  libc().close(fd);
}
