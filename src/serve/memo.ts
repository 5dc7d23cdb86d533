/**
 * The reply memo: replies and reply parts kept between packets, under the TAP of the binding they
 * were built for. The daemon owns one, passes it to every responder in the context, clears it on
 * reload and forgets one TAP's entries when that TAP's binding changes or goes (the others keep
 * theirs); every entry also records what it was built from (the binding, the settings, INDEV's
 * MAC), so a stale one is never used even before it is forgotten.
 */
import type { Dhcp4MemoKey } from "./dhcp4_facts.ts";
import type { Dhcp4BindingOptions } from "./dhcp4_binding_options.ts";
import { FrameMemo, PerBindingMemo } from "./memo_tables.ts";

/** Everything the responders memoize, one table per kind of value. */
export class ReplyMemo {
  /** DHCPv4 option values that depend only on the binding and the [dhcp] section. */
  readonly dhcp4Options = new PerBindingMemo<Dhcp4BindingOptions>();
  /** Whole DHCPv4 reply frames, keyed by the request's facts (see `dhcp4MemoKey`). */
  readonly dhcp4Replies = new FrameMemo<Dhcp4MemoKey>();
  /** The unsolicited RA frame of each binding, for the [ipv6] section and INDEV's MAC. */
  readonly periodicAdverts = new PerBindingMemo<Uint8Array | null>();
  /** The binding's search domains that can be encoded as DNS names, for the [ipv6] section. */
  readonly searchDomains = new PerBindingMemo<readonly string[]>();

  /**
   * Forgets what was kept for `tap`'s binding: the daemon calls it when that binding changes or
   * goes. Nothing kept for one binding is built from another's, so no other entry depends on it.
   */
  forget(tap: string): void {
    this.dhcp4Options.forget(tap);
    this.dhcp4Replies.forget(tap);
    this.periodicAdverts.forget(tap);
    this.searchDomains.forget(tap);
  }

  /** Forgets everything: the daemon calls it on reload. */
  clear(): void {
    this.dhcp4Options.clear();
    this.dhcp4Replies.clear();
    this.periodicAdverts.clear();
    this.searchDomains.clear();
  }
}
