/** Tests for the table of `nfdhcpd clients`: its IPV6 column with several addresses and delegated prefixes. */
import assert from "node:assert/strict";
import { formatClients } from "../../src/cli/clients.ts";
import type { ClientReport } from "../../src/control/protocol.ts";

const client = (tap: string, changes: Partial<ClientReport>): ClientReport => ({
  tap,
  present: true,
  mac: "52:54:00:00:00:05",
  ipv4: null,
  ipv6: null,
  addresses6: [],
  prefixes6: [],
  hostname: null,
  flags: [],
  lastRequest: null,
  lastReply: null,
  lastRefusal: null,
  ...changes,
});

Deno.test("formatClients() shows one address as before, several and the delegated prefixes comma-separated", () => {
  const lines = formatClients([
    client("tap1", { ipv4: "10.0.0.5", hostname: "web1" }),
    client("tap2", { ipv6: "2001:db8::2", addresses6: ["2001:db8::2"], hostname: "db1" }),
    client("tap5", {
      ipv6: "2001:db8::5",
      addresses6: ["2001:db8::5", "2001:db8::50"],
      prefixes6: ["2001:db8:500::/56"],
      hostname: "node5",
    }),
  ], 0);
  assert.deepEqual(lines.map((line) => line.split(/\s{2,}/).slice(0, 6)), [
    ["TAP", "TAP?", "MAC", "IPV4", "IPV6", "HOSTNAME"],
    ["tap1", "present", "52:54:00:00:00:05", "10.0.0.5", "-", "web1"],
    ["tap2", "present", "52:54:00:00:00:05", "-", "2001:db8::2", "db1"],
    [
      "tap5",
      "present",
      "52:54:00:00:00:05",
      "-",
      "2001:db8::5,2001:db8::50,2001:db8:500::/56",
      "node5",
    ],
  ]);
});
