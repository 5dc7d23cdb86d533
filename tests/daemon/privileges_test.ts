/** Unit tests (no root) for ffi/privileges.ts: /proc status parsing, the checks, setpriv's arguments. */
import assert from "node:assert/strict";
import {
  currentCapabilities,
  droppedPrivilegeProblems,
  formatCapabilities,
  lookupAccount,
  NET_CAPABILITIES,
  parseStatus,
  setprivArguments,
} from "../../ffi/privileges.ts";
import { selfCommandLine } from "../../ffi/process.ts";

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
  assert.equal(NET_CAPABILITIES, 0x3000n);
  assert.equal(formatCapabilities(NET_CAPABILITIES), "0000000000003000");
});

Deno.test("droppedPrivilegeProblems() accepts exactly the dropped state and names each deviation", () => {
  const nobody = { uid: 65534, gid: 65534 };
  assert.deepEqual(droppedPrivilegeProblems([parseStatus(1, DROPPED)], nobody), []);
  const root = DROPPED.replaceAll("65534", "0").replace("Groups:\t", "Groups:\t0 4")
    .replace("CapBnd:\t0000000000003000", "CapBnd:\t000001ffffffffff")
    .replace("NoNewPrivs:\t1", "NoNewPrivs:\t0");
  assert.deepEqual(
    droppedPrivilegeProblems([parseStatus(1, DROPPED), parseStatus(2, root)], nobody),
    [
      "thread 2: uids 0 0 0 0",
      "thread 2: gids 0 0 0 0",
      "thread 2: supplementary groups 0 4",
      "thread 2: CapBnd 000001ffffffffff, not 0000000000003000",
      "thread 2: no_new_privs is not set",
    ],
  );
  assert.deepEqual(droppedPrivilegeProblems([], nobody), ["no thread found"]);
});

Deno.test("setprivArguments() keeps only net_admin and net_raw in every set", () => {
  assert.deepEqual(
    setprivArguments({ name: "nobody", uid: 65534, gid: 65534 }, "/usr/sbin/nfdhcpd", ["-c", "x"]),
    [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "--inh-caps=-all,+net_admin,+net_raw",
      "--ambient-caps=-all,+net_admin,+net_raw",
      "--bounding-set=-all,+net_admin,+net_raw",
      "--no-new-privs",
      "--",
      "/usr/sbin/nfdhcpd",
      "-c",
      "x",
    ],
  );
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

Deno.test("selfCommandLine() gives this program again: deno's absolute path and its arguments", () => {
  const self = selfCommandLine();
  assert.equal(self.program, Deno.execPath());
  assert.equal(self.args[0], "test");
  for (const arg of Deno.args) assert.ok(self.args.includes(arg));
});
