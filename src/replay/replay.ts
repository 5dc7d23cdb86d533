/**
 * Replays captured packets through the daemon's own decision (`decidePacket`): offline, with a
 * memo and frame allocator of its own, the binding picked by the caller and a given INDEV MAC.
 */
import { formatMac } from "../address.ts";
import type { Binding } from "../bindings/binding.ts";
import type { Config } from "../config/types.ts";
import type { CapturedPacket, CaptureTime } from "../pcap/capture.ts";
import { ipPacketOf } from "../pcap/link.ts";
import { decidePacket, serviceFor } from "../serve/decide.ts";
import type { RefusalReason } from "../serve/decision.ts";
import { ReplyMemo } from "../serve/memo.ts";
import { RequestReport } from "../serve/packet_report.ts";
import { FrameAllocator } from "../wire/ethernet.ts";
import { describePacket, describeRequest, type PacketSummary } from "./describe.ts";

/** What a replay runs with besides the packets. */
export interface ReplaySettings {
  readonly config: Config;
  /** The binding a packet from `mac` (null: the capture has no link layer) is decided with, or why none. */
  readonly bindingFor: (mac: Uint8Array | null) => Binding | string;
  /** INDEV's MAC: the source of every reply. */
  readonly indevMac: Uint8Array;
  /** Also report packets that are not requests we serve (replies, other traffic). */
  readonly all: boolean;
}

/** One replayed packet: the request, and what the daemon would do with it. */
export interface ReplayRecord {
  readonly number: number;
  readonly time: CaptureTime | null;
  /** The frame's source MAC, when the link layer has one. */
  readonly mac: string | null;
  /** Null when the frame holds no IP packet. */
  readonly request: PacketSummary | null;
  /** The binding's TAP, when one was found. */
  readonly tap: string | null;
  /**
   * The daemon's decision, or `skip` for what it never sees as a request from a VM (shown with
   * `all` only): a frame without IP, a packet this host sent, a packet of a kind we do not serve.
   */
  readonly kind: "reply" | "drop" | "ignore" | "skip";
  readonly reason: RefusalReason | null;
  readonly why: string;
  readonly reply: PacketSummary | null;
  /** What the responder read and wrote (see packet_report.ts), for what a responder decided. */
  readonly report: ExchangeReport | null;
}

/** The responder's own account of a request and its reply, as plain values. */
export interface ExchangeReport {
  /** The request's type as the counters label it ("DISCOVER", "SOLICIT", "RS"...). */
  readonly request: string;
  readonly clientId: string | null;
  readonly requested: readonly number[] | null;
  /** The reply's type and the codes of the options it carries, in order; null without a reply. */
  readonly reply: string | null;
  readonly sent: readonly number[] | null;
}

/** Replays `packets` in order (the memo carries over from one to the next, as in the daemon). */
export function replay(
  packets: readonly CapturedPacket[],
  settings: ReplaySettings,
): ReplayRecord[] {
  const memo = new ReplyMemo();
  const frames = new FrameAllocator();
  const deps = {
    config: () => settings.config,
    interfaceInfo: (name: string) => ({ name, mac: settings.indevMac }),
    memo,
    frames,
  };
  const report = new RequestReport();
  const records: ReplayRecord[] = [];
  for (const packet of packets) {
    const base = { number: packet.number, time: packet.time };
    const link = ipPacketOf(packet.linkType, packet.data);
    if (!link.ok) {
      if (settings.all) records.push(skipped(base, null, null, `no IP packet: ${link.error}`));
      continue;
    }
    const { ip, ipOffset, hwSource } = link.value;
    const mac = hwSource === null ? null : formatMac(hwSource);
    // What no responder reads (skipped, unbound, or not parsed) is described from its bytes.
    const described = () => describePacket(ip, ipOffset);
    const row = serviceFor(ip);
    const notRequest = link.value.outgoing
      ? "sent by the capturing host"
      : !("responder" in row) && row.reason === "unsupported"
      ? row.why
      : null;
    if (notRequest !== null) {
      if (settings.all) records.push(skipped(base, mac, described(), notRequest));
      continue;
    }
    const binding = settings.bindingFor(hwSource);
    if (typeof binding === "string") {
      // The daemon passes on what comes from an interface without a binding.
      records.push({
        ...base,
        mac,
        request: described(),
        tap: null,
        kind: "ignore",
        reason: null,
        why: binding,
        reply: null,
        report: null,
      });
      continue;
    }
    const now = packet.time === null
      ? Date.now()
      : packet.time.seconds * 1000 + packet.time.nanoseconds / 1e6;
    const decision = decidePacket(
      { payload: ip, hwSource: () => hwSource },
      binding,
      deps,
      now,
      row,
      report,
    );
    const wrote = decision.kind === "reply" ? decision.wrote : null;
    records.push({
      ...base,
      mac,
      // The request as the responder read it: the packet is not read a second time.
      request: describeRequest(report) ?? described(),
      tap: binding.tap,
      kind: decision.kind,
      reason: decision.kind === "drop" ? decision.reason : null,
      why: decision.why,
      reply: decision.kind === "reply" ? describePacket(decision.frame.subarray(14), 14) : null,
      report: {
        request: report.type,
        clientId: report.clientId === null ? null : formatMac(report.clientId),
        requested: report.requested === null ? null : Array.from(report.requested),
        reply: wrote?.type ?? null,
        sent: wrote?.options ?? null,
      },
    });
  }
  return records;
}

function skipped(
  base: { number: number; time: CaptureTime | null },
  mac: string | null,
  request: PacketSummary | null,
  why: string,
): ReplayRecord {
  return {
    ...base,
    mac,
    request,
    tap: null,
    kind: "skip",
    reason: null,
    why,
    reply: null,
    report: null,
  };
}
