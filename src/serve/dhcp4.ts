/** The DHCPv4 responder: a VM's request and its binding in, an OFFER/ACK/NAK frame or a reasoned drop out. */
import { updateChecksum } from "../wire/checksum.ts";
import {
  DHCP4_CLIENT_PORT,
  DHCP4_SERVER_PORT,
  type Dhcp4Message,
  parseDhcp4,
} from "../wire/dhcp4.ts";
import { ETHERNET_HEADER_LENGTH } from "../wire/ethernet.ts";
import { IP_PROTOCOL_UDP, type Ipv4Packet, isFragment, parseIpv4Packet } from "../wire/ipv4.ts";
import type { Parsed } from "../wire/parsed.ts";
import { parseUdp, type UdpDatagram } from "../wire/udp.ts";
import { type Decision, refuse, replyMtu } from "./decision.ts";
import {
  describeDhcp4Request,
  dhcp4FactValues,
  dhcp4MemoKey,
  matchesDhcp4Key,
  readDhcp4Facts,
} from "./dhcp4_facts.ts";
import { type Dhcp4Settings, isBootRequest, respondDhcp4 } from "./dhcp4_reply.ts";
import type { MemoFrame } from "./memo_tables.ts";
import { dhcp4TypeLabel } from "./packet_report.ts";
import type { Responder, ResponderContext } from "./responder.ts";
import { spoofedBy } from "./source_check.ts";

/** A queued DHCPv4 request, parsed once, layer by layer. */
export interface Dhcp4Request {
  readonly ip: Ipv4Packet;
  readonly udp: UdpDatagram;
  readonly dhcp: Dhcp4Message;
}

/**
 * Parses a queued IPv4 packet into a DHCPv4 request. The UDP checksum is not enforced: a
 * guest with checksum offload may leave it partial, and the link is a host-local TAP.
 */
export function parseDhcp4Request(packet: Uint8Array): Parsed<Dhcp4Request> {
  const ip = parseIpv4Packet(packet);
  if (!ip.ok) return ip;
  if (ip.value.protocol !== IP_PROTOCOL_UDP) {
    return {
      ok: false,
      error: `Cannot parse DHCPv4 request: IP protocol ${ip.value.protocol} is not UDP`,
    };
  }
  if (isFragment(ip.value)) return { ok: false, error: "Cannot parse DHCPv4 request: IP fragment" };
  const udp = parseUdp(ip.value.payload);
  if (!udp.ok) return udp;
  if (udp.value.dstPort !== DHCP4_SERVER_PORT) {
    return {
      ok: false,
      error: `Cannot parse DHCPv4 request: UDP port ${udp.value.dstPort} is not 67`,
    };
  }
  const dhcp = parseDhcp4(udp.value.payload);
  if (!dhcp.ok) return dhcp;
  return { ok: true, value: { ip: ip.value, udp: udp.value, dhcp: dhcp.value } };
}

/** The DHCPv4 server: UDP to port 67, while [dhcp] enable_dhcp is on. */
export const dhcp4Responder: Responder = {
  answer(packet: Uint8Array, context: ResponderContext): Decision {
    // A packet to port 67 that does not parse is still a bound VM's: dropped, not passed on.
    const request = parseDhcp4Request(packet);
    if (!request.ok) {
      return refuse(
        "malformed",
        `Malformed DHCPv4 request on ${context.binding.tap}: ${request.error}`,
      );
    }
    context.report.dhcp4 = request.value;
    return answerDhcp4Message(request.value.dhcp, context, request.value.udp.srcPort);
  },
};

/**
 * REFERENCE.md's DHCPv4 rules for a parsed message from UDP port `clientPort`: the source checks
 * here, then the reply from the memo when the same facts were answered with the same settings,
 * else built afresh.
 */
export function answerDhcp4Message(
  dhcp: Dhcp4Message,
  context: ResponderContext,
  clientPort = DHCP4_CLIENT_PORT,
): Decision {
  const { binding, memo } = context;
  const facts = readDhcp4Facts(dhcp, clientPort);
  context.report.read(dhcp4TypeLabel(facts.type), facts.clientId, facts.prl);
  const from = () => describeDhcp4Request(facts, binding.tap);
  if (!isBootRequest(facts)) return refuse("malformed", `${from()}: not a BOOTREQUEST`);
  // Unless MACSPOOF the chaddr must be the binding's MAC (hlen 6, or it is not a MAC at all), and
  // so must the frame's Ethernet source when the queue reports it.
  if (!binding.macspoof && facts.hlen !== 6) {
    return refuse(
      "spoofed-mac",
      `${from()}: spoofed, hlen ${facts.hlen}, the binding's MAC is ${binding.macText}`,
    );
  }
  const spoofed = spoofedBy(binding, context.hwSource, facts.chaddr);
  if (spoofed !== null) return refuse("spoofed-mac", `${from()}: ${spoofed}`);
  const linkMtu = replyMtu(binding.mtu, context.indev);
  const settings: Dhcp4Settings = {
    binding,
    config: context.config.dhcp,
    indevMac: context.indev.mac,
    linkMtu,
  };
  const { config, indevMac } = settings;
  const values = dhcp4FactValues(facts);
  const kept = memo.dhcp4Replies.find(binding, config, indevMac, values, matchesDhcp4Key);
  // A reply fitted to a larger MTU than INDEV has now is built again, to fit.
  if (kept !== null && kept.frame.length - ETHERNET_HEADER_LENGTH <= linkMtu) {
    return withXid(kept, facts.xid, context);
  }
  const outcome = respondDhcp4(facts, settings, memo, context.frames);
  if (outcome.kind === "reply") {
    memo.dhcp4Replies.keep(binding, dhcp4MemoKey(facts), config, indevMac, outcome);
  }
  return outcome;
}

/** A copy of a kept reply with `xid` patched in and its UDP checksum updated to match. */
function withXid(kept: MemoFrame, xid: number, context: ResponderContext): Decision {
  const frame = context.frames.allocate(kept.frame.length);
  frame.set(kept.frame);
  const { xidAt, checksumAt } = kept;
  let checksum = (frame[checksumAt]! << 8) | frame[checksumAt + 1]!;
  checksum = updateChecksum(checksum, (frame[xidAt]! << 8) | frame[xidAt + 1]!, xid >>> 16);
  checksum = updateChecksum(checksum, (frame[xidAt + 2]! << 8) | frame[xidAt + 3]!, xid & 0xffff);
  frame[xidAt] = xid >>> 24;
  frame[xidAt + 1] = xid >>> 16;
  frame[xidAt + 2] = xid >>> 8;
  frame[xidAt + 3] = xid;
  frame[checksumAt] = checksum >>> 8;
  frame[checksumAt + 1] = checksum;
  // No spread: this runs for every request a kept reply answers.
  return { kind: "reply", frame, why: kept.why, wrote: kept.wrote, debug: kept.debug };
}
