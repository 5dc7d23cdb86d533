/**
 * Listing a directory with libc's readdir: the entries Deno.readDirSync gives, at a fraction of
 * its cost for thousands of files (it builds each entry in Rust and hands it over as an object),
 * and under /proc, where Deno demands --allow-all.
 */
import { ENOENT, ESRCH } from "./libc.ts";
import { callError, cString, errno, libc } from "./native.ts";

/** Offsets in glibc's struct dirent (64-bit: ino, off, reclen): d_type, then d_name. */
const DIRENT_TYPE = 18;
const DIRENT_NAME = 19;
const DT_UNKNOWN = 0;
const DT_DIR = 4;
const DT_REG = 8;
const DT_LNK = 10;

/**
 * The entries of the directory at `path`, without `.` and `..`, typed as the file system says
 * (an entry of unknown type, on file systems that give none, is lstat'ed); null when it is gone
 * (or, under /proc, its process is). Throws an Error naming the call for any other failure.
 */
export function listDirectory(path: string): Deno.DirEntry[] | null {
  const c = libc();
  const dir = c.opendir(cString(path));
  if (dir === null) {
    const code = errno();
    if (code === ENOENT || code === ESRCH) return null;
    throw callError(`opendir(${path})`, code);
  }
  try {
    const entries: Deno.DirEntry[] = [];
    for (let entry = c.readdir(dir); entry !== null; entry = c.readdir(dir)) {
      const name = Deno.UnsafePointerView.getCString(entry, DIRENT_NAME);
      if (name === "." || name === "..") continue;
      let type = new Deno.UnsafePointerView(entry).getUint8(DIRENT_TYPE);
      if (type === DT_UNKNOWN) type = lstatType(`${path}/${name}`);
      entries.push({
        name,
        isFile: type === DT_REG,
        isDirectory: type === DT_DIR,
        isSymlink: type === DT_LNK,
      });
    }
    return entries;
  } finally {
    c.closedir(dir);
  }
}

/** The d_type of what stands at `path` now (DT_UNKNOWN when it is gone or of another type). */
function lstatType(path: string): number {
  try {
    const info = Deno.lstatSync(path);
    return info.isFile ? DT_REG : info.isDirectory ? DT_DIR : info.isSymlink ? DT_LNK : DT_UNKNOWN;
  } catch {
    return DT_UNKNOWN;
  }
}
