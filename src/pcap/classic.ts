/** Classic libpcap files: either byte order, microsecond or nanosecond time stamps. */
import { type CapturedPacket, CaptureError, MAX_RECORD_BYTES } from "./packet.ts";

const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;
const FILE_HEADER = { bytes: 24, linkType: 20 } as const;
const RECORD = {
  bytes: 16,
  seconds: 0,
  fraction: 4,
  capturedLength: 8,
  originalLength: 12,
} as const;

/** The packets of a classic pcap file; throws `CaptureError` naming the offset of what is wrong. */
export function readClassicPcap(bytes: Uint8Array): CapturedPacket[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  const little = le === MAGIC_MICROSECONDS || le === MAGIC_NANOSECONDS;
  if (!little && be !== MAGIC_MICROSECONDS && be !== MAGIC_NANOSECONDS) {
    const hex = be.toString(16).padStart(8, "0");
    throw new CaptureError(`Not a capture: magic number 0x${hex} is neither pcap's nor pcapng's`);
  }
  if (bytes.length < FILE_HEADER.bytes) {
    throw new CaptureError(
      `Truncated pcap file header at offset 0: ${bytes.length} of ${FILE_HEADER.bytes} bytes`,
    );
  }
  const nanosPerTick = (little ? le : be) === MAGIC_NANOSECONDS ? 1 : 1000;
  // The upper bits may carry FCS information (pcap spec, "LinkType and additional information").
  const linkType = view.getUint32(FILE_HEADER.linkType, little) & 0xffff;
  const packets: CapturedPacket[] = [];
  for (let offset = FILE_HEADER.bytes; offset < bytes.length;) {
    if (offset + RECORD.bytes > bytes.length) {
      throw new CaptureError(
        `Truncated record header at offset ${offset}: ${
          bytes.length - offset
        } of ${RECORD.bytes} bytes`,
      );
    }
    const captured = view.getUint32(offset + RECORD.capturedLength, little);
    const start = offset + RECORD.bytes;
    if (captured > MAX_RECORD_BYTES) {
      throw new CaptureError(
        `Bad record at offset ${offset}: it claims ${captured} bytes, more than ${MAX_RECORD_BYTES}`,
      );
    }
    if (start + captured > bytes.length) {
      throw new CaptureError(
        `Truncated record at offset ${offset}: ${captured} bytes captured, ${
          bytes.length - start
        } present`,
      );
    }
    packets.push({
      number: packets.length + 1,
      offset,
      time: {
        seconds: view.getUint32(offset + RECORD.seconds, little),
        nanoseconds: view.getUint32(offset + RECORD.fraction, little) * nanosPerTick,
      },
      linkType,
      interfaceId: 0,
      data: bytes.subarray(start, start + captured),
      originalLength: view.getUint32(offset + RECORD.originalLength, little),
    });
    offset = start + captured;
  }
  return packets;
}
