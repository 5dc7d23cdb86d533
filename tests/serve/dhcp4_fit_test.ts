/** fitOptions(): what is left out when a reply does not fit, and what never is. */
import assert from "node:assert/strict";
import { describeFit, fitOptions, inClientOrder, messageLimit } from "../../src/serve/dhcp4_fit.ts";
import { replyFromRequest } from "../../src/wire/dhcp4.ts";

const bytes = (n: number) => new Uint8Array(n).fill(7);
const draft = () =>
  replyFromRequest({ htype: 1, hlen: 6, xid: 1, flags: 0, giaddr: 0, chaddr: bytes(6) });
/** The lease's must-haves, then three long options: 200 (250 bytes), 201 and 67 (120 each). */
const ORDERED: (readonly [number, Uint8Array])[] = [
  [1, bytes(4)],
  [3, bytes(4)],
  [51, bytes(4)],
  [53, bytes(1)],
  [54, bytes(4)],
  [200, bytes(250)],
  [201, bytes(120)],
  [67, bytes(120)],
];

Deno.test("fitOptions() leaves out the last that is in the way, and keeps what `keep` names instead", () => {
  // 548 bytes: the options field takes 200, file one of 201 and 67, and there is no room for both.
  const plain = fitOptions(draft(), ORDERED, messageLimit(null, 1500), true);
  assert.deepEqual(plain, { leftOut: [67], overload: 1 });
  const reply = draft();
  const kept = fitOptions(reply, ORDERED, messageLimit(null, 1500), true, [67]);
  assert.deepEqual(kept, { leftOut: [201], overload: 1 });
  assert.equal(reply.options.has(201), false);
  // 67 went to file; the options field holds the rest.
  assert.deepEqual([...reply.file.subarray(0, 2)], [67, 120]);
  assert.deepEqual([...reply.options.keys()], [1, 3, 51, 53, 54, 200]);
});

Deno.test("fitOptions() never leaves out 1, 3, 51, 53, 54 or 61; null when they alone do not fit", () => {
  const must: (readonly [number, Uint8Array])[] = [1, 3, 51, 53, 54, 61].map((c) => [c, bytes(50)]);
  assert.equal(fitOptions(draft(), must, 500, false), null);
  const fitted = fitOptions(draft(), [...must, [6, bytes(8)]], 560, false);
  assert.deepEqual(fitted, { leftOut: [], overload: 2 });
});

Deno.test("messageLimit(): the client's maximum, at least 576, within the link's MTU, less IP and UDP", () => {
  assert.equal(messageLimit(null, 1500), 548);
  assert.equal(messageLimit(300, 1500), 548);
  assert.equal(messageLimit(1400, 1500), 1372);
  assert.equal(messageLimit(1500, 1000), 972);
});

Deno.test("inClientOrder(): asked-for first in the client's order, then the rest in ours", () => {
  const parts: (readonly [number, Uint8Array])[] = [[12, bytes(1)], [1, bytes(1)], [3, bytes(1)]];
  assert.deepEqual(inClientOrder(parts, Uint8Array.of(3, 99, 1)).map(([c]) => c), [3, 1, 12]);
  assert.deepEqual(inClientOrder(parts, null).map(([c]) => c), [12, 1, 3]);
});

Deno.test("describeFit() says option for one left out and options for two", () => {
  assert.equal(
    describeFit({ leftOut: [119], overload: 0 }, 548),
    "left out option 119 to fit 576 bytes",
  );
  assert.equal(
    describeFit({ leftOut: [119, 252], overload: 0 }, 548),
    "left out options 119, 252 to fit 576 bytes",
  );
});

Deno.test("fitOptions() keeps in the options field what fills it to its last byte", () => {
  // 548 - 240 = 308 bytes: 53 (3), 200 and 201 (152 each) and END (1) fill it exactly.
  const exact: (readonly [number, Uint8Array])[] = [[53, bytes(1)], [200, bytes(150)], [
    201,
    bytes(150),
  ]];
  const reply = draft();
  assert.deepEqual(fitOptions(reply, exact, 548, true), { leftOut: [], overload: 0 });
  assert.deepEqual([...reply.options.keys()], [53, 200, 201]);
  // One byte more and one of them moves to file.
  const over = [...exact.slice(0, 2), [201, bytes(151)] as const];
  assert.notDeepEqual(fitOptions(draft(), over, 548, true), { leftOut: [], overload: 0 });
  // An option of no value (80, Rapid Commit) still takes its code and length: 2 bytes too many.
  const rapid = [...exact, [80, new Uint8Array(0)] as const];
  assert.notDeepEqual(fitOptions(draft(), rapid, 548, true), { leftOut: [], overload: 0 });
});

Deno.test("fitOptions() leaves out the first option when it is the only one that may go", () => {
  // 200 comes first and fits nowhere (308 bytes of options field, 63 of sname); 53 is never left out.
  const reply = draft();
  assert.deepEqual(fitOptions(reply, [[200, bytes(400)], [53, bytes(1)]], 548, false), {
    leftOut: [200],
    overload: 0,
  });
  assert.deepEqual([...reply.options.keys()], [53]);
});
