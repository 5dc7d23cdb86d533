/** What a responder decided for one queued request; the dispatcher turns it into a verdict. */
import type { ReplyReport } from "./packet_report.ts";

/** The interface facts a responder needs; they come from the FFI edge's cache. */
export interface InterfaceInfo {
  /** Name of the logical in-device (INDEV), e.g. the TAP or the bridge. */
  readonly name: string;
  /** MAC of INDEV: the source MAC of our replies. */
  readonly mac: Uint8Array;
  /** INDEV's MTU when the edge knows it; replies never exceed it (1500 when unknown). */
  readonly mtu?: number;
}

/**
 * Why a request from a bound TAP was refused: a small fixed set, so an operator's tool can count
 * refusals by kind; the Decision's `why` adds the detail (addresses, MACs, parser errors).
 *
 * - `malformed`: does not parse, or fails a validity check of its protocol (checksum, hop limit,
 *   option lengths, an IPv6 extension header chain that is cut short or too long).
 * - `fragment`: an IPv4 fragment or an IPv6 Fragment header; never reassembled, never served.
 * - `unsupported`: reached the queue but is not a request we serve (another protocol, port or
 *   ICMPv6 type, a relayed DHCPv6 message, plain BOOTP, a server message).
 * - `spoofed-mac`: a MAC the packet carries (Ethernet source, chaddr, link-layer address option)
 *   is not the binding's, and the binding has no MACSPOOF. A DHCPv6 DUID is not a source: a
 *   client keeps one DUID on all its interfaces (RFC 8415 section 11).
 * - `spoofed-address`: an IPv6 source address made from another MAC than the binding's.
 * - `other-server`: addressed to another DHCP server (its server identifier is not ours).
 * - `no-address`: the binding has nothing to give (no IP, no SUBNET6, no server address).
 * - `not-ours`: asks for an address we do not answer for (an NS for the VM's own address...).
 * - `no-reply`: the protocol wants no reply (RELEASE, DECLINE, a Confirm without addresses).
 * - `too-large`: the reply would not fit the link's MTU.
 * - `no-interface`: the binding's INDEV does not exist.
 */
export type RefusalReason =
  | "malformed"
  | "fragment"
  | "unsupported"
  | "spoofed-mac"
  | "spoofed-address"
  | "other-server"
  | "no-address"
  | "not-ours"
  | "no-reply"
  | "too-large"
  | "no-interface";

/**
 * - `ignore`: the packet goes on (verdict ACCEPT). From a bound TAP only in two deliberate
 *   cases: the service is disabled in the config (the operator turned it off, so whatever else
 *   listens may answer), and an NS on a bridge shared by several VMs for an address that is not
 *   the router's (its owner, a neighbour VM, answers it). Everything else from a bound TAP is
 *   answered or dropped, never passed on.
 * - `drop`: ours, no reply; `reason` says which kind of refusal, `why` the detail. Verdict DROP.
 * - `reply`: ours; `frame` (a whole Ethernet frame) is sent into the TAP, then verdict DROP;
 *   `debug`, when set, is logged at debug level beside it.
 *   `wrote` says what the frame carries (its type, address and option codes), so that nothing
 *   after the responder reads the frame again.
 */
export type Decision =
  | { readonly kind: "ignore"; readonly why: string }
  | { readonly kind: "drop"; readonly reason: RefusalReason; readonly why: string }
  | {
    readonly kind: "reply";
    readonly frame: Uint8Array;
    readonly why: string;
    /** More for the debug log only (what a DHCPv4 reply left out to fit), if anything. */
    readonly debug?: string;
    readonly wrote: ReplyReport;
  };

/** A `drop` decision. */
export function refuse(reason: RefusalReason, why: string): Decision {
  return { kind: "drop", reason, why };
}

/** The most an Ethernet link carries when INDEV's MTU is unknown. */
export const DEFAULT_MTU = 1500;

/**
 * The largest IP packet a reply may be: INDEV's MTU (1500 when unknown), and no more than the
 * binding's MTU, which the VM is told to use and so sets on its own interface.
 */
export function replyMtu(mtu: number | null, indev: InterfaceInfo): number {
  return Math.min(indev.mtu ?? DEFAULT_MTU, mtu ?? Infinity);
}
