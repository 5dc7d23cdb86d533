/** Unix stream sockets through libc: accept, read, write, end of stream, close waking waits. */
import assert from "node:assert/strict";
import {
  connectUnixStream,
  UnixConnectError,
  type UnixStreamConn,
  UnixStreamListener,
} from "../../ffi/unix_stream.ts";

/** Rejects when `work` has not settled within `ms` (a wait that never wakes fails, not hangs). */
async function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A listener at a fresh path and one accepted connection pair. */
async function withPair(
  body: (server: UnixStreamConn, client: UnixStreamConn, path: string) => Promise<void>,
): Promise<void> {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/s.sock`;
  const listener = UnixStreamListener.listen(path);
  try {
    const accepting = listener.accept();
    const client = connectUnixStream(path);
    const server = await bounded(accepting, 2000, "accept");
    assert.ok(server !== null);
    try {
      await body(server, client, path);
    } finally {
      client.close();
      server.close();
    }
  } finally {
    listener.close();
    Deno.removeSync(dir, { recursive: true });
  }
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytesOf = (s: string) => new TextEncoder().encode(s);

Deno.test("accept, read and write both ways; the end of stream reads null, again and again", async () => {
  await withPair(async (server, client) => {
    const buf = new Uint8Array(64);
    await client.write(bytesOf("ping\n"));
    const n = await bounded(server.read(buf), 2000, "server read");
    assert.equal(text(buf.subarray(0, n!)), "ping\n");
    await server.write(bytesOf("pong\n"));
    const m = await bounded(client.read(buf.subarray(10)), 2000, "client read");
    assert.equal(text(buf.subarray(10, 10 + m!)), "pong\n");
    client.close();
    assert.equal(await bounded(server.read(buf), 2000, "read at EOF"), null);
    assert.equal(await server.read(buf), null);
    await assert.rejects(client.write(bytesOf("late")), /connection closed/);
  });
});

Deno.test("close() wakes a pending accept (null) and a pending read (null); later accepts are null", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const listener = UnixStreamListener.listen(`${dir}/s.sock`);
    const waiting = listener.accept();
    setTimeout(() => listener.close(), 20);
    assert.equal(await bounded(waiting, 2000, "accept after close"), null);
    assert.equal(await listener.accept(), null);
    listener.close(); // idempotent
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  await withPair(async (server) => {
    const reading = server.read(new Uint8Array(16));
    setTimeout(() => server.close(), 20);
    assert.equal(await bounded(reading, 2000, "read after close"), null);
  });
});

Deno.test("write() delivers a large buffer whole, in order, to a reader that takes small bites", async () => {
  await withPair(async (server, client) => {
    const big = new Uint8Array(4 << 20).map((_, i) => (i * 7 + (i >> 12)) & 0xff);
    const writing = server.write(big);
    const got = new Uint8Array(big.length);
    const bite = new Uint8Array(1000);
    let at = 0;
    // Small bites and a few pauses: the writer's send waits for room many times over.
    for (let reads = 1; at < big.length; reads++) {
      const n = await bounded(client.read(bite), 5000, "reader");
      assert.ok(n !== null, `stream ended at ${at}`);
      got.set(bite.subarray(0, n), at);
      at += n;
      if (reads % 512 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await bounded(writing, 5000, "writer");
    assert.equal(at, big.length);
    assert.ok(got.every((b, i) => b === big[i]), "same bytes in the same order");
  });
});

/**
 * Runs in a child process so that a write which blocks the JS thread (a synchronous send) shows as
 * a timeout here rather than a hung test run.
 */
const NEVER_READ_SCRIPT = `
import { connectUnixStream, UnixStreamListener } from ${
  JSON.stringify(new URL("../../ffi/unix_stream.ts", import.meta.url).href)
};
const dir = Deno.makeTempDirSync();
const listener = UnixStreamListener.listen(dir + "/s.sock");
const accepting = listener.accept();
const client = connectUnixStream(dir + "/s.sock");
const server = await accepting;
// Far more than the socket buffers hold: the send waits for a reader that never comes.
const settled = server.write(new Uint8Array(64 << 20)).then(() => "written", (e) => e.message);
let ticks = 0;
await new Promise((resolve) => {
  const timer = setInterval(() => {
    if (++ticks === 5) { clearInterval(timer); resolve(); }
  }, 10);
});
console.log("ticks " + ticks);
server.close();
console.log(await settled);
client.close();
listener.close();
Deno.removeSync(dir, { recursive: true });
`;

Deno.test("a peer that never reads does not hold the JS thread; close() ends the stuck write", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const script = `${dir}/never_read.ts`;
    Deno.writeTextFileSync(script, NEVER_READ_SCRIPT);
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-ffi", "--allow-read", "--allow-write", script],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000),
    }).output();
    const out = new TextDecoder().decode(run.stdout);
    assert.equal(run.code, 0, `${out}${new TextDecoder().decode(run.stderr)}`);
    assert.match(out, /^ticks 5\nCannot send on .*: connection closed\n$/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("connect() names why: nobody there, a stale socket (refused), and bind() refuses a taken path", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/s.sock`;
    assert.throws(() => connectUnixStream(path), (e: unknown) => {
      assert.ok(e instanceof UnixConnectError);
      assert.equal(e.reason, "No such file or directory");
      assert.equal(e.refused, false);
      return true;
    });
    UnixStreamListener.listen(path).close(); // leaves the file, as a killed daemon does
    assert.ok(Deno.lstatSync(path).isSocket);
    assert.throws(() => connectUnixStream(path), (e: unknown) => {
      assert.ok(e instanceof UnixConnectError);
      assert.equal(e.refused, true);
      assert.equal(e.message, `Cannot connect to ${path}: Connection refused`);
      return true;
    });
    assert.throws(
      () => UnixStreamListener.listen(path),
      /Cannot bind\(.*\): Address already in use/,
    );
    Deno.removeSync(path);
    const again = UnixStreamListener.listen(path);
    const accepting = again.accept();
    connectUnixStream(path).close();
    const conn = await bounded(accepting, 2000, "accept on the replaced socket");
    assert.ok(conn !== null);
    assert.equal(await bounded(conn.read(new Uint8Array(8)), 2000, "read"), null);
    conn.close();
    again.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
