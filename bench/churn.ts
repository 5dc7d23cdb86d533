/**
 * The churn point's writer: binding files rewritten `hz` times a second in all, in turn (each
 * one's host name alternating, its address and MAC kept), as hypervisor tools that keep touching
 * files do, while the others are served: what binding changes cost the VMs whose bindings did
 * not change. Each file is rewritten less often than the store's settle time (0.4 s) when there
 * are at least `hz / 2` of them, so every change is read and forgets that VM's replies; a single
 * file rewritten 10 times a second would never settle, and never be read.
 */

/** Starts rewriting `files` (path and text) in turn; the returned function stops it. */
export function startChurn(
  files: ReadonlyArray<{ readonly path: string; readonly text: string }>,
  hz = 10,
): () => Promise<void> {
  let n = 0;
  let writing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    const { path, text } = files[n % files.length]!;
    const round = Math.floor(n / files.length);
    n++;
    const next = text.replace(
      /^HOSTNAME=(.*)$/m,
      (_, name) => `HOSTNAME=${name}${round % 2 ? "" : "-b"}`,
    );
    writing = writing.then(() => Deno.writeTextFile(path, next));
  }, 1000 / hz);
  return async () => {
    clearInterval(timer);
    await writing;
    for (const { path, text } of files) await Deno.writeTextFile(path, text);
  };
}
