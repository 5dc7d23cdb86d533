/** Tests for the status and clients answers, built from a plain view of the daemon. */
import assert from "node:assert/strict";
import { parseBinding } from "../../src/bindings/binding.ts";
import { clientsReport, type DaemonView } from "../../src/control/reports.ts";
import { Traffic } from "../../src/metrics/traffic.ts";

function bindingOf(tap: string, extra = ""): ReturnType<typeof parseBinding> & { ok: true } {
  const result = parseBinding(tap, `MAC=52:54:00:00:00:01\nIP=10.0.0.5\n${extra}`);
  assert.ok(result.ok);
  return result;
}

function view(changing: ReadonlyMap<string, number> | undefined): DaemonView {
  const bindings = [bindingOf("tap2", "MACSPOOF=1\n").binding, bindingOf("tap1").binding];
  return {
    startedAt: 0,
    configPath: "/etc/nfdhcpd/nfdhcpd.conf",
    queues: [],
    kernelQueues: () => null,
    packets: () => ({ packets: 0, accepted: 0, dropped: 0, enobufs: 0 }),
    dispatcher: { stats: { replies: 0, drops: 0, passes: 0, errors: 0 }, traffic: new Traffic() },
    bindings: () => bindings,
    bindingCount: () => bindings.length,
    rejectedBindings: () => 0,
    tapExists: (tap) => tap === "tap1",
    changingBindings: changing && (() => changing),
    lastReload: () => null,
  };
}

Deno.test("clientsReport() lists bindings by TAP and flags those whose file is changing", () => {
  const { clients } = clientsReport(view(new Map([["tap2", 1]])), null);
  assert.deepEqual(clients.map((c) => [c.tap, c.present, c.flags]), [
    ["tap1", true, []],
    ["tap2", false, ["MACSPOOF", "CHANGING"]],
  ]);
  const quiet = clientsReport(view(undefined), "tap2").clients;
  assert.deepEqual(quiet.map((c) => c.flags), [["MACSPOOF"]]);
});

Deno.test("clientsReport() gives every leased IPv6 address and the delegated prefixes; none without them", () => {
  const routed = bindingOf(
    "tap5",
    "SUBNET6=2001:db8:1::/64\nEUI64=2001:db8:1::5\nIP6=2001:db8:1::50, 2001:db8:1::51\n" +
      "PREFIX6=2001:db8:500::/56, 2001:db8:600::/64\n",
  ).binding;
  const plain = bindingOf("tap6", "SUBNET6=2001:db8:1::/64\n").binding;
  const bindings = [routed, plain];
  const { clients } = clientsReport({ ...view(undefined), bindings: () => bindings }, null);
  assert.deepEqual(clients.map((c) => [c.tap, c.ipv6, c.addresses6, c.prefixes6]), [
    [
      "tap5",
      "2001:db8:1::5",
      ["2001:db8:1::5", "2001:db8:1::50", "2001:db8:1::51"],
      ["2001:db8:500::/56", "2001:db8:600::/64"],
    ],
    ["tap6", "2001:db8:1:0:5054:ff:fe00:1", ["2001:db8:1:0:5054:ff:fe00:1"], []],
  ]);
  const v4only = clientsReport(view(undefined), "tap1").clients;
  assert.deepEqual(v4only.map((c) => [c.ipv6, c.addresses6, c.prefixes6]), [[null, [], []]]);
});
