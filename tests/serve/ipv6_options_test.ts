/** IPv6 options: PREF64 in RAs, per-binding NAMESERVERS6 and DOMAIN_SEARCH, DHCPv6's own lifetimes. */
import assert from "node:assert/strict";
import { dhcp6Responder } from "../../src/serve/dhcp6.ts";
import { ReplyMemo } from "../../src/serve/memo.ts";
import { routerAdvertisement } from "../../src/serve/router_advert.ts";
import { DHCP6_MESSAGE } from "../../src/wire/dhcp6.ts";
import { findDhcp6Option } from "../../src/wire/dhcp6_options.ts";
import { ICMPV6_TYPE } from "../../src/wire/icmpv6.ts";
import {
  emitNdMessage,
  findNdOption,
  ndMessageLength,
  parseNdMessage,
} from "../../src/wire/ndp.ts";
import { contextOf } from "./context.ts";
import { packet, STATEFUL } from "./dhcp6_setup.ts";
import { BINDING, binding, config, decodeDhcp6Frame, INDEV, replyFrame, v6 } from "./ipv6_setup.ts";

/** The RA for `b` and `c`, emitted and parsed back, as a VM sees it. */
function advertSeen(b = BINDING, c = config()) {
  const ra = routerAdvertisement(b, c, INDEV, new ReplyMemo());
  assert.ok(ra !== null);
  const bytes = new Uint8Array(ndMessageLength(ra));
  emitNdMessage(ra, bytes);
  const parsed = parseNdMessage({
    type: ICMPV6_TYPE.routerAdvertisement,
    code: 0,
    checksum: 0,
    checksumValid: true,
    body: bytes.subarray(4),
  });
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
  return parsed.value;
}

Deno.test("routerAdvertisement() announces [ipv6] nat64_prefix in PREF64 for every prefix length", () => {
  for (const [text, length] of [["64:ff9b::", 96], ["2001:db8:6400::", 40], ["2001:db8::", 32]]) {
    const c = config({
      raPeriod: 600,
      nat64Prefix: { prefix: v6(text as string), prefixLength: length as number },
    });
    const pref64 = findNdOption(advertSeen(BINDING, c).options, "pref64");
    assert.ok(pref64 !== undefined, `${text}/${length}`);
    assert.equal(pref64.prefixLength, length);
    assert.deepEqual([...pref64.prefix], [...v6(text as string)]);
    // 3 × ra_period, in units of 8 seconds.
    assert.equal(pref64.lifetime, 1800);
  }
  // Lifetimes past 13 bits of 8 seconds are capped, not wrapped.
  const long = config({
    raPeriod: 86400,
    nat64Prefix: { prefix: v6("64:ff9b::"), prefixLength: 96 },
  });
  assert.equal(findNdOption(advertSeen(BINDING, long).options, "pref64")?.lifetime, 65528);
  assert.equal(findNdOption(advertSeen().options, "pref64"), undefined);
});

Deno.test("routerAdvertisement() takes a binding's NAMESERVERS6 and DOMAIN_SEARCH over the config's", () => {
  const own = binding({
    overrides: { nameservers6: [v6("2001:db8:aa::53")], domainSearch: ["tenant.example"] },
  });
  const options =
    advertSeen(own, config({ nameservers: [v6("2001:db8::53")], domains: ["example.test"] }))
      .options;
  assert.deepEqual(findNdOption(options, "rdnss")?.servers.map((s) => [...s]), [[
    ...v6("2001:db8:aa::53"),
  ]]);
  assert.deepEqual(findNdOption(options, "dnssl")?.domains, ["tenant.example"]);
});

Deno.test("answerDhcp6() leases with [ipv6] dhcpv6_lease_* and sends the binding's NAMESERVERS6 and DOMAIN_SEARCH", () => {
  const own = binding({
    overrides: { nameservers6: [v6("2001:db8:aa::53")], domainSearch: ["tenant.example"] },
  });
  const ipv6 = {
    ...config({ mode: "dhcpv6" }),
    dhcpv6LeaseLifetime: 7200,
    dhcpv6LeaseRenewal: 1000,
  };
  const decision = dhcp6Responder.answer(
    packet(STATEFUL, 1),
    contextOf({ binding: own, ipv6, indev: INDEV }),
  );
  const { dhcp } = decodeDhcp6Frame(replyFrame(decision));
  assert.equal(dhcp.msgType, DHCP6_MESSAGE.advertise);
  const ia = findDhcp6Option(dhcp.options, "iaNa");
  assert.ok(ia !== undefined);
  assert.equal(ia.t1, 1000);
  assert.equal(ia.t2, 5760);
  assert.equal(findDhcp6Option(ia.options, "iaAddress")?.validLifetime, 7200);
  assert.deepEqual(findDhcp6Option(dhcp.options, "dnsServers")?.servers.map((s) => [...s]), [[
    ...v6("2001:db8:aa::53"),
  ]]);
  assert.deepEqual(findDhcp6Option(dhcp.options, "domainList")?.domains, ["tenant.example"]);
});
