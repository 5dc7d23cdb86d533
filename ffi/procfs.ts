/** Reads /proc through libc: Deno 2 demands --allow-all for any path under /proc/self or /proc/PID. */
import { ENOENT, ESRCH, O_CLOEXEC, O_RDONLY } from "./libc.ts";
import { listDirectory } from "./directory.ts";
import { callError, cString, errno, libc } from "./native.ts";

const decoder = new TextDecoder();

function gone(code: number): boolean {
  return code === ENOENT || code === ESRCH;
}

/** The text of a /proc file (read to its end), or null when it (or its process) is gone. */
export function readProcFile(path: string): string | null {
  const c = libc();
  const fd = c.open(cString(path), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    const code = errno();
    if (gone(code)) return null;
    throw callError(`open(${path})`, code);
  }
  try {
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = Number(c.read(fd, buf, BigInt(buf.length)));
      if (n < 0) {
        const code = errno();
        if (gone(code)) return null;
        throw callError(`read(${path})`, code);
      }
      if (n === 0) break;
      chunks.push(buf.slice(0, n));
    }
    const all = new Uint8Array(chunks.reduce((sum, ch) => sum + ch.length, 0));
    let at = 0;
    for (const ch of chunks) {
      all.set(ch, at);
      at += ch.length;
    }
    return decoder.decode(all);
  } finally {
    c.close(fd);
  }
}

/** The entry names of a /proc directory, without `.` and `..`; null when it is gone. */
export function listProcDir(path: string): string[] | null {
  return listDirectory(path)?.map((entry) => entry.name) ?? null;
}

/** Where a /proc symbolic link points (e.g. /proc/self/fd/2 → `pipe:[123]`); null when gone. */
export function readProcLink(path: string): string | null {
  const buf = new Uint8Array(4096);
  const n = Number(libc().readlink(cString(path), buf, BigInt(buf.length)));
  if (n < 0) {
    const code = errno();
    if (gone(code)) return null;
    throw callError(`readlink(${path})`, code);
  }
  return decoder.decode(buf.subarray(0, n));
}
