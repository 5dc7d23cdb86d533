/** The text of anything thrown, for error messages. */

/** `e.message` for an Error, else `e` as text. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
