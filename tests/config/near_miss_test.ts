/** editDistance() and nearMiss(): the known name a misspelt one was probably meant to be. */
import assert from "node:assert/strict";
import { editDistance, nearMiss } from "../../src/config/near_miss.ts";

Deno.test("editDistance() counts insertions, deletions and substitutions, ignoring case", () => {
  assert.equal(editDistance("dhcp", "dhcp"), 0);
  assert.equal(editDistance("DHCP_Queue", "dhcp_queue"), 0);
  assert.equal(editDistance("dhcp_queu", "dhcp_queue"), 1);
  assert.equal(editDistance("dhcp_queues", "dhcp_queue"), 1);
  assert.equal(editDistance("dhcp_qveue", "dhcp_queue"), 1);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("abc", ""), 3);
  assert.equal(editDistance("kitten", "sitting"), 3);
});

Deno.test("editDistance() counts a swap of two neighbours as one edit", () => {
  assert.equal(editDistance("dhpc", "dhcp"), 1);
  assert.equal(editDistance("ab", "ba"), 1);
  assert.equal(editDistance("nameservres", "nameservers"), 1);
  // Only one of the two letters matches across: no swap, two edits.
  assert.equal(editDistance("ca", "ab"), 2);
  // Not neighbours: no swap either.
  assert.equal(editDistance("pchd", "dhcp"), 3);
});

Deno.test("nearMiss() gives the nearest candidate within 2 edits", () => {
  const keys = ["dhcp_queue", "server_ip", "nameservers", "domain"];
  assert.equal(nearMiss("dhcp_queu", keys), "dhcp_queue");
  assert.equal(nearMiss("nameserver", keys), "nameservers");
  assert.equal(nearMiss("servr_ipp", keys), "server_ip");
  assert.equal(nearMiss("dhcp_qxxxe", keys), undefined, "3 edits is too far, even in 10 letters");
});

Deno.test("nearMiss() allows a third of the longer name: nothing for short unrelated names", () => {
  assert.equal(nearMiss("x", ["ip"]), undefined);
  assert.equal(nearMiss("xp", ["ip"]), undefined, "1 edit, but 2 letters allow none");
  assert.equal(nearMiss("ipv", ["ip"]), "ip", "3 letters allow 1 edit");
  assert.equal(nearMiss("mtuu", ["mtu"]), "mtu", "4 letters allow 1 edit");
  assert.equal(nearMiss("mtxx", ["mtu"]), undefined, "2 edits where 4 letters allow 1");
  assert.equal(nearMiss("doman", ["domain"]), "domain", "6 letters allow 2 edits");
});

Deno.test("nearMiss() prefers the nearer candidate, and the earlier one on a tie", () => {
  assert.equal(nearMiss("rs_queue", ["ns_queue", "rs_queue2", "rs_queue"]), "rs_queue");
  assert.equal(nearMiss("xs_queue", ["rs_queue", "ns_queue"]), "rs_queue");
  assert.equal(nearMiss("xs_queue", ["ns_queue", "rs_queue"]), "ns_queue");
  assert.equal(nearMiss("anything", []), undefined);
});

Deno.test("nearMiss() takes any iterable of names, a Set as the readers give", () => {
  assert.equal(nearMiss("enable_dhpc", new Set(["enable_dhcp", "enable_ipv6"])), "enable_dhcp");
});
