/** The control socket's file: a stale socket replaced, a live one and other files left alone, 0660. */
import assert from "node:assert/strict";
import { UnixStreamListener } from "../../ffi/unix_stream.ts";
import { clearSocketPath, listenUnix, SOCKET_MODE } from "../../src/control/socket_file.ts";
import { AS_SHIPPED } from "./with_server.ts";
import { inTempDir } from "../temp_dir.ts";

Deno.test({
  name: "clearSocketPath() of a path that does not exist is free (null)",
  permissions: AS_SHIPPED,
}, async () => {
  await inTempDir((dir) => assert.equal(clearSocketPath(`${dir}/none.sock`), null));
});

Deno.test({
  name: "clearSocketPath() removes a socket nobody listens on (a killed daemon's)",
  permissions: AS_SHIPPED,
}, async () => {
  await inTempDir((dir) => {
    const stale = `${dir}/stale.sock`;
    UnixStreamListener.listen(stale).close();
    assert.ok(Deno.lstatSync(stale).isSocket);
    assert.equal(clearSocketPath(stale), null);
    assert.throws(() => Deno.lstatSync(stale), Deno.errors.NotFound);
  });
});

Deno.test({
  name: "clearSocketPath() refuses, and keeps, a socket a daemon answers on and a plain file",
  permissions: AS_SHIPPED,
}, async () => {
  await inTempDir((dir) => {
    const live = `${dir}/live.sock`;
    const listener = UnixStreamListener.listen(live);
    try {
      assert.equal(clearSocketPath(live), `a running daemon answers on ${live}`);
      assert.ok(Deno.lstatSync(live).isSocket);
    } finally {
      listener.close();
    }
    const plain = `${dir}/plain`;
    Deno.writeTextFileSync(plain, "keep me");
    assert.equal(clearSocketPath(plain), `${plain} exists and is not a socket`);
    assert.equal(Deno.readTextFileSync(plain), "keep me");
    Deno.mkdirSync(`${dir}/sub`);
    assert.equal(clearSocketPath(`${dir}/sub`), `${dir}/sub exists and is not a socket`);
  });
});

Deno.test({
  name: "clearSocketPath() does not follow a link to a live socket: the link is no socket",
  permissions: AS_SHIPPED,
}, async () => {
  await inTempDir((dir) => {
    const listener = UnixStreamListener.listen(`${dir}/live.sock`);
    try {
      Deno.symlinkSync(`${dir}/live.sock`, `${dir}/link.sock`);
      assert.equal(
        clearSocketPath(`${dir}/link.sock`),
        `${dir}/link.sock exists and is not a socket`,
      );
    } finally {
      listener.close();
    }
  });
});

Deno.test({
  name: "listenUnix() binds with mode 0660 over a stale socket, and throws over a plain file",
  permissions: AS_SHIPPED,
}, async () => {
  await inTempDir((dir) => {
    const path = `${dir}/control.sock`;
    UnixStreamListener.listen(path).close();
    const listener = listenUnix(path);
    try {
      assert.equal(SOCKET_MODE, 0o660);
      assert.equal(Deno.statSync(path).mode! & 0o777, 0o660);
    } finally {
      listener.close();
    }
    Deno.writeTextFileSync(`${dir}/plain`, "");
    assert.throws(
      () => listenUnix(`${dir}/plain`),
      new Error(`Cannot open the control socket: ${dir}/plain exists and is not a socket`),
    );
  });
});
