/** Tests for sd_notify over unix datagram sockets, filesystem and abstract, and the watchdog. */
import assert from "node:assert/strict";
import { unixAddress, UnixDatagramReceiver } from "../../ffi/unix_datagram.ts";
import {
  notify,
  notifyReady,
  notifyStopping,
  parseNotification,
  startWatchdog,
  watchdogPeriodMs,
} from "../../src/daemon/notify.ts";

const decoder = new TextDecoder();

function abstractName(): string {
  return `@nfdhcpd-test-${Deno.pid}-${crypto.randomUUID()}`;
}

/** Runs `fn` with NOTIFY_SOCKET (and other variables) set, restoring them afterwards. */
async function withEnv(vars: Record<string, string | undefined>, fn: () => Promise<void> | void) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, val] of Object.entries(v)) {
      val === undefined ? Deno.env.delete(k) : Deno.env.set(k, val);
    }
  };
  apply(vars);
  try {
    await fn();
  } finally {
    apply(saved);
  }
}

Deno.test("notify() does nothing and says so when NOTIFY_SOCKET is unset", async () => {
  await withEnv({ NOTIFY_SOCKET: undefined }, () => {
    assert.equal(notifyReady(), false);
    assert.equal(notify("STOPPING=1"), false);
  });
});

Deno.test("notifyReady() and notifyStopping() reach an abstract-namespace socket", async () => {
  const address = abstractName();
  const receiver = new UnixDatagramReceiver(address);
  try {
    await withEnv({ NOTIFY_SOCKET: address }, async () => {
      assert.equal(notifyReady("serving 3 queues"), true);
      const ready = await receiver.receive(2000);
      assert.ok(ready);
      assert.equal(decoder.decode(ready), "READY=1\nSTATUS=serving 3 queues");
      assert.deepEqual(
        [...parseNotification(ready)],
        [["READY", "1"], ["STATUS", "serving 3 queues"]],
      );
      assert.equal(notifyStopping(), true);
      assert.equal(decoder.decode((await receiver.receive(2000))!), "STOPPING=1");
    });
  } finally {
    receiver.close();
  }
});

Deno.test("notify() reaches a socket bound at a path, and the receiver removes it", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-notify-" });
  const path = `${dir}/notify.sock`;
  const receiver = new UnixDatagramReceiver(path);
  try {
    assert.equal(notify("READY=1", path), true);
    assert.equal(decoder.decode((await receiver.receive(2000))!), "READY=1");
    assert.equal(await receiver.receive(50), null);
  } finally {
    receiver.close();
    assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("notify() throws naming the socket when nobody listens", () => {
  assert.throws(
    () => notify("READY=1", `${abstractName()}-nobody`),
    (e: unknown) =>
      e instanceof Error && /^Cannot sendto\(@nfdhcpd-test-.*-nobody\): /.test(e.message),
  );
});

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

Deno.test("watchdogPeriodMs() reads WATCHDOG_USEC, for us or for every process", () => {
  assert.equal(watchdogPeriodMs({}), null);
  assert.equal(watchdogPeriodMs({ WATCHDOG_USEC: "30000000" }), 30000);
  assert.equal(
    watchdogPeriodMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: String(Deno.pid) }),
    30000,
  );
  assert.equal(watchdogPeriodMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "1" }), null);
  assert.equal(watchdogPeriodMs({ WATCHDOG_USEC: "soon" }), null);
});

Deno.test("startWatchdog() pings WATCHDOG=1 every half period until stopped", async () => {
  const address = abstractName();
  const receiver = new UnixDatagramReceiver(address);
  try {
    await withEnv(
      { NOTIFY_SOCKET: address, WATCHDOG_USEC: "100000", WATCHDOG_PID: undefined },
      async () => {
        const stop = startWatchdog((e) => assert.fail(String(e)));
        const pings: string[] = [];
        const started = Date.now();
        while (pings.length < 3 && Date.now() - started < 3000) {
          const d = await receiver.receive(500);
          if (d) pings.push(decoder.decode(d));
        }
        stop();
        assert.deepEqual(pings, ["WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1"]);
      },
    );
  } finally {
    receiver.close();
  }
});

Deno.test("startWatchdog() is a no-op without WATCHDOG_USEC", async () => {
  await withEnv({ WATCHDOG_USEC: undefined }, () => {
    const stop = startWatchdog();
    stop();
  });
});
