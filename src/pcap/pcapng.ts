/**
 * pcapng files (draft-ietf-opsawg-pcapng): sections in either byte order, each with its own
 * interfaces (link type, time stamp resolution, snap length); Enhanced and Simple Packet Blocks.
 * Other blocks (name resolution, statistics, custom...) are stepped over.
 */
import { type CapturedPacket, CaptureError, type CaptureTime, MAX_RECORD_BYTES } from "./packet.ts";

const BLOCK = {
  sectionHeader: 0x0a0d0d0a,
  interfaceDescription: 1,
  simplePacket: 3,
  enhancedPacket: 6,
} as const;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Type and total length before the body, total length again after it. */
const BLOCK_OVERHEAD = 12;
const IDB = { linkType: 8, snapLength: 12, options: 16 } as const;
const EPB = { interfaceId: 8, timeHigh: 12, timeLow: 16, captured: 20, original: 24, data: 28 };
const SPB = { original: 8, data: 12 } as const;
const OPTION_END = 0;
const OPTION_IF_TSRESOL = 9;

/** What a packet block needs of its interface. */
interface Interface {
  readonly linkType: number;
  readonly snapLength: number;
  /** Time stamp units per second (10^6 unless if_tsresol says otherwise). */
  readonly unitsPerSecond: bigint;
}

/** The packets of a pcapng file; throws `CaptureError` naming the offset of what is wrong. */
export function readPcapng(bytes: Uint8Array): CapturedPacket[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const packets: CapturedPacket[] = [];
  let little = true;
  let interfaces: Interface[] = [];
  for (let offset = 0; offset < bytes.length;) {
    if (offset + 8 > bytes.length) {
      throw new CaptureError(
        `Truncated block header at offset ${offset}: ${bytes.length - offset} of 8 bytes`,
      );
    }
    const type = view.getUint32(offset, little);
    if (type === BLOCK.sectionHeader) {
      // Each section says its own byte order; the block type reads the same in both.
      if (offset + 12 > bytes.length) {
        throw new CaptureError(`Truncated section header at offset ${offset}`);
      }
      const magic = view.getUint32(offset + 8, true);
      if (magic !== BYTE_ORDER_MAGIC && view.getUint32(offset + 8, false) !== BYTE_ORDER_MAGIC) {
        throw new CaptureError(
          `Bad section header at offset ${offset}: byte-order magic 0x${
            view.getUint32(offset + 8).toString(16).padStart(8, "0")
          }`,
        );
      }
      little = magic === BYTE_ORDER_MAGIC;
      interfaces = [];
    }
    const length = blockLength(view, offset, little);
    const body = { view, offset, length, little };
    if (type === BLOCK.interfaceDescription) interfaces.push(readInterface(body));
    else if (type === BLOCK.enhancedPacket) {
      packets.push(readEnhancedPacket(body, interfaces, packets.length + 1));
    } else if (type === BLOCK.simplePacket) {
      packets.push(readSimplePacket(body, interfaces, packets.length + 1));
    }
    offset += length;
  }
  return packets;
}

/** A block's total length, checked against the file and against its trailing copy. */
function blockLength(view: DataView, offset: number, little: boolean): number {
  const length = view.getUint32(offset + 4, little);
  if (length < BLOCK_OVERHEAD || length % 4 !== 0) {
    throw new CaptureError(
      `Bad block at offset ${offset}: total length ${length} is not a multiple of 4 of at least 12`,
    );
  }
  if (offset + length > view.byteLength) {
    throw new CaptureError(
      `Truncated block at offset ${offset}: ${length} bytes long, ${
        view.byteLength - offset
      } present`,
    );
  }
  const trailing = view.getUint32(offset + length - 4, little);
  if (trailing !== length) {
    throw new CaptureError(
      `Bad block at offset ${offset}: total length ${length} at its start, ${trailing} at its end`,
    );
  }
  return length;
}

interface Block {
  readonly view: DataView;
  readonly offset: number;
  readonly length: number;
  readonly little: boolean;
}

