/** A packet capture file read whole: classic pcap or pcapng, told apart by their first bytes. */
import { readClassicPcap } from "./classic.ts";
import { type CapturedPacket, CaptureError } from "./packet.ts";
import { readPcapng } from "./pcapng.ts";

export { type CapturedPacket, CaptureError, type CaptureTime, LINKTYPE } from "./packet.ts";

const PCAPNG_SECTION_HEADER = 0x0a0d0d0a;

/** Every packet of a capture file's bytes; throws `CaptureError` for anything unreadable. */
export function readCapture(bytes: Uint8Array): CapturedPacket[] {
  if (bytes.length < 4) {
    throw new CaptureError(`Not a capture: the file has ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The section header's type reads the same in both byte orders.
  if (view.getUint32(0) === PCAPNG_SECTION_HEADER) return readPcapng(bytes);
  return readClassicPcap(bytes);
}
