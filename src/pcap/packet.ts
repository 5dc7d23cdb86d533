/** What a capture file holds, whatever its format: packets, link types, and the error for bad files. */

/** When a packet was captured: whole seconds since the epoch and the nanoseconds past them. */
export interface CaptureTime {
  readonly seconds: number;
  readonly nanoseconds: number;
}

/** One captured packet, as the capture file records it. */
export interface CapturedPacket {
  /** 1-based, in file order, as tshark and Wireshark count. */
  readonly number: number;
  /** Where the packet's record (pcap) or block (pcapng) starts in the file. */
  readonly offset: number;
  /** Null for a pcapng Simple Packet Block, which has no time. */
  readonly time: CaptureTime | null;
  /** The link type of the interface it was captured on (see {@link LINKTYPE}). */
  readonly linkType: number;
  /** The pcapng interface (its IDB's index in the section); 0 in a classic pcap. */
  readonly interfaceId: number;
  /** The bytes captured (a view of the file). */
  readonly data: Uint8Array;
  /** The packet's length on the wire; more than `data.length` when the snap length cut it. */
  readonly originalLength: number;
}

/** The link types we decode (tcpdump.org's LINKTYPE_ values). */
export const LINKTYPE = {
  ethernet: 1,
  raw: 101,
  linuxSll: 113,
  ipv4: 228,
  ipv6: 229,
  linuxSll2: 276,
} as const;

/** A file that is not a capture or is cut short; the message names the byte offset. */
export class CaptureError extends Error {
  override name = "CaptureError";
}

/** No record claims more than this (libpcap's largest snap length): past it, a length is garbage. */
export const MAX_RECORD_BYTES = 256 * 1024;
