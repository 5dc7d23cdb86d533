/** ARP for IPv4 over Ethernet (RFC 826): the 28-byte packet, emitted, and parsed for tests. */
import { guard, need, type Parsed } from "./parsed.ts";

export const ETHERTYPE_ARP = 0x0806;
/** An ARP packet for IPv4 over Ethernet is this long (no padding). */
export const ARP_LENGTH = 28;
export const ARP_OPERATION = { request: 1, reply: 2 } as const;

const HARDWARE_ETHERNET = 1;
const PROTOCOL_IPV4 = 0x0800;
const FIELD = { op: 6, sha: 8, spa: 14, tha: 18, tpa: 24 } as const;

/** One ARP packet: who has (or is at) which address. Addresses are unsigned numbers, MACs 6 bytes. */
export interface ArpPacket {
  readonly operation: number;
  readonly senderMac: Uint8Array;
  readonly senderIp: number;
  readonly targetMac: Uint8Array;
  readonly targetIp: number;
}

/** Writes `arp` at `into[offset]`; returns the bytes written (ARP_LENGTH). */
export function emitArp(arp: ArpPacket, into: Uint8Array, offset = 0): number {
  const view = new DataView(into.buffer, into.byteOffset + offset, ARP_LENGTH);
  view.setUint16(0, HARDWARE_ETHERNET);
  view.setUint16(2, PROTOCOL_IPV4);
  view.setUint8(4, 6);
  view.setUint8(5, 4);
  view.setUint16(FIELD.op, arp.operation);
  into.set(arp.senderMac.subarray(0, 6), offset + FIELD.sha);
  view.setUint32(FIELD.spa, arp.senderIp);
  into.set(arp.targetMac.subarray(0, 6), offset + FIELD.tha);
  view.setUint32(FIELD.tpa, arp.targetIp);
  return ARP_LENGTH;
}

/** Parses an ARP packet for IPv4 over Ethernet (the payload of an Ethernet frame). */
export function parseArp(bytes: Uint8Array): Parsed<ArpPacket> {
  return guard("ARP packet", () => {
    need(bytes.length >= ARP_LENGTH, `packet of ${bytes.length} bytes is shorter than 28`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, ARP_LENGTH);
    need(
      view.getUint16(0) === HARDWARE_ETHERNET && view.getUint16(2) === PROTOCOL_IPV4,
      "not IPv4 over Ethernet",
    );
    need(view.getUint8(4) === 6 && view.getUint8(5) === 4, "address lengths are not 6 and 4");
    return {
      operation: view.getUint16(FIELD.op),
      senderMac: bytes.subarray(FIELD.sha, FIELD.sha + 6),
      senderIp: view.getUint32(FIELD.spa),
      targetMac: bytes.subarray(FIELD.tha, FIELD.tha + 6),
      targetIp: view.getUint32(FIELD.tpa),
    };
  });
}
