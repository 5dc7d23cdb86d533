/** Reads classic pcap files (EN10MB) from tests/fixtures for the codec and responder tests. */

/** One captured frame: the whole Ethernet frame and its index in the file (1-based, as tshark counts). */
export interface CapturedFrame {
  readonly number: number;
  readonly frame: Uint8Array;
  /** The frame minus its Ethernet header: what NFQUEUE would hand us. */
  readonly ipPacket: Uint8Array;
}

/** Reads every frame of `tests/fixtures/<name>`. */
export function readPcap(name: string): CapturedFrame[] {
  const bytes = Deno.readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (
    !little && view.getUint32(0, false) !== 0xa1b2c3d4 && view.getUint32(0, false) !== 0xa1b23c4d
  ) {
    throw new Error(`Cannot read ${name}: not a classic pcap file`);
  }
  const frames: CapturedFrame[] = [];
  for (let off = 24; off + 16 <= bytes.length;) {
    const capLen = view.getUint32(off + 8, little);
    const frame = bytes.slice(off + 16, off + 16 + capLen);
    frames.push({ number: frames.length + 1, frame, ipPacket: frame.subarray(14) });
    off += 16 + capLen;
  }
  return frames;
}

/** Frame `number` (1-based) of `name`; throws if absent. */
export function capturedFrame(name: string, number: number): CapturedFrame {
  const f = readPcap(name)[number - 1];
  if (!f) throw new Error(`Fixture ${name} has no frame ${number}`);
  return f;
}
