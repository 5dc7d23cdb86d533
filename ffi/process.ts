/** This process as a program: its command line, replacing its image (execve), its stdio, other pids. */
import { EPERM, O_CLOEXEC, O_RDWR } from "./libc.ts";
import { callError, cString, errno, libc } from "./native.ts";
import { listProcDir, readProcFile, readProcLink } from "./procfs.ts";

/** How to start this very program again: the executable and the arguments after argv[0]. */
export interface CommandLine {
  readonly program: string;
  readonly args: readonly string[];
}

/**
 * The command line that started this process, from /proc/self/cmdline, so re-running it works the
 * same for `deno run [flags] bundle.js [args]` (deno's flags included) and for a `deno compile`
 * binary (whose embedded flags come back by themselves). The program is `Deno.execPath()`, an
 * absolute path, since argv[0] may be relative or a name found on PATH.
 */
export function selfCommandLine(): CommandLine {
  const raw = readProcFile("/proc/self/cmdline");
  if (raw === null) throw new Error("Cannot read /proc/self/cmdline: is /proc mounted?");
  const argv = raw.split("\0");
  if (argv.at(-1) === "") argv.pop();
  return { program: Deno.execPath(), args: argv.slice(1) };
}

/** The absolute path of `name` on PATH (or in the usual system directories), or null. */
export function findProgram(name: string): string | null {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d.startsWith("/"));
  for (const dir of [...dirs, "/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
    const path = `${dir}/${name}`;
    try {
      const st = Deno.statSync(path);
      if (st.isFile && ((st.mode ?? 0) & 0o111) !== 0) return path;
    } catch {
      // not there: try the next directory
    }
  }
  return null;
}

/** A NULL-terminated `char *[]` and the strings it points to (kept alive with it). */
function cStringArray(items: readonly string[]): { array: Uint8Array; keep: Uint8Array[] } {
  const keep = items.map(cString);
  const pointers = new BigUint64Array(items.length + 1);
  keep.forEach((s, i) => {
    pointers[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(s)));
  });
  return { array: new Uint8Array(pointers.buffer), keep };
}

/**
 * Replaces this process's image with `path` (execve): same pid, every other thread gone, open
 * descriptors kept unless close-on-exec (Deno's and ours all are). Returns only by throwing.
 */
export function execve(
  path: string,
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
): never {
  const args = cStringArray(argv);
  const envp = cStringArray(Object.entries(env).map(([k, v]) => `${k}=${v}`));
  // The kernel reads the strings during this synchronous call, while `args` and `envp` hold them.
  libc().execve(cString(path), args.array, envp.array);
  throw callError(`execve(${path})`, errno());
}

/**
 * Points stdin, stdout and stderr at /dev/null, as a daemon does once it has told its starter that
 * it is ready: a later write must not fail (EPIPE) because the starter and its pipe are gone. Deno
 * keeps its own duplicates of the stdio descriptors, so every descriptor that refers to what one of
 * 0, 1 and 2 referred to is redirected too (they stay valid, now on /dev/null), and the starter sees
 * end-of-file on its pipe.
 */
export function redirectStdioToDevNull(): void {
  const link = (fd: number | string) => readProcLink(`/proc/self/fd/${fd}`);
  const stdio = new Set([0, 1, 2].map(link).filter((l) => l !== null && l !== "/dev/null"));
  const targets = new Set([0, 1, 2]);
  for (const name of listProcDir("/proc/self/fd") ?? []) {
    const l = link(name);
    if (l !== null && stdio.has(l)) targets.add(Number(name));
  }
  const c = libc();
  const fd = c.open(cString("/dev/null"), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) throw callError("open(/dev/null)");
  try {
    for (const target of targets) {
      if (target !== fd && c.dup2(fd, target) < 0) throw callError(`dup2(/dev/null, ${target})`);
    }
  } finally {
    c.close(fd);
  }
}

/** True when a process `pid` exists (kill(pid, 0); EPERM means it exists but is not ours). */
export function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (libc().kill(pid, 0) === 0) return true;
  return errno() === EPERM;
}
