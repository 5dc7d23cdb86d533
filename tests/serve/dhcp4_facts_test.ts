/** The DHCPv4 memo key (src/serve/dhcp4_facts.ts): every fact but the xid, each compared. */
import assert from "node:assert/strict";
import { dhcp4FactValues, dhcp4MemoKey, matchesDhcp4Key } from "../../src/serve/dhcp4_facts.ts";

const FACTS = { op: 1, xid: 0x1234, chaddr: Uint8Array.of(1, 2, 3), type: 1, prl: null };

Deno.test("matchesDhcp4Key() compares every fact, the first and last too, but never the xid", () => {
  const key = dhcp4MemoKey(FACTS);
  assert.ok(matchesDhcp4Key(key, dhcp4FactValues(FACTS)));
  assert.ok(matchesDhcp4Key(key, dhcp4FactValues({ ...FACTS, xid: 0x9999 })), "another xid");
  assert.ok(!matchesDhcp4Key(key, dhcp4FactValues({ ...FACTS, op: 2 })), "the first fact");
  assert.ok(
    !matchesDhcp4Key(key, dhcp4FactValues({ ...FACTS, prl: Uint8Array.of(1) })),
    "the last",
  );
  assert.ok(!matchesDhcp4Key(key, dhcp4FactValues({ ...FACTS, type: 3 })));
  // Bytes by value: equal bytes match, a byte or a length more does not.
  assert.ok(matchesDhcp4Key(key, dhcp4FactValues({ ...FACTS, chaddr: Uint8Array.of(1, 2, 3) })));
  assert.ok(!matchesDhcp4Key(key, dhcp4FactValues({ ...FACTS, chaddr: Uint8Array.of(1, 2, 4) })));
  assert.ok(
    !matchesDhcp4Key(key, dhcp4FactValues({ ...FACTS, chaddr: Uint8Array.of(1, 2, 3, 0) })),
  );
  assert.ok(!matchesDhcp4Key(key, dhcp4FactValues({ ...FACTS, chaddr: null })));
  assert.ok(!matchesDhcp4Key(key, [...dhcp4FactValues(FACTS), 0]), "one value more");
});

Deno.test("dhcp4MemoKey() copies bytes: changing the request afterwards does not change the key", () => {
  const chaddr = Uint8Array.of(1, 2, 3);
  const key = dhcp4MemoKey({ ...FACTS, chaddr });
  chaddr[0] = 9;
  assert.ok(matchesDhcp4Key(key, dhcp4FactValues(FACTS)));
});
