/** What the memo tests keep: a MAC and small frames, each under its number. */
import type { MemoFrame } from "../../src/serve/memo_tables.ts";

/** INDEV's MAC. */
export const MAC = Uint8Array.of(0xfe, 0x54, 0, 0x77, 0, 1);
/** A one-byte frame `n`, its why `reply n`. */
export const frameOf = (n: number): MemoFrame => ({
  frame: Uint8Array.of(n),
  why: `reply ${n}`,
  wrote: { type: "OFFER", address: n, options: [53] },
  xidAt: 1,
  checksumAt: 2,
});
/** Keys match when equal. */
export const byKey = (key: number, wanted: number) => key === wanted;
