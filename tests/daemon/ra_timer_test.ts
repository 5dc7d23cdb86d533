/** RaTimer: who gets unsolicited RAs, and that a long round yields to the event loop. */
import assert from "node:assert/strict";
import type { Binding } from "../../src/bindings/binding.ts";
import { RaTimer } from "../../src/daemon/ra_timer.ts";

function binding(tap: string, withSubnet6: boolean): Binding {
  return {
    tap,
    hostname: null,
    indev: tap,
    mac: new Uint8Array(6),
    macText: "00:00:00:00:00:00",
    ip: null,
    subnet: null,
    gateway: null,
    subnet6: withSubnet6 ? { prefix: new Uint8Array(16), prefixLength: 64 } : null,
    gateway6: null,
    eui64: null,
    mtu: null,
    private: false,
    macspoof: false,
  };
}

Deno.test("RaTimer.round() advertises to every binding with SUBNET6 and counts what was sent", async () => {
  const bindings = [binding("tap1", true), binding("tap2", false), binding("tap3", true)];
  const seen: string[] = [];
  const timer = new RaTimer({
    bindings: () => bindings,
    advertise: (b) => {
      seen.push(b.tap);
      return b.tap !== "tap3"; // tap3's TAP does not exist yet
    },
    periodSeconds: () => 300,
  });
  assert.equal(await timer.round(), 1);
  assert.deepEqual(seen, ["tap1", "tap3"]);
  timer.advertiseNow(bindings[1]!);
  timer.advertiseNow(bindings[0]!);
  assert.deepEqual(seen, ["tap1", "tap3", "tap1"]);
  timer.stop();
});

Deno.test("RaTimer.round() lets timers run between slices of a long round", async () => {
  const bindings = Array.from({ length: 2000 }, (_, i) => binding(`tap${i}`, true));
  let sentWhenTimerFired = -1;
  let sent = 0;
  const timer = new RaTimer({
    bindings: () => bindings,
    advertise: () => {
      const until = performance.now() + 0.01; // a slow send
      while (performance.now() < until) { /* busy */ }
      sent++;
      return true;
    },
    periodSeconds: () => 300,
  });
  setTimeout(() => sentWhenTimerFired = sent, 0);
  assert.equal(await timer.round(), 2000);
  assert.ok(
    sentWhenTimerFired > 0 && sentWhenTimerFired < 2000,
    `a timer due during the round ran after ${sentWhenTimerFired} RAs`,
  );
  timer.stop();
});