function need(block: Block, bodyBytes: number, what: string): void {
  if (bodyBytes + BLOCK_OVERHEAD > block.length) {
    throw new CaptureError(
      `Bad ${what} at offset ${block.offset}: ${block.length} bytes cannot hold its fields`,
    );
  }
}

function readInterface(block: Block): Interface {
  const { view, offset, length, little } = block;
  need(block, IDB.options - 8, "interface description block");
  let unitsPerSecond = 1_000_000n;
  // Options: code and length (16 bits each), the value, padding to 32 bits.
  for (let at = offset + IDB.options; at + 4 <= offset + length - 4;) {
    const code = view.getUint16(at, little);
    const size = view.getUint16(at + 2, little);
    if (code === OPTION_END) break;
    if (at + 4 + size > offset + length - 4) {
      throw new CaptureError(
        `Bad interface description block at offset ${offset}: option ${code} at offset ${at} overruns it`,
      );
    }
    if (code === OPTION_IF_TSRESOL && size >= 1) {
      const resolution = view.getUint8(at + 4);
      const exponent = BigInt(resolution & 0x7f);
      unitsPerSecond = resolution & 0x80 ? 2n ** exponent : 10n ** exponent;
    }
    at += 4 + ((size + 3) & ~3);
  }
  return {
    linkType: view.getUint16(offset + IDB.linkType, little),
    snapLength: view.getUint32(offset + IDB.snapLength, little),
    unitsPerSecond,
  };
}

function interfaceOf(block: Block, interfaces: readonly Interface[], id: number): Interface {
  const found = interfaces[id];
  if (found === undefined) {
    throw new CaptureError(
      `Bad packet block at offset ${block.offset}: interface ${id} is not described (the section has ${interfaces.length})`,
    );
  }
  return found;
}

function packetData(block: Block, start: number, captured: number): Uint8Array {
  const { view, offset, length } = block;
  if (captured > MAX_RECORD_BYTES || start + captured > offset + length - 4) {
    throw new CaptureError(
      `Truncated packet block at offset ${offset}: ${captured} bytes captured, ${
        Math.max(0, offset + length - 4 - start)
      } in the block`,
    );
  }
  return new Uint8Array(view.buffer, view.byteOffset + start, captured);
}

function readEnhancedPacket(
  block: Block,
  interfaces: readonly Interface[],
  number: number,
): CapturedPacket {
  const { view, offset, little } = block;
  need(block, EPB.data - 8, "enhanced packet block");
  const interfaceId = view.getUint32(offset + EPB.interfaceId, little);
  const iface = interfaceOf(block, interfaces, interfaceId);
  const ticks = (BigInt(view.getUint32(offset + EPB.timeHigh, little)) << 32n) |
    BigInt(view.getUint32(offset + EPB.timeLow, little));
  const captured = view.getUint32(offset + EPB.captured, little);
  return {
    number,
    offset,
    time: timeOf(ticks, iface.unitsPerSecond),
    linkType: iface.linkType,
    interfaceId,
    data: packetData(block, offset + EPB.data, captured),
    originalLength: view.getUint32(offset + EPB.original, little),
  };
}

function readSimplePacket(
  block: Block,
  interfaces: readonly Interface[],
  number: number,
): CapturedPacket {
  const { view, offset, length, little } = block;
  need(block, SPB.data - 8, "simple packet block");
  const iface = interfaceOf(block, interfaces, 0);
  const original = view.getUint32(offset + SPB.original, little);
  // The block holds no captured length: the packet, cut to the snap length, fills the body.
  const room = length - SPB.data - 4;
  const snap = iface.snapLength === 0 ? Infinity : iface.snapLength;
  const captured = Math.min(original, snap, room);
  return {
    number,
    offset,
    time: null,
    linkType: iface.linkType,
    interfaceId: 0,
    data: packetData(block, offset + SPB.data, captured),
    originalLength: original,
  };
}

function timeOf(ticks: bigint, unitsPerSecond: bigint): CaptureTime {
  const seconds = ticks / unitsPerSecond;
  const nanoseconds = (ticks % unitsPerSecond) * 1_000_000_000n / unitsPerSecond;
  return { seconds: Number(seconds), nanoseconds: Number(nanoseconds) };
}
