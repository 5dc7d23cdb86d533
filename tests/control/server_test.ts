/**
 * The control server on a real unix socket: answers, bounds, a live socket, trace. Every
 * test runs without net permission, as the daemon and the CLI do (Deno's own unix sockets need
 * `--allow-net=unix:<path>`; ours go through libc).
 */
import assert from "node:assert/strict";
import { connectUnixStream } from "../../ffi/unix_stream.ts";
import { ask, stream } from "../../src/control/client.ts";
import { ControlServer } from "../../src/control/server.ts";
import { TraceHub } from "../../src/control/trace.ts";
import { AS_SHIPPED, OFFER_EVENT, type TraceHook, withServer } from "./with_server.ts";

/** A server answering `status` with a pid and the TAP asked for, anything else with no clients. */
function withStatusServer(
  body: (path: string, hook: TraceHook) => Promise<void>,
  limits = { maxClients: 2, requestTimeoutMs: 200, writeTimeoutMs: 1000 },
): Promise<void> {
  return withServer(
    (r) => r.command === "status" ? { pid: 7, tap: r.tap } : { clients: [] },
    body,
    limits,
  );
}

/** Connects and sends `text`; returns what the server wrote until it closed. */
async function raw(path: string, text: string): Promise<string> {
  const conn = connectUnixStream(path);
  await conn.write(new TextEncoder().encode(text));
  const chunks: string[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(new TextDecoder().decode(buf.subarray(0, n)));
  }
  conn.close();
  return chunks.join("");
}

Deno.test({
  name: "ControlServer answers one request line with one JSON line, on a 0660 socket",
  permissions: AS_SHIPPED,
}, async () => {
  await withStatusServer(async (path) => {
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o660);
    assert.deepEqual(await ask(path, { command: "status", tap: null }), { pid: 7, tap: null });
    assert.equal(
      await raw(path, '{"command":"nope"}\n'),
      `${
        JSON.stringify({
          error: 'Unknown command "nope": expected one of status, clients, metrics, trace',
        })
      }\n`,
    );
  });
});

Deno.test({
  name: "ControlServer refuses a request past 4 KiB and closes a client that sends nothing",
  permissions: AS_SHIPPED,
}, async () => {
  await withStatusServer(async (path) => {
    assert.equal(await raw(path, "x".repeat(5000)), '{"error":"Request line too long"}\n');
    const started = Date.now();
    assert.equal(await raw(path, ""), "");
    assert.ok(Date.now() - started < 2000, "closed after the request timeout");
    // Still serving after both.
    assert.deepEqual(await ask(path, { command: "status", tap: "tap1" }), { pid: 7, tap: "tap1" });
  });
});

Deno.test({
  name: "ControlServer tells clients past its limit to come back, and serves the others",
  permissions: AS_SHIPPED,
}, async () => {
  await withStatusServer(async (path) => {
    const idle = [
      connectUnixStream(path),
      connectUnixStream(path),
    ];
    assert.equal(
      await raw(path, '{"command":"status"}\n'),
      '{"error":"Too many control clients; try again"}\n',
    );
    for (const c of idle) c.close();
  }, { maxClients: 2, requestTimeoutMs: 5000, writeTimeoutMs: 1000 });
});

Deno.test({
  name: "ControlServer streams trace lines while a client listens, and unhooks when it leaves",
  permissions: AS_SHIPPED,
}, async () => {
  await withStatusServer(async (path, hook) => {
    assert.equal(hook.current, null, "no hook without a trace client");
    const lines: unknown[] = [];
    const stop = new AbortController();
    const done = stream(path, { command: "trace", tap: "tap1" }, (v) => {
      lines.push(v);
      if (lines.length === 1) stop.abort();
    }, stop.signal);
    const deadline = Date.now() + 2000;
    while (hook.current === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const event = OFFER_EVENT;
    hook.current!({ ...event, tap: "tap2" }); // filtered out
    hook.current!(event);
    await done;
    assert.deepEqual(lines, [{
      at: 0,
      tap: "tap1",
      protocol: "dhcp4",
      request: "DISCOVER",
      mac: "52:54:00:00:00:01",
      clientId: null,
      requested: [1, 3],
      outcome: "reply",
      reply: "OFFER",
      address: "10.0.0.5",
      options: [53, 54],
      reason: null,
      why: "DHCPOFFER",
    }]);
    const until = Date.now() + 2000;
    while (hook.current !== null && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    assert.equal(hook.current, null, "the hook is removed with the last trace client");
  });
});

Deno.test({
  name: "ControlServer.open() refuses a socket a running daemon answers on",
  permissions: AS_SHIPPED,
}, async () => {
  await withStatusServer(async (path) => {
    await assert.rejects(
      ControlServer.open(path, { answer: () => ({}), trace: new TraceHub(() => {}) }, () => {}),
      /Cannot open the control socket: a running daemon answers/,
    );
    assert.deepEqual(await ask(path, { command: "status", tap: null }), { pid: 7, tap: null });
  });
});

Deno.test({
  name: "ControlServer answers a request whose handler throws with the error, logs it, serves on",
  permissions: AS_SHIPPED,
}, async () => {
  const logged: string[] = [];
  await withServer(
    (r) => {
      if (r.command === "clients") throw new Error("boom");
      return { ok: true };
    },
    async (path) => {
      assert.equal(
        await raw(path, '{"command":"clients"}\n'),
        '{"error":"clients failed: boom"}\n',
      );
      assert.deepEqual(await ask(path, { command: "status", tap: null }), { ok: true });
    },
    undefined,
    (m) => logged.push(m),
  );
  assert.deepEqual(logged, ["Control socket: clients failed: boom"]);
});

Deno.test({
  name: "ControlServer answers a request that is not JSON with why, and closes",
  permissions: AS_SHIPPED,
}, async () => {
  await withStatusServer(async (path) => {
    assert.equal(
      await raw(path, "status\n"),
      '{"error":"Cannot parse the request: not JSON"}\n',
    );
  });
});
