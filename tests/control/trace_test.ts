/** TraceHub: the hook set only while clients listen, the TAP filter, the bounded backlog; traceLine(). */
import assert from "node:assert/strict";
import { TRACE_BACKLOG, TraceHub, traceLine } from "../../src/control/trace.ts";
import type { TraceEvent } from "../../src/metrics/trace_event.ts";

const EVENT: TraceEvent = {
  at: 1000,
  tap: "tap1",
  protocol: "dhcp4",
  requestType: "REQUEST",
  mac: "52:54:00:00:00:01",
  clientId: "01:52:54:00:00:00:01",
  requested: [1, 3, 6],
  outcome: "reply",
  replyType: "ACK",
  address: 0x0a000005,
  options: [53, 54, 51],
  reason: null,
  why: "DHCPACK",
};

/** A hub and the hook it installed (null when none). */
function hub(): {
  hub: TraceHub;
  hook: { current: ((e: TraceEvent) => void) | null };
  sets: number;
} {
  const state = { hook: { current: null as ((e: TraceEvent) => void) | null }, sets: 0 };
  const h = new TraceHub((f) => {
    state.hook.current = f;
    state.sets++;
  });
  return {
    hub: h,
    hook: state.hook,
    get sets() {
      return state.sets;
    },
  };
}

Deno.test("traceLine() renames the fields for the wire and writes the address dotted", () => {
  assert.deepEqual(traceLine(EVENT), {
    at: 1000,
    tap: "tap1",
    protocol: "dhcp4",
    request: "REQUEST",
    mac: "52:54:00:00:00:01",
    clientId: "01:52:54:00:00:00:01",
    requested: [1, 3, 6],
    outcome: "reply",
    reply: "ACK",
    address: "10.0.0.5",
    options: [53, 54, 51],
    reason: null,
    why: "DHCPACK",
  });
});

Deno.test("traceLine() of address 0 (no DHCPv4 address given) is null", () => {
  const drop = {
    ...EVENT,
    outcome: "drop",
    replyType: null,
    address: 0,
    reason: "spoofed-mac",
  } as const;
  assert.equal(traceLine(drop).address, null);
  assert.equal(traceLine(drop).reason, "spoofed-mac");
});

Deno.test("TraceHub sets the hook with the first client and removes it with the last", () => {
  const t = hub();
  assert.equal(t.hook.current, null);
  const a = t.hub.subscribe(null);
  assert.notEqual(t.hook.current, null);
  const b = t.hub.subscribe("tap1");
  assert.equal(t.sets, 1, "set once, not per client");
  assert.equal(t.hub.clients, 2);
  a.close();
  assert.notEqual(t.hook.current, null, "kept while a client listens");
  b.close();
  assert.equal(t.hook.current, null);
  assert.equal(t.hub.clients, 0);
});

Deno.test("TraceHub gives each client the events of its TAP, every TAP when it named none", () => {
  const t = hub();
  const all = t.hub.subscribe(null);
  const one = t.hub.subscribe("tap2");
  t.hook.current!(EVENT);
  t.hook.current!({ ...EVENT, tap: "tap2" });
  const line = (tap: string) => `${JSON.stringify(traceLine({ ...EVENT, tap }))}\n`;
  assert.equal(all.take(), line("tap1") + line("tap2"));
  assert.equal(one.take(), line("tap2"));
  assert.equal(all.take(), "", "taken lines are gone");
});

Deno.test("TraceHub keeps at most TRACE_BACKLOG lines a client, then counts the lost first", () => {
  const t = hub();
  const s = t.hub.subscribe(null);
  for (let i = 0; i < TRACE_BACKLOG + 3; i++) t.hub.publish({ ...EVENT, at: i });
  const lines = s.take().trimEnd().split("\n");
  assert.equal(lines.length, TRACE_BACKLOG + 1);
  assert.deepEqual(JSON.parse(lines[0]!), { lost: 3 });
  assert.equal(JSON.parse(lines[1]!).at, 0);
  assert.equal(JSON.parse(lines[TRACE_BACKLOG]!).at, TRACE_BACKLOG - 1);
  t.hub.publish(EVENT);
  assert.equal(s.take(), `${JSON.stringify(traceLine(EVENT))}\n`, "the count starts again");
});

Deno.test("TraceHub wait() resolves at once with lines waiting, else at the next line or close", async () => {
  const t = hub();
  const s = t.hub.subscribe("tap1");
  let woken = false;
  const waiting = s.wait().then(() => woken = true);
  t.hub.publish({ ...EVENT, tap: "tap9" });
  await Promise.resolve();
  assert.equal(woken, false, "another TAP's event wakes nobody");
  t.hub.publish(EVENT);
  await waiting;
  assert.equal(woken, true);
  await s.wait(); // a line is waiting: at once
  s.take();
  const ended = s.wait();
  s.close();
  await ended;
});
