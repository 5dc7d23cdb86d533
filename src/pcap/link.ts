/** From a captured packet's link-layer framing to the IP packet NFQUEUE would hand the daemon. */
import { LINKTYPE } from "./packet.ts";

const ETHERTYPE = { ipv4: 0x0800, ipv6: 0x86dd, vlan: 0x8100, qinq: 0x88a8 } as const;
const ETHERNET_HEADER = 14;
const VLAN_TAG = 4;
/** Linux "cooked" headers (tcpdump -i any): SLL is 16 bytes, SLL2 20. */
const SLL = { bytes: 16, packetType: 0, hatype: 2, halen: 4, address: 6, protocol: 14 } as const;
const SLL2 = { bytes: 20, protocol: 0, hatype: 8, packetType: 10, halen: 11, address: 12 } as const;
const ARPHRD_ETHER = 1;
/** The cooked header's packet type for what this host sent (PACKET_OUTGOING). */
const PACKET_OUTGOING = 4;

/** The IP packet of a captured frame and what its link layer says about the sender. */
export interface LinkPacket {
  /** The IP packet: the frame minus its link-layer header. */
  readonly ip: Uint8Array;
  /** Where the IP packet starts in the captured bytes. */
  readonly ipOffset: number;
  /** The sender's MAC when the link layer carries one (Ethernet, cooked over Ethernet). */
  readonly hwSource: Uint8Array | null;
  /** True when a cooked header says this host sent it (so no guest sent it to us). */
  readonly outgoing: boolean;
}

/** The IP packet inside `data` captured with `linkType`, or why there is none. */
export function ipPacketOf(
  linkType: number,
  data: Uint8Array,
): { readonly ok: true; readonly value: LinkPacket } | {
  readonly ok: false;
  readonly error: string;
} {
  switch (linkType) {
    case LINKTYPE.ethernet:
      return ethernet(data);
    case LINKTYPE.linuxSll:
      return cooked(data, SLL, data[SLL.packetType + 1]!);
    case LINKTYPE.linuxSll2:
      return cooked(data, SLL2, data[SLL2.packetType]!);
    case LINKTYPE.raw:
    case LINKTYPE.ipv4:
    case LINKTYPE.ipv6:
      return found(data, 0, null, false);
    default:
      return { ok: false, error: `link type ${linkType} is not one we decode` };
  }
}

function found(data: Uint8Array, at: number, hwSource: Uint8Array | null, outgoing: boolean) {
  const ip = data.subarray(at);
  const version = ip.length > 0 ? ip[0]! >> 4 : 0;
  if (version !== 4 && version !== 6) {
    return {
      ok: false as const,
      error: `IP version ${version} at offset ${at} is neither 4 nor 6`,
    };
  }
  return { ok: true as const, value: { ip, ipOffset: at, hwSource, outgoing } };
}

const u16 = (data: Uint8Array, at: number) => (data[at]! << 8) | data[at + 1]!;

function notIp(etherType: number, at: number) {
  const hex = etherType.toString(16).padStart(4, "0");
  return { ok: false as const, error: `EtherType 0x${hex} at offset ${at} is not IP` };
}

function ethernet(data: Uint8Array) {
  if (data.length < ETHERNET_HEADER) {
    return {
      ok: false as const,
      error: `Ethernet frame of ${data.length} bytes is shorter than its 14-byte header`,
    };
  }
  let at = 12;
  let etherType = u16(data, at);
  // 802.1Q / 802.1ad tags: a TAP carries none, but a capture on a trunk may.
  while ((etherType === ETHERTYPE.vlan || etherType === ETHERTYPE.qinq) && at + 6 <= data.length) {
    at += VLAN_TAG;
    etherType = u16(data, at);
  }
  if (etherType !== ETHERTYPE.ipv4 && etherType !== ETHERTYPE.ipv6) return notIp(etherType, at);
  return found(data, at + 2, data.subarray(6, 12), false);
}

function cooked(
  data: Uint8Array,
  layout: typeof SLL | typeof SLL2,
  packetType: number,
) {
  if (data.length < layout.bytes) {
    return {
      ok: false as const,
      error: `cooked frame of ${data.length} bytes is shorter than its ${layout.bytes}-byte header`,
    };
  }
  const protocol = u16(data, layout.protocol);
  if (protocol !== ETHERTYPE.ipv4 && protocol !== ETHERTYPE.ipv6) {
    return notIp(protocol, layout.protocol);
  }
  const halen = layout === SLL ? u16(data, SLL.halen) : data[SLL2.halen]!;
  const ethernetSource = u16(data, layout.hatype) === ARPHRD_ETHER && halen === 6;
  const hwSource = ethernetSource ? data.subarray(layout.address, layout.address + 6) : null;
  return found(data, layout.bytes, hwSource, packetType === PACKET_OUTGOING);
}
