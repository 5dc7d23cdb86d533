/**
 * nfdhcpd.conf values at both ends of each allowed range (queues 0..65535, ra_period from 1,
 * lease times up to 2^32-1), one past each end, and the thresholds of the warnings.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/config.ts";
import type { Config } from "../../src/config/types.ts";

const FILE = "/etc/nfdhcpd/nfdhcpd.conf";

function ok(text: string): { config: Config; warnings: string[] } {
  const result = parseConfig(text, FILE);
  if (!result.ok) assert.fail(`unexpected errors:\n${result.errors.join("\n")}`);
  return result;
}

function errors(text: string): string[] {
  const result = parseConfig(text, FILE);
  if (result.ok) assert.fail(`expected errors for:\n${text}`);
  return result.errors;
}

/** A file with `dhcp` and `ipv6` lines added to a minimal valid one. */
function conf(dhcp: string, ipv6 = ""): string {
  return `[dhcp]\nserver_ip = 192.0.2.1\n${dhcp}\n[ipv6]\n${ipv6}\n`;
}

Deno.test("queue numbers: 0 and 65535 are taken, 65536 is not", () => {
  assert.equal(ok(conf("dhcp_queue = 0")).config.dhcp.queue, 0);
  assert.equal(ok(conf("dhcp_queue = 65535")).config.dhcp.queue, 65535);
  assert.match(
    errors(conf("dhcp_queue = 65536")).join("\n"),
    /dhcp_queue.*out of range \(0 to 65535\): 65536/,
  );
  const ipv6 = ok(conf("", "rs_queue = 0\nns_queue = 65535\ndhcpv6_queue = 1")).config.ipv6;
  assert.deepEqual([ipv6.rsQueue, ipv6.nsQueue, ipv6.dhcpv6Queue], [0, 65535, 1]);
  for (const key of ["rs_queue", "ns_queue", "dhcpv6_queue"]) {
    assert.match(errors(conf("", `${key} = 65536`)).join("\n"), new RegExp(`${key}.*out of range`));
  }
  assert.match(errors(conf("dhcp_queue = -1")).join("\n"), /not a non-negative integer/);
});

Deno.test("ra_period: 1 is the least, 0 is refused; up to 1800 without a warning", () => {
  assert.equal(ok(conf("", "ra_period = 1")).config.ipv6.raPeriod, 1);
  assert.match(
    errors(conf("", "ra_period = 0")).join("\n"),
    /ra_period.*out of range \(1 to 4294967295\): 0/,
  );
  const at = ok(conf("", "ra_period = 1800"));
  assert.equal(at.config.ipv6.raPeriod, 1800);
  assert.deepEqual(at.warnings, []);
  const over = ok(conf("", "ra_period = 1801"));
  assert.equal(over.warnings.length, 1);
  assert.match(over.warnings[0]!, /1801 s is above the 1800 s/);
  assert.equal(ok(conf("", "ra_period = 4294967295")).config.ipv6.raPeriod, 4294967295);
  assert.match(errors(conf("", "ra_period = 4294967296")).join("\n"), /out of range/);
});

Deno.test("lease times: 0 and 2^32-1 are taken, 2^32 is not; renewal up to the lifetime is quiet", () => {
  const zero = ok(conf("lease_lifetime = 0\nlease_renewal = 0"));
  assert.equal(zero.config.dhcp.leaseLifetime, 0);
  assert.deepEqual(zero.warnings, []);
  const max = ok(conf("lease_lifetime = 4294967295\nlease_renewal = 4294967295"));
  assert.equal(max.config.dhcp.leaseLifetime, 4294967295);
  assert.deepEqual(max.warnings, [], "renewal equal to the lifetime");
  assert.match(
    errors(conf("lease_lifetime = 4294967296")).join("\n"),
    /lease_lifetime.*out of range/,
  );
  assert.match(
    errors(conf("lease_renewal = 4294967296")).join("\n"),
    /lease_renewal.*out of range/,
  );
  const beyond = ok(conf("lease_lifetime = 600\nlease_renewal = 601"));
  assert.equal(beyond.warnings.length, 1);
  assert.match(beyond.warnings[0]!, /601 exceeds lease_lifetime 600/);
});

Deno.test("domain names: 253 characters and 63-character labels at most", () => {
  const label63 = "a".repeat(63);
  assert.equal(ok(conf(`domain = ${label63}.test`)).config.dhcp.domain, `${label63}.test`);
  assert.match(errors(conf(`domain = a${label63}.test`)).join("\n"), /domain/);
  // 3 labels of 63 + 1 of 61, with dots: 253; one more character is 254.
  const name253 = `${label63}.${label63}.${label63}.${"b".repeat(61)}`;
  assert.equal(name253.length, 253);
  assert.equal(ok(conf(`domain = ${name253}`)).config.dhcp.domain, name253);
  assert.equal(ok(conf(`domain = ${name253}.`)).config.dhcp.domain, `${name253}.`, "root dot");
  assert.match(errors(conf(`domain = ${name253}b`)).join("\n"), /domain/);
  assert.deepEqual(ok(conf("", `domains = ${name253}, x.test`)).config.ipv6.domains, [
    name253,
    "x.test",
  ]);
  assert.match(errors(conf("", `domains = ${label63}b.test`)).join("\n"), /domains/);
  assert.match(errors(conf("domain = a..test")).join("\n"), /domain/, "an empty label");
});
