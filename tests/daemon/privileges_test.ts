/** Unit tests (no root) for src/daemon/privileges.ts: the dropped-state check and setpriv's arguments. */
import assert from "node:assert/strict";
import { parseStatus } from "../../ffi/privileges.ts";
import {
  droppedPrivilegeProblems,
  NET_CAPABILITIES,
  setprivArguments,
} from "../../src/daemon/privileges.ts";

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

Deno.test("NET_CAPABILITIES is CAP_NET_ADMIN and CAP_NET_RAW only: 0x3000", () => {
  assert.equal(NET_CAPABILITIES, 0x3000n);
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
