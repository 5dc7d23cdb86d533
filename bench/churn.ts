/**
 * The churn point's writer: one VM's binding file rewritten `hz` times a second (its host name
 * alternating, its address and MAC kept), as a hypervisor tool that keeps touching one file does,
 * while the others are served: what a binding change costs the VMs whose bindings did not change.
 */

/** Starts rewriting `path` (whose text is `text`); the returned function stops it. */
export function startChurn(path: string, text: string, hz = 10): () => Promise<void> {
  let n = 0;
  let writing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    n++;
    const next = text.replace(
      /^HOSTNAME=(.*)$/m,
      (_, name) => `HOSTNAME=${name}${n % 2 ? "-b" : ""}`,
    );
    writing = writing.then(() => Deno.writeTextFile(path, next));
  }, 1000 / hz);
  return async () => {
    clearInterval(timer);
    await writing;
    await Deno.writeTextFile(path, text);
  };
}
