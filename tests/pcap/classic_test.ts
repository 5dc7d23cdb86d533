/** The classic pcap reader: both byte orders, both time stamp precisions, errors at exact offsets. */
import assert from "node:assert/strict";
import { CaptureError, LINKTYPE, readCapture } from "../../src/pcap/capture.ts";
import { classicPcap, type Record } from "./craft.ts";

const FIXTURE = new URL("../fixtures/dhclient4_dora_renew_release.pcap", import.meta.url);

const RECORDS: Record[] = [
  { seconds: 1704067200, fraction: 100, data: Uint8Array.of(1, 2, 3) },
  { seconds: 1704067201, fraction: 999_999, data: new Uint8Array(0) },
  { seconds: 1704067202, fraction: 7, data: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff) },
];

Deno.test("readCapture() reads a captured pcap: 11 frames, times as tcpdump -tt prints them", () => {
  const packets = readCapture(Deno.readFileSync(FIXTURE));
  assert.equal(packets.length, 11);
  assert.deepEqual(packets.map((p) => p.number), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const first = packets[0]!;
  assert.deepEqual(first.time, { seconds: 1795540178, nanoseconds: 132_969_000 });
  assert.equal(first.offset, 24);
  assert.equal(first.linkType, LINKTYPE.ethernet);
  assert.equal(first.data.length, 342); // 14 + 20 + 8 + 300
  assert.equal(first.originalLength, 342);
  assert.equal(packets[1]!.offset, 24 + 16 + 342);
  assert.deepEqual(packets[1]!.time, { seconds: 1795540178, nanoseconds: 133_449_000 });
});

for (const little of [true, false]) {
  for (const nano of [false, true]) {
    const name = `${little ? "little" : "big"}-endian, ${nano ? "nano" : "micro"}seconds`;
    Deno.test(`readCapture() reads a ${name} pcap: data, offsets, times, link type`, () => {
      const file = classicPcap({ little, nano, linkType: LINKTYPE.linuxSll2 }, RECORDS);
      const packets = readCapture(file);
      assert.deepEqual(packets.map((p) => [...p.data]), RECORDS.map((r) => [...r.data]));
      assert.deepEqual(packets.map((p) => p.offset), [24, 43, 59]);
      assert.deepEqual(
        packets.map((p) => p.time),
        RECORDS.map((r) => ({ seconds: r.seconds, nanoseconds: r.fraction * (nano ? 1 : 1000) })),
      );
      assert.ok(packets.every((p) => p.linkType === 276 && p.interfaceId === 0));
    });
  }
}

function readError(bytes: Uint8Array): string {
  try {
    readCapture(bytes);
  } catch (e) {
    assert.ok(e instanceof CaptureError, `not a CaptureError: ${e}`);
    return e.message;
  }
  assert.fail("read without an error");
}

Deno.test("readCapture() names the record cut short and its offset", () => {
  const file = classicPcap({ little: true, linkType: 1 }, RECORDS);
  // The third record starts at 59; its 300 bytes at 75.
  assert.equal(
    readError(file.subarray(0, 59 + 10)),
    "Truncated record header at offset 59: 10 of 16 bytes",
  );
  assert.equal(
    readError(file.subarray(0, 75 + 299)),
    "Truncated record at offset 59: 300 bytes captured, 299 present",
  );
  assert.equal(
    readCapture(file.subarray(0, 59)).length,
    2,
    "a file ending between records is whole",
  );
});

Deno.test("readCapture() refuses what is not a pcap: another magic, a cut header, a huge length", () => {
  assert.match(
    readError(new TextEncoder().encode("hello world")),
    /^Not a capture: magic number 0x68656c6c/,
  );
  assert.equal(readError(Uint8Array.of(1, 2)), "Not a capture: the file has 2 bytes");
  const file = classicPcap({ little: false, linkType: 1 }, RECORDS);
  assert.equal(
    readError(file.subarray(0, 20)),
    "Truncated pcap file header at offset 0: 20 of 24 bytes",
  );
  const huge = file.slice();
  new DataView(huge.buffer).setUint32(24 + 8, 0x10000000);
  assert.equal(
    readError(huge),
    "Bad record at offset 24: it claims 268435456 bytes, more than 262144",
  );
});
