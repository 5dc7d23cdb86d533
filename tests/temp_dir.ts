/** A fresh temporary directory for a test, removed afterwards whatever the test does. */

/** Runs `body` with the path of a new temporary directory, then removes it and all it holds. */
export async function inTempDir(body: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
