/** Unit tests (no root) for ffi/privileges.ts: /proc status parsing, passwd lookups, this process's threads. */
import assert from "node:assert/strict";
import {
  currentCapabilities,
  formatCapabilities,
  lookupAccount,
  parseStatus,
} from "../../ffi/privileges.ts";

const DROPPED = `Name:\tnfdhcpd
Uid:\t65534\t65534\t65534\t65534
Gid:\t65534\t65534\t65534\t65534
Groups:\t
CapInh:\t0000000000003000
CapPrm:\t0000000000003000
CapEff:\t0000000000003000
CapBnd:\t0000000000003000
CapAmb:\t0000000000003000
NoNewPrivs:\t1
`;

Deno.test("parseStatus() reads ids, groups, capability sets and no_new_privs", () => {
  assert.deepEqual(parseStatus(42, DROPPED), {
    tid: 42,
    uids: [65534, 65534, 65534, 65534],
    gids: [65534, 65534, 65534, 65534],
    groups: [],
    inheritable: 0x3000n,
    permitted: 0x3000n,
    effective: 0x3000n,
    bounding: 0x3000n,
    ambient: 0x3000n,
    noNewPrivs: true,
  });
  assert.equal(formatCapabilities(0x3000n), "0000000000003000");
  assert.equal(formatCapabilities(0x1ffffffffffn), "000001ffffffffff");
});

Deno.test("lookupAccount() finds users by name and by uid, and names a missing one", () => {
  assert.deepEqual(lookupAccount("root"), { name: "root", uid: 0, gid: 0 });
  assert.deepEqual(lookupAccount("0"), { name: "root", uid: 0, gid: 0 });
  assert.throws(
    () => lookupAccount("no-such-user-nfdhcpd"),
    /^Error: Cannot find user no-such-user-nfdhcpd: no such user in the passwd database$/,
  );
});

Deno.test("currentCapabilities() sees every thread of this process", () => {
  const threads = currentCapabilities();
  assert.ok(threads.length > 1, "Deno runs several threads");
  assert.ok(threads.some((t) => t.tid === Deno.pid), "the main thread's tid is the pid");
  assert.throws(() => currentCapabilities(2 ** 22 + 1), /no such process/);
});
