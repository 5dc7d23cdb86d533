/**
 * Carries out the arrival planner's actions: forgets kept replies, and sends the unsolicited RA,
 * NAs and gratuitous ARP into a VM's TAP, keeping the bindings that could not be announced (TAP or
 * INDEV missing, TAP down) waiting for the next link event. Also sends the RA timer's periodic RAs.
 */
import { errorMessage } from "../error_message.ts";
import type { InterfaceEntry } from "../../ffi/interfaces.ts";
import type { Binding } from "../bindings/binding.ts";
import type { Config } from "../config/types.ts";
import { gratuitousArp } from "../serve/gratuitous_arp.ts";
import type { ReplyMemo } from "../serve/memo.ts";
import { periodicAdvert } from "../serve/router_advert.ts";
import { isQueued } from "../serve/services.ts";
import { unsolicitedNeighbourAdverts } from "../serve/unsolicited.ts";
import type { ArrivalAction } from "./arrival.ts";
import type { Logger } from "./log.ts";

/** What the announcer needs from the daemon's parts. */
export interface AnnouncerDeps {
  /** The interface a binding is served on (its TAP, or the INDEV a VM-named file names). */
  readonly interfaceOf: (binding: Binding) => string;
  readonly interfaceByName: (name: string) => InterfaceEntry | undefined;
  /** Sends a frame into an interface; the reason it could not, or null. */
  readonly send: (ifindex: number, frame: Uint8Array) => string | null;
  readonly config: () => Config;
  readonly memo: ReplyMemo;
  readonly log: Logger;
}

/** The binding's TAP and INDEV, both present. */
interface Link {
  readonly tap: InterfaceEntry;
  readonly indev: InterfaceEntry;
}

export class Announcer {
  /**
   * Bindings whose TAP (or INDEV) does not exist yet, or whose TAP refused their last RA, NA or
   * ARP (down: a VM not started yet): each link event (the TAP appearing, or coming up) retries them.
   */
  readonly waiting = new Set<string>();

  constructor(private readonly deps: AnnouncerDeps) {}

  /** Carries out `actions` in order; a send that fails is logged and the binding waits. */
  carryOut(actions: readonly ArrivalAction[]): void {
    for (const action of actions) {
      switch (action.kind) {
        case "forget":
          this.deps.memo.forget(action.tap);
          break;
        case "forget-all":
          this.deps.memo.clear();
          break;
        case "unwait":
          this.waiting.delete(action.tap);
          break;
        case "send-ra":
          this.advertise(action.binding);
          break;
        case "send-na":
          this.#guarded("na", action.binding, () => this.#announceRouter(action.binding));
          break;
        case "send-arp":
          this.#guarded("arp", action.binding, () => this.#announceGateway(action.binding));
          break;
      }
    }
  }

  /** Sends one unsolicited RA into the binding's TAP; false when nothing was sent. */
  advertise(binding: Binding): boolean {
    return this.#guarded("ra", binding, () => {
      const config = this.deps.config();
      if (!isQueued("rs", config)) return false;
      const link = this.#linkOf(binding);
      if (link === null) return false;
      const frame = periodicAdvert(binding, config.ipv6, link.indev, this.deps.memo);
      return frame !== null && this.#sendUnsolicited(binding, link.tap, frame, "RA");
    });
  }

  /** Runs `send`; a throw is an error in the log (limited per kind), never the caller's. */
  #guarded(kind: string, binding: Binding, send: () => boolean): boolean {
    try {
      return send();
    } catch (e) {
      this.deps.log.limited(
        "error",
        kind,
        `Cannot send ${kind.toUpperCase()} into ${binding.tap}: ${errorMessage(e)}`,
      );
      return false;
    }
  }

  /** Sends the unsolicited NAs of {@link unsolicitedNeighbourAdverts} into the binding's TAP. */
  #announceRouter(binding: Binding): boolean {
    const link = this.#linkOf(binding);
    if (link === null) return false;
    for (const frame of unsolicitedNeighbourAdverts(binding, link.indev)) {
      if (!this.#sendUnsolicited(binding, link.tap, frame, "NA")) return false;
    }
    return true;
  }

  /** Sends the gratuitous ARP of {@link gratuitousArp} into the binding's TAP. */
  #announceGateway(binding: Binding): boolean {
    const link = this.#linkOf(binding);
    if (link === null) return false;
    const frame = gratuitousArp(binding, this.deps.config().dhcp, link.indev);
    return frame !== null && this.#sendUnsolicited(binding, link.tap, frame, "ARP");
  }

  /** The binding's TAP and INDEV; null (and the binding waits for a link event) while one is missing. */
  #linkOf(binding: Binding): Link | null {
    const tap = this.deps.interfaceByName(this.deps.interfaceOf(binding));
    const indev = this.deps.interfaceByName(binding.indev);
    if (tap === undefined || indev === undefined) {
      this.waiting.add(binding.tap);
      return null;
    }
    return { tap, indev };
  }

  /**
   * Sends one unsolicited frame into `tap`, with a debug line saying how it went. A TAP whose VM
   * is not running refuses frames (ENETDOWN while it is down, ENOBUFS): normal, so not a warning,
   * but the binding waits for the next link event (the TAP coming up) to be announced again.
   */
  #sendUnsolicited(
    binding: Binding,
    tap: InterfaceEntry,
    frame: Uint8Array,
    what: string,
  ): boolean {
    const error = this.deps.send(tap.ifindex, frame);
    this.deps.log.debug(`Unsolicited ${what} into ${tap.name}: ${error ?? "sent"}`);
    if (error !== null) this.waiting.add(binding.tap);
    return error === null;
  }
}
