/** The IA options of a DHCPv6 reply: lifetimes from the configuration, one IA_NA and one IA_PD served. */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/config.ts";
import { dhcp6Lifetimes, leaseIas, status } from "../../src/serve/dhcp6_ia.ts";
import type { Dhcp6Message } from "../../src/wire/dhcp6.ts";
import { DHCP6_STATUS, type Dhcp6Option } from "../../src/wire/dhcp6_options.ts";
import { v6 } from "./ipv6_setup.ts";

/** The configuration of `text` after a [dhcp] section that loads. */
function config(text: string) {
  const r = parseConfig(`[dhcp]\nserver_ip = 192.0.2.1\n${text}`, "t.conf");
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.config;
}

Deno.test("dhcp6Lifetimes() defaults to [dhcp]'s lease keys, and the prefixes to the address lifetime", () => {
  assert.deepEqual(dhcp6Lifetimes(config("lease_lifetime = 1000\nlease_renewal = 300\n")), {
    lifetime: 1000,
    renewal: 300,
    prefixPreferred: 1000,
    prefixValid: 1000,
  });
});

Deno.test("dhcp6Lifetimes() takes [ipv6]'s own keys; a preferred lifetime is capped at the valid one", () => {
  const c = config(
    "[ipv6]\ndhcpv6_lease_lifetime = 7200\ndhcpv6_lease_renewal = 600\n" +
      "dhcpv6_prefix_valid_lifetime = 5000\ndhcpv6_prefix_preferred_lifetime = 4000\n",
  );
  assert.deepEqual(dhcp6Lifetimes(c), {
    lifetime: 7200,
    renewal: 600,
    prefixPreferred: 4000,
    prefixValid: 5000,
  });
  // The configuration refuses a preferred lifetime past the valid one; a Config built otherwise
  // still gets it capped.
  const past = { ...c, ipv6: { ...c.ipv6, prefixPreferredLifetime: 9000 } };
  assert.equal(dhcp6Lifetimes(past).prefixPreferred, 5000);
  const preferred = dhcp6Lifetimes(config("[ipv6]\ndhcpv6_prefix_preferred_lifetime = 100\n"));
  assert.equal(preferred.prefixPreferred, 100);
  assert.equal(preferred.prefixValid, 604800, "the default lease lifetime");
  const own = dhcp6Lifetimes(
    config("lease_lifetime = 1000\n[ipv6]\ndhcpv6_lease_lifetime = 7200\n"),
  );
  assert.deepEqual([own.prefixValid, own.prefixPreferred], [7200, 7200], "the DHCPv6 lifetime");
});

const LIFETIMES = { lifetime: 1000, renewal: 300, prefixPreferred: 800, prefixValid: 900 };
const OWN = v6("2001:db8:77::5");
const PREFIX = { prefix: v6("2001:db8:100::"), prefixLength: 56 };
const LEASABLE = { addresses: [OWN], prefixes: [PREFIX] };

const message = (options: Dhcp6Option[]): Dhcp6Message => ({
  kind: "message",
  msgType: 1,
  transactionId: 7,
  options,
});
const iaNa = (iaid: number, options: Dhcp6Option[] = []): Dhcp6Option => ({
  kind: "iaNa",
  iaid,
  t1: 0,
  t2: 0,
  options,
});
const iaPd = (iaid: number, options: Dhcp6Option[] = []): Dhcp6Option => ({
  kind: "iaPd",
  iaid,
  t1: 0,
  t2: 0,
  options,
});
const address = (a: Uint8Array, lifetime: number): Dhcp6Option => ({
  kind: "iaAddress",
  address: a,
  preferredLifetime: lifetime,
  validLifetime: lifetime,
  options: [],
});
const prefix = (p: typeof PREFIX, preferred: number, valid: number): Dhcp6Option => ({
  kind: "iaPrefix",
  preferredLifetime: preferred,
  validLifetime: valid,
  prefixLength: p.prefixLength,
  prefix: p.prefix,
  options: [],
});

Deno.test("leaseIas() gives the first IA_NA the addresses and the first IA_PD the prefixes, T1 <= T2 = 0.8 lifetime", () => {
  const { ias, assigned } = leaseIas(message([iaNa(1), iaPd(2)]), LEASABLE, LIFETIMES, false);
  assert.equal(assigned, true);
  assert.deepEqual(ias, [
    { kind: "iaNa", iaid: 1, t1: 300, t2: 800, options: [address(OWN, 1000)] },
    { kind: "iaPd", iaid: 2, t1: 300, t2: 640, options: [prefix(PREFIX, 800, 900)] },
  ]);
  const late = leaseIas(message([iaNa(1)]), LEASABLE, { ...LIFETIMES, renewal: 5000 }, false);
  assert.deepEqual([late.ias[0]!.kind === "iaNa" && late.ias[0]!.t1], [800], "T1 capped at T2");
});

