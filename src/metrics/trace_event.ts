/** One request from a bound TAP and what became of it: what the packet path hands `nfdhcpd trace`. */
import type { RefusalReason } from "../serve/decision.ts";

export interface TraceEvent {
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly tap: string;
  readonly protocol: string;
  readonly requestType: string;
  /** The frame's Ethernet source, when the queue gave one. */
  readonly mac: string | null;
  /** The client identifier the responder read (DHCPv4 option 61, DHCPv6 DUID) as colon-separated hex, or null. */
  readonly clientId: string | null;
  /** The option codes the client asked for (DHCPv4 option 55, DHCPv6 option 6), or null. */
  readonly requested: readonly number[] | null;
  readonly outcome: "reply" | "drop" | "pass" | "error";
  /** The reply's type, for `reply`. */
  readonly replyType: string | null;
  /** The address a DHCPv4 reply gave (0: none). */
  readonly address: number;
  /** The option codes the reply carries, for `reply`. */
  readonly options: readonly number[] | null;
  /** The refusal's kind, for `drop`. */
  readonly reason: RefusalReason | null;
  readonly why: string;
}
