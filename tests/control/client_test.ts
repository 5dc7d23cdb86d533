/**
 * The control client: which socket it picks, how it reports failures, and how it reads one answer
 * or a stream from a peer on a real unix socket in a temporary directory.
 */
import assert from "node:assert/strict";
import { type UnixStreamConn, UnixStreamListener } from "../../ffi/unix_stream.ts";
import {
  ask,
  ControlError,
  EXIT_NOT_RUNNING,
  NotRunningError,
  reportFailure,
  socketPath,
  stream,
} from "../../src/control/client.ts";
import { CONFIG_DEFAULTS } from "../../src/config/config.ts";
import { capturing } from "../console.ts";
import { AS_SHIPPED } from "./with_server.ts";
import { inTempDir } from "../temp_dir.ts";

/** A configuration that loads (DHCP needs server_ip), with `general` lines added. */
const conf = (general: string) => `[general]\n${general}\n[dhcp]\nserver_ip = 192.0.2.1\n`;

/**
 * A peer that reads one request line, hands it to `reply`, and writes the chunks `reply` gives,
 * one write each, then closes; returns what each client asked.
 */
async function withPeer(
  reply: (request: string) => string[],
  body: (path: string) => Promise<void>,
): Promise<string[]> {
  const asked: string[] = [];
  await inTempDir(async (dir) => {
    const listener = UnixStreamListener.listen(`${dir}/peer.sock`);
    const serving = (async () => {
      for (;;) {
        const conn: UnixStreamConn | null = await listener.accept().catch(() => null);
        if (conn === null) return;
        const buf = new Uint8Array(4096);
        let text = "";
        while (!text.includes("\n")) {
          const n = await conn.read(buf);
          if (n === null) break;
          text += new TextDecoder().decode(buf.subarray(0, n));
        }
        asked.push(text);
        try {
          for (const chunk of reply(text)) await conn.write(new TextEncoder().encode(chunk));
        } catch {
          // the client left early
        }
        conn.close();
      }
    })();
    try {
      await body(`${dir}/peer.sock`);
    } finally {
      listener.close();
      await serving;
    }
  });
  return asked;
}

Deno.test("socketPath() takes --socket as given, without reading any configuration", async () => {
  assert.equal(
    await socketPath({ socket: "/x.sock", config: "/nonexistent.conf" }),
    "/x.sock",
  );
});

Deno.test("socketPath() reads control_socket from -c; an empty one or a broken file throws", async () => {
  await inTempDir(async (dir) => {
    const set = `${dir}/set.conf`;
    await Deno.writeTextFile(set, conf(`control_socket = ${dir}/c.sock`));
    assert.equal(await socketPath({ config: set }), `${dir}/c.sock`);
    const unset = `${dir}/unset.conf`;
    await Deno.writeTextFile(unset, conf(""));
    assert.equal(await socketPath({ config: unset }), CONFIG_DEFAULTS.controlSocket);
    const off = `${dir}/off.conf`;
    await Deno.writeTextFile(off, conf("control_socket ="));
    await assert.rejects(socketPath({ config: off }), new Error(`${off} sets no control_socket`));
    await assert.rejects(
      socketPath({ config: `${dir}/none.conf` }),
      /^Error: Cannot read the configuration: /,
    );
  });
});

Deno.test("reportFailure() gives 3 for no daemon, with its message; 1 for anything else", async () => {
  const absent = await capturing(() =>
    reportFailure(new NotRunningError("/run/c.sock", "No such file or directory"))
  );
  assert.equal(absent.result, EXIT_NOT_RUNNING);
  assert.equal(EXIT_NOT_RUNNING, 3);
  assert.deepEqual(absent.err, [
    "nfdhcpd is not running: cannot connect to /run/c.sock (No such file or directory)",
  ]);
  const other = await capturing(() => reportFailure(new ControlError("nfdhcpd answered: busy")));
  assert.equal(other.result, 1);
  assert.deepEqual(other.err, ["nfdhcpd: nfdhcpd answered: busy"]);
});

