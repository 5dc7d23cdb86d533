/** `nfdhcpd clients`: the table's columns (IPv6 addresses and delegated prefixes), alignment, "ago" times; the exit codes. */
import assert from "node:assert/strict";
import { clientsCommand, formatClients } from "../../src/cli/clients.ts";
import type { ClientReport, Request } from "../../src/control/protocol.ts";
import { capturing } from "../console.ts";
import { withServer } from "../control/with_server.ts";

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

const NOW = 1_700_000_000_000;

const SEEN = client("tap1", {
  mac: "52:54:00:12:34:56",
  ipv4: "10.0.0.5",
  ipv6: "2001:db8::5",
  addresses6: ["2001:db8::5"],
  hostname: "web1",
  flags: ["macspoof", "v6"],
  lastRequest: { protocol: "dhcp4", type: "REQUEST", at: NOW - 5_000 },
  lastReply: { type: "ACK", address: "10.0.0.5", at: NOW - 4_000 },
  lastRefusal: { reason: "spoofed", why: "spoofed MAC 52:54:00:00:00:09", at: NOW - 61_000 },
});

const NEVER = client("tap10", { present: false, mac: "52:54:00:00:00:0a" });

Deno.test("formatClients() gives a header and one aligned row per binding, '-' for none", () => {
  const lines = formatClients([SEEN, NEVER], NOW);
  assert.deepEqual(lines, [
    "TAP    TAP?     MAC                IPV4      IPV6         HOSTNAME  FLAGS        " +
    "LAST REQUEST          LAST REPLY           LAST REFUSAL",
    "tap1   present  52:54:00:12:34:56  10.0.0.5  2001:db8::5  web1      macspoof,v6  " +
    "dhcp4 REQUEST 5s ago  ACK 10.0.0.5 4s ago  spoofed 1m 01s ago: spoofed MAC " +
    "52:54:00:00:00:09",
    "tap10  absent   52:54:00:00:00:0a  -         -            -         -            " +
    "-                     -                    -",
  ]);
});

Deno.test("formatClients() writes a reply without an address as its type alone", () => {
  const replied: ClientReport = {
    ...NEVER,
    lastReply: { type: "RA", address: null, at: NOW - 2_000 },
  };
  const [, row] = formatClients([replied], NOW);
  assert.ok(row!.includes("  RA 2s ago  "), row);
});

Deno.test("formatClients() with no binding is the header alone, without trailing spaces", () => {
  assert.deepEqual(formatClients([], NOW), [
    "TAP  TAP?  MAC  IPV4  IPV6  HOSTNAME  FLAGS  LAST REQUEST  LAST REPLY  LAST REFUSAL",
  ]);
});

Deno.test("clients: a second TAP is a usage error (2); no daemon on the socket exits 3", async () => {
  const usage = await capturing(() => clientsCommand(["tap1", "tap2"]));
  assert.equal(usage.result, 2);
  assert.match(usage.err[0]!, /^nfdhcpd: too many arguments\n\nUsage: nfdhcpd clients/);
  const dir = await Deno.makeTempDir();
  try {
    const absent = await capturing(() => clientsCommand(["--socket", `${dir}/none.sock`, "tap1"]));
    assert.equal(absent.result, 3);
    assert.match(absent.err[0]!, /^nfdhcpd is not running: cannot connect to .*none\.sock/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("clients TAP asks for that TAP; --json prints the reports; a TAP without binding exits 1", async () => {
  const asked: Request[] = [];
  await withServer((r) => {
    asked.push(r);
    return { clients: r.tap === "tap1" ? [SEEN] : [] };
  }, async (path) => {
    const json = await capturing(() => clientsCommand(["--json", "--socket", path, "tap1"]));
    assert.equal(json.result, 0);
    assert.deepEqual(JSON.parse(json.out[0]!), [SEEN]);
    const table = await capturing(() => clientsCommand(["--socket", path]));
    assert.equal(table.result, 0);
    assert.deepEqual(table.out, [formatClients([], 0).join("\n")]);
    const none = await capturing(() => clientsCommand(["--socket", path, "tap9"]));
    assert.equal(none.result, 1);
    assert.deepEqual(none.err, ["nfdhcpd: no binding for tap9"]);
  });
  assert.deepEqual(asked.map((r) => r.tap), ["tap1", null, "tap9"]);
});
