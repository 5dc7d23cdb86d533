/** The result of parsing untrusted bytes: a value, or a clear reason why not. */

/** Thrown inside a parser when input is malformed; `guard` turns it into a `Parsed` error. */
export class MalformedPacket extends Error {
  override name = "MalformedPacket";
}

/** A parse result: either the value or the reason the input was rejected. */
export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

/** Runs `parse`, turning a thrown `MalformedPacket` (or RangeError from a view) into an error result. */
export function guard<T>(what: string, parse: () => T): Parsed<T> {
  try {
    return { ok: true, value: parse() };
  } catch (e) {
    if (e instanceof MalformedPacket || e instanceof RangeError) {
      return { ok: false, error: `Cannot parse ${what}: ${e.message}` };
    }
    throw e;
  }
}

/** Throws `MalformedPacket` unless `cond` holds. */
export function need(cond: boolean, reason: string): asserts cond {
  if (!cond) throw new MalformedPacket(reason);
}
