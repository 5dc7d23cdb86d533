/** The unix datagram socket's address (ffi/unix_datagram.ts): sockaddr_un for paths and abstract names. */
import assert from "node:assert/strict";
import { unixAddress } from "../../ffi/unix_datagram.ts";

Deno.test("unixAddress() lays out sockaddr_un for paths and abstract names", () => {
  const path = unixAddress("/run/systemd/notify");
  assert.equal(path.length, 2 + "/run/systemd/notify".length + 1);
  assert.deepEqual([...path.bytes.subarray(0, 3)], [1, 0, "/".charCodeAt(0)]);
  const abstract = unixAddress("@x");
  assert.equal(abstract.length, 2 + 1 + 1);
  assert.deepEqual([...abstract.bytes.subarray(0, 4)], [1, 0, 0, "x".charCodeAt(0)]);
  assert.throws(() => unixAddress(`/${"a".repeat(107)}`), /longer than 107 bytes/);
  assert.throws(() => unixAddress("@"), /empty/);
});
