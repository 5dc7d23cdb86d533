/** planFirewall(): the queues of the services the configuration enables; the plan in words. */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/config.ts";
import { describePlan, familyOf, planFirewall } from "../../src/firewall/plan.ts";
import { ALL } from "./statements.ts";

/** The configuration of `text`, which must be valid. */
function config(text: string) {
  const r = parseConfig(`[dhcp]\nserver_ip = 192.0.2.1\n${text}`, "test.conf");
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.config;
}

Deno.test("planFirewall() of the defaults queues DHCPv4, RS, NS and DHCPv6 on 42 to 45", () => {
  assert.deepEqual(planFirewall(config(""), false), ALL);
});

Deno.test("planFirewall() follows renumbered queues and carries --bridged", () => {
  const plan = planFirewall(
    config("dhcp_queue = 100\n[ipv6]\nrs_queue = 101\nns_queue = 102\ndhcpv6_queue = 103\n"),
    true,
  );
  assert.deepEqual(plan.rules.map((r) => r.queue), [100, 101, 102, 103]);
  assert.equal(plan.bridged, true);
});

Deno.test("planFirewall() leaves out a service that is off, and the queues its mode does not use", () => {
  assert.deepEqual(planFirewall(config("[ipv6]\nenable_ipv6 = no\n"), false).rules, [
    { kind: "dhcp4", queue: 42 },
  ]);
  assert.deepEqual(
    planFirewall(
      config("enable_dhcp = no\n[ipv6]\nmode = slaac\nrs_queue = 43\nns_queue = 44\n"),
      false,
    ).rules,
    [{ kind: "rs", queue: 43 }, { kind: "ns", queue: 44 }],
  );
});

Deno.test("familyOf() is 4 for DHCPv4 only", () => {
  assert.deepEqual(
    (["dhcp4", "rs", "ns", "dhcp6"] as const).map(familyOf),
    [4, 6, 6, 6],
  );
});

Deno.test("describePlan() names each service and queue, or says nothing is queued", () => {
  assert.equal(
    describePlan({
      rules: [{ kind: "dhcp4", queue: 42 }, { kind: "dhcp6", queue: 45 }],
      bridged: false,
    }),
    "DHCPv4 to 42, DHCPv6 to 45",
  );
  assert.equal(
    describePlan({ rules: [], bridged: true }),
    "nothing (the configuration queues no request)",
  );
});
