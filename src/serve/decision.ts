/** What a responder decided for one queued request; the dispatcher turns it into a verdict. */

/** The interface facts a responder needs; they come from the FFI edge's cache. */
export interface InterfaceInfo {
  /** Name of the logical in-device (INDEV), e.g. the TAP or the bridge. */
  readonly name: string;
  /** MAC of INDEV: the source MAC of our replies. */
  readonly mac: Uint8Array;
}

/**
 * - `ignore`: not ours; the packet goes on (verdict ACCEPT).
 * - `drop`: ours, no reply (spoofed MAC, RELEASE, no IP...); verdict DROP.
 * - `reply`: ours; `frame` (a whole Ethernet frame) is sent into the TAP, then verdict DROP.
 */
export type Decision =
  | { readonly kind: "ignore"; readonly why: string }
  | { readonly kind: "drop"; readonly why: string }
  | { readonly kind: "reply"; readonly frame: Uint8Array; readonly why: string };
