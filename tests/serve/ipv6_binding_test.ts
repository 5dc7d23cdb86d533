/**
 * What a binding means on the IPv6 side: the host's link-local, the VM's addresses in order,
 * the search domains, and the checks every solicitation passes before a responder reads it.
 */
import assert from "node:assert/strict";
import { formatIpv6 } from "../../src/address.ts";
import type { Decision } from "../../src/serve/decision.ts";
import {
  hostLinkLocal,
  leasedAddresses,
  readNdRequest,
  searchDomains,
  vmAddress,
  vmAddresses,
} from "../../src/serve/ipv6_binding.ts";
import { ReplyMemo } from "../../src/serve/memo.ts";
import type { NdOption } from "../../src/wire/ndp.ts";
import {
  binding,
  config,
  craftNd,
  editNd,
  GUEST_LL,
  GUEST_SLAAC,
  HOST_LL,
  INDEV,
  v6,
} from "./ipv6_setup.ts";

const text = (list: readonly Uint8Array[]) => list.map(formatIpv6);

Deno.test("hostLinkLocal() is fe80::/64 with the EUI-64 identifier of INDEV's MAC", () => {
  assert.equal(formatIpv6(hostLinkLocal(INDEV)), HOST_LL);
});

Deno.test("vmAddress() is the SLAAC address in a /64 SUBNET6 without EUI64 or IP6", () => {
  assert.equal(formatIpv6(vmAddress(binding())!), GUEST_SLAAC);
  assert.equal(
    formatIpv6(vmAddress(binding({ subnet6: { prefix: v6("2001:db8::"), prefixLength: 48 } }))!),
    "2001:db8::5054:ff:fe77:10",
    "a /48 still leaves 64 bits for the identifier",
  );
});

Deno.test("vmAddress() is null without SUBNET6, and beyond /64 when nothing is named", () => {
  assert.equal(vmAddress(binding({ subnet6: null })), null);
  assert.equal(
    vmAddress(binding({ subnet6: { prefix: v6("2001:db8:77::"), prefixLength: 65 } })),
    null,
  );
});

Deno.test("leasedAddresses() is EUI64 then IP6, each once; the SLAAC address only when none is named", () => {
  const named = binding({
    eui64: v6("2001:db8:77::a"),
    dhcp6: { addresses: [v6("2001:db8:77::b"), v6("2001:db8:77::a"), v6("2001:db8:77::c")] },
  });
  assert.deepEqual(text(leasedAddresses(named)), [
    "2001:db8:77::a",
    "2001:db8:77::b",
    "2001:db8:77::c",
  ]);
  assert.equal(formatIpv6(vmAddress(named)!), "2001:db8:77::a");
  assert.deepEqual(
    text(leasedAddresses(binding({ dhcp6: { addresses: [v6("2001:db8:77::b")] } }))),
    [
      "2001:db8:77::b",
    ],
  );
  assert.deepEqual(text(leasedAddresses(binding())), [GUEST_SLAAC]);
  assert.deepEqual(leasedAddresses(binding({ subnet6: null })), []);
  const beyond64 = binding({
    subnet6: { prefix: v6("2001:db8:77::"), prefixLength: 80 },
    eui64: v6("2001:db8:77::a"),
  });
  assert.deepEqual(text(leasedAddresses(beyond64)), ["2001:db8:77::a"]);
});

Deno.test("vmAddresses() adds the SLAAC address to what is named, once", () => {
  const named = binding({ eui64: v6("2001:db8:77::a"), dhcp6: { addresses: [v6(GUEST_SLAAC)] } });
  assert.deepEqual(text(vmAddresses(named)), ["2001:db8:77::a", GUEST_SLAAC]);
  assert.deepEqual(text(vmAddresses(binding({ eui64: v6("2001:db8:77::a") }))), [
    "2001:db8:77::a",
    GUEST_SLAAC,
  ]);
});

Deno.test("searchDomains() are [ipv6] domains, else the hostname's domain part, else none", () => {
  const memo = new ReplyMemo();
  assert.deepEqual(searchDomains(binding(), config({ domains: ["a.example"] }), memo), [
    "a.example",
  ]);
  const noDomains = config({ domains: [] });
  assert.deepEqual(searchDomains(binding({ hostname: "vm1.b.example" }), noDomains, memo), [
    "b.example",
  ]);
  assert.deepEqual(searchDomains(binding({ hostname: "vm1" }), config({ domains: [] }), memo), []);
  assert.deepEqual(searchDomains(binding({ hostname: "vm1." }), config({ domains: [] }), memo), []);
});

