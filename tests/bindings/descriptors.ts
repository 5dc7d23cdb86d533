/** What descriptors this test process holds open, from /proc/self/fd. */

/** How many descriptors of this process are open on `path`. */
export function descriptorsOn(path: string): number {
  let n = 0;
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (Deno.readLinkSync(`/proc/self/fd/${entry.name}`) === path) n++;
    } catch {
      // Closed meanwhile (the descriptor readDirSync itself used).
    }
  }
  return n;
}
