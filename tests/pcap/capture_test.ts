/** readCapture(): pcapng and classic pcap told apart by the first four bytes, in either byte order. */
import assert from "node:assert/strict";
import { CaptureError, LINKTYPE, readCapture } from "../../src/pcap/capture.ts";
import { classicPcap, pcapngSection } from "./craft.ts";

const DATA = Uint8Array.of(0x45, 0, 0, 20);

Deno.test("readCapture() reads a pcapng section in either byte order", () => {
  for (const little of [true, false]) {
    const bytes = pcapngSection(little, [
      { kind: "interface", iface: { linkType: LINKTYPE.raw } },
      { kind: "enhanced", interfaceId: 0, ticks: 1_500_000n, data: DATA },
    ]);
    const [packet, ...rest] = readCapture(bytes);
    assert.deepEqual(rest, [], `little ${little}`);
    assert.equal(packet!.linkType, LINKTYPE.raw);
    assert.deepEqual(packet!.data, DATA);
    assert.deepEqual(packet!.time, { seconds: 1, nanoseconds: 500_000_000 });
  }
});

Deno.test("readCapture() reads a classic pcap in either byte order", () => {
  for (const little of [true, false]) {
    const bytes = classicPcap({ little, linkType: LINKTYPE.ethernet }, [
      { seconds: 7, fraction: 250, data: DATA },
    ]);
    const [packet, ...rest] = readCapture(bytes);
    assert.deepEqual(rest, []);
    assert.equal(packet!.linkType, LINKTYPE.ethernet);
    assert.deepEqual(packet!.time, { seconds: 7, nanoseconds: 250_000 });
    assert.equal(packet!.number, 1);
  }
});

Deno.test("readCapture() of a file under 4 bytes says how short it is", () => {
  for (const length of [0, 3]) {
    assert.throws(
      () => readCapture(new Uint8Array(length)),
      new CaptureError(`Not a capture: the file has ${length} bytes`),
    );
  }
});

Deno.test("readCapture() of four bytes that are neither format is a CaptureError from the pcap reader", () => {
  assert.throws(() => readCapture(new TextEncoder().encode("GIF8 not a capture")), CaptureError);
});

Deno.test("readCapture() reads a view into a larger buffer from the view's start", () => {
  const file = classicPcap({ little: true, linkType: LINKTYPE.raw }, [
    { seconds: 1, fraction: 0, data: DATA },
  ]);
  const buffer = new Uint8Array(file.length + 8);
  buffer.set(Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a), 0); // a pcapng magic outside the view
  buffer.set(file, 8);
  const [packet] = readCapture(buffer.subarray(8));
  assert.deepEqual(packet!.data, DATA);
});