Deno.test("searchDomains() leaves out a name that cannot be encoded", () => {
  const long = "a".repeat(64);
  assert.deepEqual(
    searchDomains(
      binding(),
      config({ domains: [`${long}.example`, "ok.example"] }),
      new ReplyMemo(),
    ),
    ["ok.example"],
  );
});

Deno.test("searchDomains() comes from the memo until the settings or binding change", () => {
  const memo = new ReplyMemo();
  const settings = config({ domains: ["a.example"] });
  const b = binding();
  const first = searchDomains(b, settings, memo);
  assert.equal(searchDomains(b, settings, memo), first, "the same array: a hit");
  assert.deepEqual(searchDomains(b, config({ domains: ["c.example"] }), memo), ["c.example"]);
});

const SLLAO = (address: Uint8Array): NdOption => ({ kind: "sourceLinkLayer", address });
const NS = (options: NdOption[]) => ({
  kind: "neighbourSolicitation" as const,
  target: v6(HOST_LL),
  options,
});

/** The reason of a refusal; fails when the request was read. */
function refused(read: ReturnType<typeof readNdRequest>): string {
  assert.ok("kind" in read, "refused");
  const d = read as Decision;
  assert.equal(d.kind, "drop");
  return `${(d as { reason: string }).reason}: ${d.why}`;
}

Deno.test("readNdRequest() reads a valid NS, with its SLLAO's MAC", () => {
  const mac = Uint8Array.of(0x52, 0x54, 0, 0x77, 0, 0x10);
  const read = readNdRequest(craftNd(NS([SLLAO(mac)]), GUEST_LL, HOST_LL), "neighbourSolicitation");
  assert.ok(!("kind" in read));
  assert.equal(read.message.kind, "neighbourSolicitation");
  assert.deepEqual(read.sourceMac, mac);
  assert.equal(formatIpv6(read.ip.src), GUEST_LL);
  const bare = readNdRequest(craftNd(NS([]), GUEST_LL, HOST_LL), "neighbourSolicitation");
  assert.ok(!("kind" in bare) && bare.sourceMac === null);
});

Deno.test("readNdRequest() refuses another ICMPv6 type as unsupported, on the queue it came to", () => {
  const rs = craftNd({ kind: "routerSolicitation", options: [] }, GUEST_LL, "ff02::2");
  assert.equal(
    refused(readNdRequest(rs, "neighbourSolicitation")),
    "unsupported: NS queue: ICMPv6 type 133 is not 135",
  );
  assert.ok(!("kind" in readNdRequest(rs, "routerSolicitation")));
});

Deno.test("readNdRequest() refuses as malformed: hop limit, multicast source, code, checksum", () => {
  const ok = craftNd(NS([]), GUEST_LL, HOST_LL);
  const from = `NS from ${GUEST_LL}`;
  assert.equal(
    refused(readNdRequest(craftNd(NS([]), GUEST_LL, HOST_LL, 64), "neighbourSolicitation")),
    `malformed: ${from}: hop limit 64, not 255`,
  );
  assert.equal(
    refused(readNdRequest(craftNd(NS([]), "ff02::1", HOST_LL), "neighbourSolicitation")),
    "malformed: NS from ff02::1: multicast source address",
  );
  const code = editNd(ok, (b) => b[41] = 1);
  assert.equal(
    refused(readNdRequest(code, "neighbourSolicitation")),
    `malformed: ${from}: ICMP code 1`,
  );
  const sum = ok.slice();
  sum[42]! ^= 0xff;
  assert.equal(
    refused(readNdRequest(sum, "neighbourSolicitation")),
    `malformed: ${from}: bad ICMPv6 checksum`,
  );
});

Deno.test("readNdRequest() refuses a group MAC in SLLAO, one of 14 bytes, and any SLLAO from ::", () => {
  const from = `NS from ${GUEST_LL}`;
  const group = craftNd(NS([SLLAO(Uint8Array.of(1, 0, 0x5e, 0, 0, 1))]), GUEST_LL, HOST_LL);
  assert.equal(
    refused(readNdRequest(group, "neighbourSolicitation")),
    `malformed: ${from}: link-layer address option is a group address`,
  );
  const fromAny = craftNd(NS([SLLAO(Uint8Array.of(2, 0, 0, 0, 0, 1))]), "::", "ff02::1:ff77:1");
  assert.equal(
    refused(readNdRequest(fromAny, "neighbourSolicitation")),
    "malformed: NS from ::: link-layer address option from ::",
  );
  const long = new Uint8Array(14);
  long[0] = 2;
  const wide = craftNd(NS([SLLAO(long)]), GUEST_LL, HOST_LL);
  assert.equal(
    refused(readNdRequest(wide, "neighbourSolicitation")),
    `malformed: ${from}: link-layer address of 14 bytes`,
  );
});
