/**
 * The memo's tables: one value per binding, and a few reply frames per binding, each kept under
 * the binding's TAP and checked against what it was built from. Generic: they know no protocol.
 */
import type { Binding } from "../bindings/binding.ts";
import { sameMac } from "../address.ts";
import type { ReplyReport } from "./packet_report.ts";

/**
 * One value per binding, valid while the binding, the config section and the INDEV MAC it was
 * built from are the same (bindings and configs are immutable and replaced on change, so identity
 * tells them). Kept under the binding's TAP, so that a change forgets that TAP's value alone.
 */
export class PerBindingMemo<V> {
  readonly #entries = new Map<
    string,
    {
      readonly binding: Binding;
      readonly settings: object;
      readonly mac: Uint8Array | null;
      readonly value: V;
    }
  >();
  /** Lookups answered from the memo: lets tests see the hit path taken. */
  hits = 0;

  /** The value for `binding`, built by `build` unless one from the same settings is kept. */
  get(binding: Binding, settings: object, mac: Uint8Array | null, build: () => V): V {
    const kept = this.#entries.get(binding.tap);
    if (
      kept !== undefined && kept.binding === binding && kept.settings === settings &&
      (mac === null ? kept.mac === null : kept.mac !== null && sameMac(kept.mac, mac))
    ) {
      this.hits++;
      return kept.value;
    }
    const value = build();
    this.#entries.set(binding.tap, { binding, settings, mac: mac?.slice() ?? null, value });
    return value;
  }

  /** Forgets the value kept for `tap`'s binding. */
  forget(tap: string): void {
    this.#entries.delete(tap);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** A reply frame kept for reuse, with where its transaction id and UDP checksum sit. */
export interface MemoFrame {
  readonly frame: Uint8Array;
  readonly why: string;
  readonly wrote: ReplyReport;
  /** What the reply builder says for the debug log (what it left out to fit), if anything. */
  readonly debug?: string;
  readonly xidAt: number;
  readonly checksumAt: number;
}

/** The most reply frames kept per binding: a MACSPOOF VM varying its request cannot grow it more. */
const FRAMES_PER_BINDING = 8;

interface KeptFrame<K> extends MemoFrame {
  readonly key: K;
  readonly settings: object;
  readonly mac: Uint8Array;
}

/**
 * Reply frames per binding, each under a key that the code reading the request derives from
 * everything the reply is built from, and valid for the settings object and INDEV MAC it was
 * built with. A binding has a few (a client alternates OFFER and ACK), so they are scanned.
 */
export class FrameMemo<K> {
  readonly #entries = new Map<string, { readonly binding: Binding; frames: KeptFrame<K>[] }>();
  hits = 0;

  /** The frame kept for `binding` whose key `matches`, built with `settings` and `mac`. */
  find<F>(
    binding: Binding,
    settings: object,
    mac: Uint8Array,
    facts: F,
    matches: (key: K, facts: F) => boolean,
  ): MemoFrame | null {
    const entries = this.#entries.get(binding.tap);
    if (entries === undefined || entries.binding !== binding) return null;
    for (const kept of entries.frames) {
      if (kept.settings === settings && sameMac(kept.mac, mac) && matches(kept.key, facts)) {
        this.hits++;
        return kept;
      }
    }
    return null;
  }

  /** Keeps `entry` under `key`; frames built with other settings or another MAC are dropped. */
  keep(binding: Binding, key: K, settings: object, mac: Uint8Array, entry: MemoFrame): void {
    const entries = this.#entries.get(binding.tap);
    const current = (entries?.binding === binding ? entries.frames : []).filter((kept) =>
      kept.settings === settings && sameMac(kept.mac, mac)
    );
    if (current.length >= FRAMES_PER_BINDING) current.shift();
    const { frame, why, wrote, xidAt, checksumAt, debug } = entry;
    current.push({
      key,
      settings,
      mac: mac.slice(),
      frame: frame.slice(),
      why,
      wrote,
      xidAt,
      checksumAt,
      ...(debug === undefined ? {} : { debug }),
    });
    this.#entries.set(binding.tap, { binding, frames: current });
  }

  /** Forgets the frames kept for `tap`'s binding. */
  forget(tap: string): void {
    this.#entries.delete(tap);
  }

  clear(): void {
    this.#entries.clear();
  }
}
