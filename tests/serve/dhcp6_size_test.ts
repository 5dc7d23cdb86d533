/** DHCPv6 replies always fit the link, however many IAs or addresses the client lists. */
import assert from "node:assert/strict";
import { DHCP6_MESSAGE, type Dhcp6Message } from "../../src/wire/dhcp6.ts";
import type { Dhcp6Option } from "../../src/wire/dhcp6_options.ts";
import { answer, leased, reply, request, STATEFUL, STATEFUL_CONFIG } from "./dhcp6_setup.ts";
import { assertDrop, BINDING, binding, craftDhcp6, replyFrame, v6 } from "./ipv6_setup.ts";

const emptyIa = (iaid: number): Dhcp6Option => ({ kind: "iaNa", iaid, t1: 0, t2: 0, options: [] });

/** The captured Solicit asking for 85 IA_NAs: the first the capture's, then 84 more. */
function greedySolicit(): Uint8Array {
  const req = request(STATEFUL, 1);
  const more = Array.from({ length: 84 }, (_, i) => emptyIa(1000 + i));
  return craftDhcp6({ ...req, options: [...req.options, ...more] });
}

Deno.test("answerDhcp6() answers a Solicit with 85 IA_NAs within IPv6's minimum MTU", () => {
  const frame = replyFrame(answer(greedySolicit()));
  assert.ok(frame.length - 14 <= 1280, `a reply of ${frame.length - 14} bytes`);
  const m = reply(frame, DHCP6_MESSAGE.advertise, request(STATEFUL, 1).transactionId);
  const ias = m.options.filter((o) => o.kind === "iaNa");
  // The first IA gets the VM's address; as many refused IAs as fit say NoAddrsAvail.
  assert.deepEqual(ias[0], leased(0x00770010));
  assert.ok(ias.length > 1 && ias.length < 85, `${ias.length} IAs`);
  for (const ia of ias.slice(1)) {
    assert.deepEqual(ia.kind === "iaNa" && ia.options.map((o) => o.kind), ["statusCode"]);
  }
});

Deno.test("answerDhcp6() returns at most a few of the stale addresses a Renew lists", () => {
  const renew = request(STATEFUL, 14);
  const stale = Array.from({ length: 100 }, (_, i): Dhcp6Option => ({
    kind: "iaAddress",
    address: Uint8Array.of(0x20, 1, 0xd, 0xb8, 0, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 2, i),
    preferredLifetime: 0,
    validLifetime: 0,
    options: [],
  }));
  const options = renew.options.map((o) =>
    o.kind === "iaNa" ? { ...o, options: [...o.options, ...stale] } : o
  );
  const message: Dhcp6Message = { ...renew, options };
  const frame = replyFrame(answer(craftDhcp6(message)));
  assert.ok(frame.length - 14 <= 1280, `a reply of ${frame.length - 14} bytes`);
  // The capture's reply is unchanged in kind: a Reply whose IA holds the VM's address first.
  const m = reply(frame, DHCP6_MESSAGE.reply, renew.transactionId);
  const ia = m.options.find((o) => o.kind === "iaNa");
  assert.ok(ia?.kind === "iaNa" && ia.options.length <= 1 + 8);
});

Deno.test("answerDhcp6() leaves out the binding's options, from the last, when the reply would not fit", () => {
  const big = (code: number) => ({ code, data: new Uint8Array(500), always: true });
  const b = binding({ dhcp6: { options: [big(65001), big(65002), big(65003)] } });
  const decision = answer(craftDhcp6(request(STATEFUL, 7)), b);
  const frame = replyFrame(decision);
  assert.ok(frame.length - 14 <= 1280, `a reply of ${frame.length - 14} bytes`);
  assert.match(decision.why, /; options 65003 left out to fit 1280 bytes$/);
  const m = reply(frame, DHCP6_MESSAGE.reply, request(STATEFUL, 7).transactionId);
  assert.deepEqual(
    m.options.flatMap((o) => o.kind === "unknown" ? [o.code] : []),
    [39, 65001, 65002],
  );
  // The lease itself is never left out.
  assert.deepEqual(m.options[2], leased(0x00770010));
});

Deno.test("answerDhcp6() refuses as too-large a reply that does not fit without what it may leave out", () => {
  // 80 name servers (option 23, 1,284 bytes) are never left out: nothing makes the reply fit.
  const nameservers = Array.from({ length: 80 }, (_, i) => v6(`2001:db8::${i + 1}`));
  const decision = answer(craftDhcp6(request(STATEFUL, 7)), BINDING, {
    ...STATEFUL_CONFIG,
    nameservers,
  });
  assertDrop(
    decision,
    /exceeds 1280 bytes even without refused IAs and extra options/,
    "too-large",
  );
});
