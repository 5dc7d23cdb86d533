/** Bench cleanup: a last-in-first-out list of undo steps, run once at the end or on interruption. */

const cleanups: Array<() => Promise<void>> = [];
let cleaning: Promise<void> | null = null;

/** Registers `f` to run at cleanup, before everything registered earlier. */
export function onCleanup(f: () => Promise<void>): void {
  cleanups.push(f);
}

/** Registers `f` to run at cleanup, after everything registered so far. */
export function onCleanupLast(f: () => Promise<void>): void {
  cleanups.unshift(f);
}

/** Unregisters `f` (it has been run already). */
export function dropCleanup(f: () => Promise<void>): void {
  const i = cleanups.indexOf(f);
  if (i >= 0) cleanups.splice(i, 1);
}

/** Runs every registered step, newest first, reporting and skipping failures; runs only once. */
export function cleanupAll(): Promise<void> {
  if (!cleaning) {
    cleaning = (async () => {
      while (cleanups.length) {
        const f = cleanups.pop()!;
        try {
          await f();
        } catch (e) {
          console.error(`cleanup: ${e instanceof Error ? e.message : e}`);
        }
      }
    })();
  }
  return cleaning;
}
