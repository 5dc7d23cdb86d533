/**
 * The arrival planner: what the daemon does when a VM's surroundings change (a TAP appeared, left
 * or came up; a binding was added, changed or removed; the configuration was reloaded). Pure: the
 * event and the state in, the actions out; the daemon carries them out (see announcer.ts).
 */
import type { Binding } from "../bindings/binding.ts";
import type { Config } from "../config/types.ts";
import { routerAddressOf } from "../serve/gratuitous_arp.ts";
import { isQueued } from "../serve/services.ts";

/** What changed. */
export type ArrivalEvent =
  /** Links changed: a TAP appeared, left, came up or went down (the kernel does not say which). */
  | { readonly kind: "links" }
  /** `tap`'s binding was added or changed (`binding`), or removed (undefined). */
  | { readonly kind: "binding"; readonly tap: string; readonly binding: Binding | undefined }
  /** The configuration was read again. */
  | { readonly kind: "reload" };

/** What the planner reads of the daemon. */
export interface ArrivalState {
  readonly config: Config;
  /** TAPs whose binding waits to be announced: its TAP was missing, or refused a frame (down). */
  readonly waiting: ReadonlySet<string>;
  readonly binding: (tap: string) => Binding | undefined;
}

/**
 * What to do. The sends go into the binding's TAP; one that cannot go (the TAP or INDEV missing,
 * the TAP down) puts the binding back among the waiting, for the next `links` event.
 */
export type ArrivalAction =
  /** Forget the replies kept for `tap`'s binding (and nothing else: no other depends on them). */
  | { readonly kind: "forget"; readonly tap: string }
  /** Forget every kept reply: the settings they were built from may have changed. */
  | { readonly kind: "forget-all" }
  /** `tap` no longer waits (it is being announced now, or has no binding any more). */
  | { readonly kind: "unwait"; readonly tap: string }
  /** An unsolicited RA, the NAs for the router's IPv6 addresses, a gratuitous ARP for IPv4's. */
  | { readonly kind: "send-ra" | "send-na" | "send-arp"; readonly binding: Binding };

/** The actions for `event` in `state`, in the order to carry them out. */
export function planArrival(event: ArrivalEvent, state: ArrivalState): ArrivalAction[] {
  switch (event.kind) {
    case "reload":
      return [{ kind: "forget-all" }];
    case "binding": {
      const actions: ArrivalAction[] = [
        { kind: "forget", tap: event.tap },
        { kind: "unwait", tap: event.tap },
      ];
      if (event.binding !== undefined) actions.push(...arrival(event.binding, state.config));
      return actions;
    }
    case "links": {
      // Only the waiting are retried: a binding whose TAP was there and took its frames has been
      // announced, and a link event says nothing about which TAP it was.
      const actions: ArrivalAction[] = [];
      for (const tap of state.waiting) {
        const binding = state.binding(tap);
        actions.push({ kind: "unwait", tap });
        if (binding !== undefined) actions.push(...arrival(binding, state.config));
      }
      return actions;
    }
  }
}

/**
 * A VM arrived here (its binding appeared or changed, or its TAP appeared: a live migration ends
 * with both): an RA, and the router's addresses announced at once, so that it drops the old
 * host's MAC from its neighbour cache without waiting; each only for a service the configuration
 * queues and the binding uses.
 */
function arrival(binding: Binding, config: Config): ArrivalAction[] {
  const actions: ArrivalAction[] = [];
  if (binding.subnet6 !== null) {
    if (isQueued("rs", config)) actions.push({ kind: "send-ra", binding });
    if (isQueued("ns", config)) actions.push({ kind: "send-na", binding });
  }
  if (isQueued("dhcp4", config) && routerAddressOf(binding, config.dhcp) !== null) {
    actions.push({ kind: "send-arp", binding });
  }
  return actions;
}
