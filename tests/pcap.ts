/** The captures in tests/fixtures, read with src/pcap for the codec and responder tests. */
import { readCapture } from "../src/pcap/capture.ts";

/** One captured frame: the whole Ethernet frame and its index in the file (1-based, as tshark counts). */
export interface CapturedFrame {
  readonly number: number;
  readonly frame: Uint8Array;
  /** The frame minus its Ethernet header: what NFQUEUE would hand us. */
  readonly ipPacket: Uint8Array;
}

/** Reads every frame of `tests/fixtures/<name>` (an Ethernet capture). */
export function readPcap(name: string): CapturedFrame[] {
  const bytes = Deno.readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
  return readCapture(bytes).map((p) => {
    const frame = p.data.slice();
    return { number: p.number, frame, ipPacket: frame.subarray(14) };
  });
}

/** Frame `number` (1-based) of `name`; throws if absent. */
export function capturedFrame(name: string, number: number): CapturedFrame {
  const f = readPcap(name)[number - 1];
  if (!f) throw new Error(`Fixture ${name} has no frame ${number}`);
  return f;
}
