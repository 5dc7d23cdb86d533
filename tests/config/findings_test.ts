/** Findings: problems kept in order with their place; messages in the daemon's form. */
import assert from "node:assert/strict";
import { describeProblem, Findings } from "../../src/config/findings.ts";

Deno.test("describeProblem() is `file [section] key (line N): reason`, leaving out what is unknown", () => {
  const at = {
    severity: "error",
    section: "dhcp",
    key: "server_ip",
    line: 7,
    reason: "bad",
  } as const;
  assert.equal(describeProblem("n.conf", at), "n.conf [dhcp] server_ip (line 7): bad");
  assert.equal(describeProblem("n.conf", { ...at, line: 0 }), "n.conf [dhcp] server_ip: bad");
  assert.equal(
    describeProblem("n.conf", { severity: "warning", section: "dns", line: 3, reason: "fork" }),
    "n.conf [dns] line 3: fork",
  );
  assert.equal(
    describeProblem("n.conf", { severity: "error", section: "", key: "x", line: 1, reason: "r" }),
    "n.conf x (line 1): r",
  );
});

Deno.test("Findings keeps problems in order, counts errors, and gives each severity's messages", () => {
  const f = new Findings();
  assert.equal(f.errorCount, 0);
  f.add("warning", { section: "general", key: "datadir", line: 2, reason: "renamed" });
  f.add("error", { section: "dhcp", key: "dhcp_queue", line: 5, reason: "out of range" });
  f.add("error", { section: "ipv6", line: 9, reason: "unknown section" });
  assert.equal(f.errorCount, 2);
  assert.deepEqual(f.problems.map((p) => p.severity), ["warning", "error", "error"]);
  assert.deepEqual(f.messages("c", "error"), [
    "c [dhcp] dhcp_queue (line 5): out of range",
    "c [ipv6] line 9: unknown section",
  ]);
  assert.deepEqual(f.messages("c", "warning"), ["c [general] datadir (line 2): renamed"]);
});
