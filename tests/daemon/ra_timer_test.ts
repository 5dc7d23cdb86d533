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
