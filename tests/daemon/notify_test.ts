/** Tests for sd_notify over unix datagram sockets, filesystem and abstract, and the watchdog. */
import assert from "node:assert/strict";
import { UnixDatagramReceiver } from "../../ffi/unix_datagram.ts";
import {
  notify,
  notifyReady,
  notifyReloading,
  notifyStopping,
  parseNotification,
  startWatchdog,
  systemdEnv,
  watchdogPeriodMs,
} from "../../src/daemon/notify.ts";

const decoder = new TextDecoder();

function abstractName(): string {
  return `@nfdhcpd-test-${Deno.pid}-${crypto.randomUUID()}`;
}

/**
 * Every test passes its socket and watchdog variables explicitly: other test files run in this
 * process at the same time (--parallel), so none of them may set NOTIFY_SOCKET for everybody.
 */
Deno.test("notify() does nothing and says so when NOTIFY_SOCKET is unset or empty", () => {
  assert.equal(notify("READY=1", ""), false);
  assert.equal(notifyReady("up", ""), false);
  assert.equal(notifyReloading(""), false);
  assert.equal(notifyStopping(""), false);
  // The process's own NOTIFY_SOCKET is only read: `deno test` is not started by systemd.
  if (Deno.env.get("NOTIFY_SOCKET") === undefined) {
    assert.equal(notifyReady(), false);
    assert.equal(notify("STOPPING=1"), false);
    assert.deepEqual(systemdEnv().NOTIFY_SOCKET, undefined);
  }
});

Deno.test("notifyReady(), notifyReloading() and notifyStopping() reach an abstract socket", async () => {
  const address = abstractName();
  const receiver = new UnixDatagramReceiver(address);
  try {
    assert.equal(notifyReady("serving 3 queues", address), true);
    const ready = await receiver.receive(2000);
    assert.ok(ready);
    assert.equal(decoder.decode(ready), "READY=1\nSTATUS=serving 3 queues");
    assert.deepEqual(
      [...parseNotification(ready)],
      [["READY", "1"], ["STATUS", "serving 3 queues"]],
    );
    assert.equal(notifyReady(undefined, address), true);
    assert.equal(decoder.decode((await receiver.receive(2000))!), "READY=1");
    assert.equal(notifyReloading(address), true);
    assert.equal(decoder.decode((await receiver.receive(2000))!), "RELOADING=1");
    assert.equal(notifyStopping(address), true);
    assert.equal(decoder.decode((await receiver.receive(2000))!), "STOPPING=1");
  } finally {
    receiver.close();
  }
});

Deno.test("parseNotification() keeps only KEY=VALUE lines with a key", () => {
  const parsed = parseNotification(new TextEncoder().encode("=x\nREADY=1\nnoise\nSTATUS=a=b\n"));
  assert.deepEqual([...parsed], [["READY", "1"], ["STATUS", "a=b"]]);
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

Deno.test("startWatchdog() pings WATCHDOG=1 at once, then every half period, until stopped", async () => {
  const address = abstractName();
  const receiver = new UnixDatagramReceiver(address);
  try {
    const env = { NOTIFY_SOCKET: address, WATCHDOG_USEC: "400000" }; // 400 ms: a ping each 200 ms
    const stop = startWatchdog((e) => assert.fail(String(e)), env);
    const at: number[] = [];
    const started = performance.now();
    while (at.length < 3 && performance.now() - started < 5000) {
      const d = await receiver.receive(1000);
      if (d) {
        assert.equal(decoder.decode(d), "WATCHDOG=1");
        at.push(performance.now() - started);
      }
    }
    stop();
    assert.equal(at.length, 3);
    assert.ok(at[0]! < 150, `first ping after ${at[0]} ms, not at once`);
    // Half a period apart: a late tick may bring the next one closer, so the lower bound is on
    // the two gaps together; neither gap is anywhere near two periods.
    assert.ok(at[2]! - at[0]! >= 380, `two gaps of ${at[2]! - at[0]!} ms, not 400`);
    for (const gap of [at[1]! - at[0]!, at[2]! - at[1]!]) {
      assert.ok(gap < 700, `pings ${gap} ms apart, not 200`);
    }
    assert.equal(await receiver.receive(450), null, "a ping after stop()");
  } finally {
    receiver.close();
  }
});

Deno.test("startWatchdog() sends nothing without a watchdog for this process", async () => {
  const address = abstractName();
  const receiver = new UnixDatagramReceiver(address);
  try {
    const noWatchdog = [
      { NOTIFY_SOCKET: address },
      { NOTIFY_SOCKET: address, WATCHDOG_USEC: "0" },
      { NOTIFY_SOCKET: address, WATCHDOG_USEC: "-5" },
      { NOTIFY_SOCKET: address, WATCHDOG_USEC: "100000", WATCHDOG_PID: "1" },
    ];
    for (const env of noWatchdog) {
      let errors = 0;
      const stop = startWatchdog(() => errors++, env);
      assert.equal(typeof stop, "function");
      stop();
      assert.equal(errors, 0, JSON.stringify(env));
    }
    assert.equal(await receiver.receive(150), null, "a ping was sent");
  } finally {
    receiver.close();
  }
});

Deno.test("startWatchdog() reports a failed ping to onError instead of throwing", () => {
  const errors: unknown[] = [];
  const stop = startWatchdog((e) => errors.push(e), {
    NOTIFY_SOCKET: `${abstractName()}-nobody`,
    WATCHDOG_USEC: "60000000",
  });
  stop();
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /Cannot sendto/);
});
