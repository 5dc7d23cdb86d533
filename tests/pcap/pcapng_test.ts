/** The pcapng reader: sections in both byte orders, several interfaces, EPB and SPB, bad blocks. */
import assert from "node:assert/strict";
import { CaptureError, LINKTYPE, readCapture } from "../../src/pcap/capture.ts";
import { concat, pcapngSection } from "./craft.ts";

const A = Uint8Array.of(0x45, 1, 2, 3, 4);
const B = Uint8Array.of(0x60, 9, 8, 7);
const C = Uint8Array.from({ length: 64 }, (_, i) => i);

/** Two sections: little-endian (Ethernet µs, raw IPv6 ns), then big-endian (cooked v2, 2^-10 s). */
function twoSections(): Uint8Array {
  return concat(
    pcapngSection(true, [
      { kind: "interface", iface: { linkType: LINKTYPE.ethernet } },
      { kind: "interface", iface: { linkType: LINKTYPE.ipv6, tsresol: 9 } },
      { kind: "enhanced", interfaceId: 0, ticks: 1_704_067_200_123_456n, data: A },
      { kind: "other", type: 4, body: Uint8Array.of(0, 0, 0, 0) }, // a name resolution block
      { kind: "enhanced", interfaceId: 1, ticks: 1_704_067_201_000_000_042n, data: B },
    ]),
    pcapngSection(false, [
      { kind: "interface", iface: { linkType: LINKTYPE.linuxSll2, snapLength: 16, tsresol: 0x8a } },
      { kind: "simple", data: C.subarray(0, 16), originalLength: 64 },
      { kind: "enhanced", interfaceId: 0, ticks: (1_704_067_202n << 10n) | 512n, data: C },
    ]),
  );
}

Deno.test("readCapture() reads pcapng sections of both byte orders, each with its interfaces", () => {
  const packets = readCapture(twoSections());
  assert.deepEqual(
    packets.map((p) => [p.number, p.linkType, p.interfaceId, p.data.length, p.originalLength]),
    [[1, 1, 0, 5, 5], [2, 229, 1, 4, 4], [3, 276, 0, 16, 64], [4, 276, 0, 64, 64]],
  );
  assert.deepEqual(packets.map((p) => [...p.data]), [[...A], [...B], [...C.subarray(0, 16)], [
    ...C,
  ]]);
  assert.deepEqual(packets.map((p) => p.time), [
    { seconds: 1704067200, nanoseconds: 123_456_000 },
    { seconds: 1704067201, nanoseconds: 42 },
    null, // a simple packet block has no time
    { seconds: 1704067202, nanoseconds: 500_000_000 },
  ]);
  // Section 1: SHB 28 bytes, IDB 24, IDB 32 (with if_tsresol), EPB at 84.
  assert.equal(packets[0]!.offset, 84);
});

function readError(bytes: Uint8Array): string {
  try {
    readCapture(bytes);
  } catch (e) {
    assert.ok(e instanceof CaptureError, `not a CaptureError: ${e}`);
    return e.message;
  }
  assert.fail("read without an error");
}

Deno.test("readCapture() names a pcapng block cut short, or with lengths that disagree, by offset", () => {
  const file = twoSections();
  // First section: SHB 0-27, IDBs 28-51 and 52-83, EPB 84-123 (40 bytes).
  assert.equal(
    readError(file.subarray(0, 100)),
    "Truncated block at offset 84: 40 bytes long, 16 present",
  );
  assert.equal(
    readError(file.subarray(0, 88)),
    "Truncated block header at offset 84: 4 of 8 bytes",
  );
  const bent = file.slice();
  new DataView(bent.buffer).setUint32(84 + 36, 44, true);
  assert.equal(
    readError(bent),
    "Bad block at offset 84: total length 40 at its start, 44 at its end",
  );
  const odd = file.slice();
  new DataView(odd.buffer).setUint32(84 + 4, 37, true);
  assert.match(readError(odd), /^Bad block at offset 84: total length 37 is not a multiple of 4/);
});

Deno.test("readCapture() refuses a packet block of an undescribed interface and an overlong packet", () => {
  const stray = pcapngSection(false, [
    { kind: "interface", iface: { linkType: 1 } },
    { kind: "enhanced", interfaceId: 2, ticks: 0n, data: A },
  ]);
  assert.equal(
    readError(stray),
    "Bad packet block at offset 52: interface 2 is not described (the section has 1)",
  );
  const overlong = pcapngSection(true, [
    { kind: "interface", iface: { linkType: 1 } },
    { kind: "enhanced", interfaceId: 0, ticks: 0n, data: A, capturedLength: 9 },
  ]);
  assert.equal(
    readError(overlong),
    "Truncated packet block at offset 52: 9 bytes captured, 8 in the block",
  );
  const badOrder = pcapngSection(true, []);
  new DataView(badOrder.buffer).setUint32(8, 0x12345678, true);
  assert.equal(
    readError(badOrder),
    "Bad section header at offset 0: byte-order magic 0x78563412",
  );
});