Deno.test("leaseIas() answers later IAs, IA_TA and IAs it has nothing for with NoAddrsAvail or NoPrefixAvail", () => {
  const { ias } = leaseIas(
    message([iaNa(1), iaNa(2), { kind: "iaTa", iaid: 3, options: [] }, iaPd(4), iaPd(5)]),
    LEASABLE,
    LIFETIMES,
    false,
  );
  assert.equal(ias[3]!.kind === "iaPd" && ias[3]!.iaid, 4, "the first IA_PD is served");
  assert.deepEqual([ias[1], ias[2], ias[4]], [
    {
      kind: "iaNa",
      iaid: 2,
      t1: 0,
      t2: 0,
      options: [status(DHCP6_STATUS.noAddrsAvail, "one IA_NA per VM")],
    },
    { kind: "iaTa", iaid: 3, options: [status(DHCP6_STATUS.noAddrsAvail, "one IA_NA per VM")] },
    {
      kind: "iaPd",
      iaid: 5,
      t1: 0,
      t2: 0,
      options: [status(DHCP6_STATUS.noPrefixAvail, "one IA_PD per VM")],
    },
  ]);
  const none = leaseIas(
    message([iaNa(1), iaPd(2)]),
    { addresses: [], prefixes: [] },
    LIFETIMES,
    false,
  );
  assert.equal(none.assigned, false);
  assert.deepEqual(none.ias, [
    iaNa(1, [status(DHCP6_STATUS.noAddrsAvail, "no addresses for this client")]),
    iaPd(2, [status(DHCP6_STATUS.noPrefixAvail, "no prefixes")]),
  ]);
});

Deno.test("leaseIas() when extending says NoBinding, and returns the client's other addresses and prefixes at lifetime 0", () => {
  const other = v6("2001:db8:77::99");
  const otherPrefix = { prefix: v6("2001:db8:200::"), prefixLength: 56 };
  const { ias, assigned } = leaseIas(
    message([
      iaNa(1, [address(OWN, 50), address(other, 50)]),
      iaPd(2, [prefix(PREFIX, 1, 1), prefix(otherPrefix, 1, 1)]),
      iaNa(3),
      iaPd(4),
    ]),
    LEASABLE,
    LIFETIMES,
    true,
  );
  assert.equal(assigned, true);
  assert.deepEqual(ias, [
    { kind: "iaNa", iaid: 1, t1: 300, t2: 800, options: [address(OWN, 1000), address(other, 0)] },
    {
      kind: "iaPd",
      iaid: 2,
      t1: 300,
      t2: 640,
      options: [prefix(PREFIX, 800, 900), prefix(otherPrefix, 0, 0)],
    },
    iaNa(3, [status(DHCP6_STATUS.noBinding, "no binding for this IA")]),
    iaPd(4, [status(DHCP6_STATUS.noBinding, "no binding for this IA")]),
  ]);
});

Deno.test("leaseIas() returns at most 8 of the client's stale addresses, and none when not extending", () => {
  const stale = Array.from({ length: 12 }, (_, i) => address(v6(`2001:db8:77::${i + 100}`), 5));
  const extending = leaseIas(message([iaNa(1, stale)]), LEASABLE, LIFETIMES, true);
  const got = extending.ias[0]!;
  assert.equal(got.kind === "iaNa" && got.options.length, 1 + 8);
  const fresh = leaseIas(message([iaNa(1, stale)]), LEASABLE, LIFETIMES, false);
  assert.deepEqual(fresh.ias[0], {
    kind: "iaNa",
    iaid: 1,
    t1: 300,
    t2: 800,
    options: [address(OWN, 1000)],
  });
});

Deno.test("leaseIas() keeps a prefix of another length apart from the VM's own", () => {
  const longer = { prefix: PREFIX.prefix, prefixLength: 64 };
  const { ias } = leaseIas(message([iaPd(2, [prefix(longer, 1, 1)])]), LEASABLE, LIFETIMES, true);
  assert.deepEqual(ias[0], {
    kind: "iaPd",
    iaid: 2,
    t1: 300,
    t2: 640,
    options: [prefix(PREFIX, 800, 900), prefix(longer, 0, 0)],
  });
});