Deno.test({
  name: "ask() sends one JSON line and parses the answer, even when it comes in pieces",
  permissions: AS_SHIPPED,
}, async () => {
  const asked = await withPeer(() => ['{"pid":', "7}", "\n"], async (path) => {
    assert.deepEqual(await ask(path, { command: "status", tap: "tap1" }), { pid: 7 });
  });
  assert.deepEqual(asked, ['{"command":"status","tap":"tap1"}\n']);
});

Deno.test({
  name: "ask() throws ControlError for an error answer and for a peer that closes unanswered",
  permissions: AS_SHIPPED,
}, async () => {
  let answer = ['{"error":"Too many control clients; try again"}\n'];
  await withPeer(() => answer, async (path) => {
    await assert.rejects(
      ask(path, { command: "status", tap: null }),
      new ControlError("nfdhcpd answered: Too many control clients; try again"),
    );
    answer = ['{"half":'];
    await assert.rejects(
      ask(path, { command: "status", tap: null }),
      new ControlError(`nfdhcpd sent no answer on ${path}`),
    );
  });
});

Deno.test({
  name: "ask() with nobody listening throws NotRunningError naming the path",
  permissions: AS_SHIPPED,
}, async () => {
  await inTempDir(async (dir) => {
    const error = await ask(`${dir}/none.sock`, { command: "status", tap: null }).catch((e) => e);
    assert.ok(error instanceof NotRunningError);
    assert.equal(error.path, `${dir}/none.sock`);
    assert.match(error.message, /^nfdhcpd is not running: cannot connect to .*none\.sock \(.+\)$/);
  });
});

Deno.test({
  name: "stream() passes on every line after the acknowledgement, lines split across writes",
  permissions: AS_SHIPPED,
}, async () => {
  const lines: unknown[] = [];
  const asked = await withPeer(
    () => ['{"trace":"all"}\n{"n":1}\n{"n"', ":2}\n", '{"n":3}\n'],
    async (path) => {
      await stream(path, { command: "trace", tap: null }, (v) => lines.push(v));
    },
  );
  assert.deepEqual(asked, ['{"command":"trace","tap":null}\n']);
  assert.deepEqual(lines, [{ n: 1 }, { n: 2 }, { n: 3 }]);
});

Deno.test({
  name: "stream() throws the daemon's refusal instead of passing it on",
  permissions: AS_SHIPPED,
}, async () => {
  const lines: unknown[] = [];
  await withPeer(() => ['{"error":"Request line too long"}\n'], async (path) => {
    await assert.rejects(
      stream(path, { command: "trace", tap: null }, (v) => lines.push(v)),
      new ControlError("nfdhcpd answered: Request line too long"),
    );
  });
  assert.deepEqual(lines, []);
});

Deno.test({
  name: "stream() returns when its signal aborts, while the daemon keeps the stream open",
  permissions: AS_SHIPPED,
}, async () => {
  await inTempDir(async (dir) => {
    const listener = UnixStreamListener.listen(`${dir}/open.sock`);
    const accepted = listener.accept();
    const stop = new AbortController();
    const lines: unknown[] = [];
    const done = stream(`${dir}/open.sock`, { command: "trace", tap: null }, (v) => {
      lines.push(v);
      stop.abort();
    }, stop.signal);
    const conn = (await accepted)!;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await conn.write(new TextEncoder().encode('{"trace":"all"}\n{"n":1}\n'));
      const late = new Promise<string>((r) => timer = setTimeout(() => r("still streaming"), 5000));
      assert.equal(await Promise.race([done.then(() => "returned"), late]), "returned");
      assert.deepEqual(lines, [{ n: 1 }]);
    } finally {
      clearTimeout(timer);
      conn.close();
      listener.close();
      await done;
    }
  });
});
