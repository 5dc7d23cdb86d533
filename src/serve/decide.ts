/**
 * The decision for one IP packet from a bound TAP: its service from the table, then that
 * service's responder, and the MTU check every reply passes. The daemon's packet path and
 * `nfdhcpd replay` both take it from here, so a replayed capture is answered exactly as the
 * daemon answers it.
 */
import type { Binding } from "../bindings/binding.ts";
import type { Config } from "../config/types.ts";
import { ETHERNET_HEADER_LENGTH, type FrameAllocator } from "../wire/ethernet.ts";
import { type Decision, type InterfaceInfo, refuse, replyMtu } from "./decision.ts";
import type { ReplyMemo } from "./memo.ts";
import { OTHER, type RequestReport } from "./packet_report.ts";
import { responderFor, type Unserved } from "./responder.ts";
import { type Service, SERVICES } from "./services.ts";

/** What deciding a packet needs from the edges: the daemon's, or replay's own. */
export interface DecisionDeps {
  readonly config: () => Config;
  readonly interfaceInfo: (name: string) => InterfaceInfo | undefined;
  readonly memo: ReplyMemo;
  readonly frames: FrameAllocator;
}

/** The service that takes an IP packet, or why none does (told from its headers alone). */
export function serviceFor(packet: Uint8Array): Service | Unserved {
  return responderFor(SERVICES, packet);
}

/** The name of the service that takes an IP packet, or null for anything we do not serve. */
export function classify(packet: Uint8Array): string | null {
  const row = serviceFor(packet);
  return "responder" in row ? row.name : null;
}

/** The service a packet's counters are labelled with, and the type its headers alone tell. */
export function labelsOf(row: Service | Unserved): { protocol: string; type: string } {
  return "responder" in row ? { protocol: row.name, type: row.requestType } : UNSERVED_LABELS;
}

const UNSERVED_LABELS = Object.freeze({ protocol: OTHER, type: OTHER });

/**
 * The decision for one IP packet from a bound TAP. `row` is the packet's `serviceFor()`; `report`
 * is reset here and filled by the responder with what it read.
 */
export function decidePacket(
  packet: { readonly payload: Uint8Array; hwSource(): Uint8Array | null },
  binding: Binding,
  deps: DecisionDeps,
  now: number,
  row: Service | Unserved,
  report: RequestReport,
): Decision {
  report.reset(labelsOf(row).type);
  // The firewall rules queue only what we serve, but a bound VM must not reach whatever else
  // listens on the host even if they match more: what we cannot tell apart is dropped.
  if (!("responder" in row)) return refuse(row.reason, row.why);
  const config = deps.config();
  // Deliberate: the operator turned the service off, so the request goes on to the host.
  if (!row.enabled(config)) return { kind: "ignore", why: row.disabledWhy };
  const indev = deps.interfaceInfo(binding.indev);
  if (indev === undefined) {
    return refuse("no-interface", `INDEV ${binding.indev} of ${binding.tap} does not exist`);
  }
  const decision = row.responder.answer(packet.payload, {
    binding,
    config,
    indev,
    hwSource: packet.hwSource(),
    now,
    memo: deps.memo,
    frames: deps.frames,
    report,
  });
  return fitsLink(decision, binding, indev);
}

/** The one place every reply passes: a frame the link cannot carry is never sent. */
function fitsLink(decision: Decision, binding: Binding, iface: InterfaceInfo): Decision {
  if (decision.kind !== "reply") return decision;
  const mtu = replyMtu(binding.mtu, iface);
  const size = decision.frame.length - ETHERNET_HEADER_LENGTH;
  if (size <= mtu) return decision;
  return refuse("too-large", `${decision.why}: reply of ${size} bytes exceeds the MTU ${mtu}`);
}
