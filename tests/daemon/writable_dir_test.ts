import assert from "node:assert/strict";
import { whyNotWritable } from "../../src/daemon/writable_dir.ts";

const nobody = { name: "nobody", uid: 65534, gid: 65534 };

Deno.test("whyNotWritable() accepts a directory the user owns with u+wx", () => {
  assert.equal(whyNotWritable("/run/x", { uid: 65534, gid: 0, mode: 0o40700 }, nobody), null);
});

Deno.test("whyNotWritable() uses the group bits for the user's primary group only", () => {
  assert.equal(whyNotWritable("/d", { uid: 0, gid: 65534, mode: 0o40770 }, nobody), null);
  assert.match(
    whyNotWritable("/d", { uid: 0, gid: 4, mode: 0o40770 }, nobody) ?? "",
    /not writable/,
  );
});

Deno.test("whyNotWritable() needs both write and search permission", () => {
  assert.notEqual(whyNotWritable("/d", { uid: 65534, gid: 0, mode: 0o40600 }, nobody), null);
  assert.notEqual(whyNotWritable("/d", { uid: 65534, gid: 0, mode: 0o40500 }, nobody), null);
  assert.equal(whyNotWritable("/d", { uid: 0, gid: 0, mode: 0o40777 }, nobody), null);
  assert.notEqual(whyNotWritable("/d", { uid: 0, gid: 0, mode: 0o40775 }, nobody), null);
});

Deno.test("whyNotWritable() owner bits win over other bits", () => {
  assert.notEqual(whyNotWritable("/d", { uid: 65534, gid: 0, mode: 0o40077 }, nobody), null);
});

Deno.test("whyNotWritable() names the user, the path, the owner and the mode", () => {
  assert.equal(
    whyNotWritable("/var/log", { uid: 0, gid: 4, mode: 0o40755 }, nobody),
    "/var/log is not writable by user nobody (uid 65534, gid 65534): it belongs to uid 0, gid 4 " +
      "with mode 0755; give it to nobody or choose another directory",
  );
});

Deno.test("whyNotWritable() lets root create files whatever the mode", () => {
  const root = { name: "root", uid: 0, gid: 0 };
  assert.equal(whyNotWritable("/d", { uid: 65534, gid: 65534, mode: 0o40500 }, root), null);
});
