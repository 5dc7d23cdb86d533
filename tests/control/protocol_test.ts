/** The control protocol: requests parsed strictly, lines read within their bound. */
import assert from "node:assert/strict";
import { MAX_REQUEST_BYTES, parseRequest, readLine } from "../../src/control/protocol.ts";

Deno.test("parseRequest() takes the four commands and an optional TAP name", () => {
  assert.deepEqual(parseRequest('{"command":"status"}'), {
    ok: true,
    request: { command: "status", tap: null },
  });
  assert.deepEqual(parseRequest('{"command":"trace","tap":"tap1"}'), {
    ok: true,
    request: { command: "trace", tap: "tap1" },
  });
});

Deno.test("parseRequest() refuses what is not a request, with the reason", () => {
  for (
    const [line, why] of [
      ["status", /not JSON/],
      ["[1]", /not a JSON object/],
      ["null", /not a JSON object/],
      ['{"command":"reboot"}', /Unknown command "reboot"/],
      ['{"command":"clients","tap":"../etc"}', /not an interface name/],
      ['{"command":"clients","tap":"a-name-longer-than-15"}', /not an interface name/],
      ['{"command":"clients","tap":7}', /not an interface name/],
    ] as const
  ) {
    const r = parseRequest(line);
    assert.ok(!r.ok && why.test(r.error), `${line}: ${JSON.stringify(r)}`);
  }
});

/** A reader that hands out `chunks` one per read, then the end. */
function chunked(chunks: string[]) {
  const bytes = chunks.map((c) => new TextEncoder().encode(c));
  let reads = 0;
  const read = (into: Uint8Array) => {
    reads++;
    const next = bytes.shift();
    if (next === undefined) return Promise.resolve(null);
    const n = Math.min(into.length, next.length);
    into.set(next.subarray(0, n));
    if (n < next.length) bytes.unshift(next.subarray(n));
    return Promise.resolve(n);
  };
  return { read, reads: () => reads };
}

Deno.test("readLine() joins a line split over reads and stops at its newline", async () => {
  const r = chunked(['{"comm', 'and":"status"}\n{"more"']);
  assert.deepEqual(await readLine(r.read), { kind: "line", line: '{"command":"status"}' });
});

Deno.test("readLine() gives up at the bound without reading further, and reports the end", async () => {
  const flood = chunked([..."x".repeat(10)].map(() => "y".repeat(1000)));
  assert.deepEqual(await readLine(flood.read), { kind: "too-long" });
  assert.ok(flood.reads() <= Math.ceil(MAX_REQUEST_BYTES / 1000) + 1, `${flood.reads()} reads`);
  assert.deepEqual(await readLine(chunked(["no newline"]).read), { kind: "eof" });
  const exact = "z".repeat(MAX_REQUEST_BYTES - 1);
  assert.deepEqual(await readLine(chunked([`${exact}\n`]).read), { kind: "line", line: exact });
});