Deno.test("RaTimer.start() runs a round each period until stop()", async () => {
  let rounds = 0;
  const timer = new RaTimer({
    bindings: () => [binding("tap1", true)],
    advertise: () => true,
    periodSeconds: () => 0.01,
    onRound: () => rounds++,
  });
  timer.start();
  const deadline = Date.now() + 5000;
  while (rounds < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  timer.stop();
  assert.ok(rounds >= 2, `${rounds} rounds ran`);
});

/** Waits until `done()` holds, polling every few milliseconds; false if `ms` pass first. */
async function waitFor(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}

Deno.test("RaTimer.start() waits one period, in seconds, before each round (not 100 times more)", async () => {
  const roundsAt: number[] = [];
  const period = 0.03;
  const timer = new RaTimer({
    bindings: () => [binding("tap1", true)],
    advertise: () => true,
    periodSeconds: () => period,
    onRound: () => roundsAt.push(performance.now()),
  });
  const started = performance.now();
  timer.start();
  try {
    // Three periods take 90 ms; a period read as 100 times too long would take 9 s.
    assert.ok(
      await waitFor(() => roundsAt.length >= 3, 1500),
      `${roundsAt.length} rounds in 1.5 s`,
    );
  } finally {
    timer.stop();
  }
  // Timers never fire early: the first round is one period after start(), each next one period on.
  assert.ok(
    roundsAt[0]! - started >= period * 1000 - 1,
    `first round after ${roundsAt[0]! - started} ms`,
  );
  assert.ok(roundsAt[1]! - roundsAt[0]! >= period * 1000 - 1);
  assert.ok(roundsAt[2]! - roundsAt[1]! >= period * 1000 - 1);
});

Deno.test("RaTimer.start() reads the period anew for every round (a reload changes it)", async () => {
  const periods: number[] = [];
  let rounds = 0;
  const timer = new RaTimer({
    bindings: () => [],
    advertise: () => true,
    periodSeconds: () => {
      periods.push(rounds);
      return 0.005;
    },
    onRound: () => rounds++,
  });
  timer.start();
  try {
    assert.ok(await waitFor(() => rounds >= 2, 1500));
  } finally {
    timer.stop();
  }
  assert.deepEqual(periods.slice(0, 3), [0, 1, 2]);
});

Deno.test("RaTimer.stop() before the first period means no round at all", async () => {
  let rounds = 0;
  const timer = new RaTimer({
    bindings: () => [binding("tap1", true)],
    advertise: () => true,
    periodSeconds: () => 0.01,
    onRound: () => rounds++,
  });
  timer.start();
  timer.stop();
  const sentinel = { fired: false };
  setTimeout(() => sentinel.fired = true, 60); // six periods
  await waitFor(() => sentinel.fired, 1000);
  assert.equal(rounds, 0);
});

Deno.test("RaTimer.stop() during a scheduled round: that round ends and no other is scheduled", async () => {
  let rounds = 0;
  const timer = new RaTimer({
    bindings: () => [binding("tap1", true), binding("tap2", true)],
    advertise: () => true,
    periodSeconds: () => 0.01,
    onRound: () => {
      rounds++;
      timer.stop(); // after the round's sends, before the timer schedules the next
    },
  });
  timer.start();
  assert.ok(await waitFor(() => rounds >= 1, 1000));
  const sentinel = { fired: false };
  setTimeout(() => sentinel.fired = true, 80);
  await waitFor(() => sentinel.fired, 1000);
  assert.equal(rounds, 1);
});

Deno.test("RaTimer.stop() ends a running round before its next send", async () => {
  const bindings = Array.from({ length: 10 }, (_, i) => binding(`tap${i}`, true));
  const seen: string[] = [];
  const timer = new RaTimer({
    bindings: () => bindings,
    advertise: (b) => {
      seen.push(b.tap);
      if (seen.length === 3) timer.stop();
      return true;
    },
    periodSeconds: () => 300,
  });
  assert.equal(await timer.round(), 3);
  assert.deepEqual(seen, ["tap0", "tap1", "tap2"]);
});

Deno.test("RaTimer.round() called while a round runs sends nothing; later rounds run again", async () => {
  const bindings = Array.from({ length: 1000 }, (_, i) => binding(`tap${i}`, true));
  let sends = 0;
  const timer = new RaTimer({
    bindings: () => bindings,
    advertise: () => {
      const until = performance.now() + 0.01;
      while (performance.now() < until) { /* a slow send, so the round yields */ }
      sends++;
      return true;
    },
    periodSeconds: () => 300,
  });
  const first = timer.round();
  await new Promise((r) => setTimeout(r, 0)); // the first round has yielded mid-way
  assert.ok(sends > 0 && sends < 1000, `${sends} sent before the overlap`);
  assert.equal(await timer.round(), 0);
  assert.equal(await first, 1000);
  assert.equal(sends, 1000);
  assert.equal(await timer.round(), 1000, "the next round runs");
  timer.stop();
});

Deno.test("RaTimer.round() of a few quick sends finishes in one slice, without yielding", async () => {
  let reported: [number, number] | null = null;
  const timer = new RaTimer({
    bindings: () => [binding("tap1", true), binding("tap2", true), binding("tap3", false)],
    advertise: () => true,
    periodSeconds: () => 300,
    onRound: (sent, millis) => reported = [sent, millis],
  });
  // A busy machine can stretch even three sends past half a millisecond now and then: one round
  // of five that did not yield is proof enough that a short round does not have to.
  let unyielded = 0;
  for (let i = 0; i < 5; i++) {
    let yielded = false;
    setTimeout(() => yielded = true, 0);
    assert.equal(await timer.round(), 2);
    if (!yielded) unyielded++;
    await new Promise((r) => setTimeout(r, 0));
  }
  assert.ok(unyielded > 0, "every short round yielded to timers");
  assert.equal(reported![0], 2);
  assert.ok(reported![1] >= 0 && reported![1] < 1000);
});
