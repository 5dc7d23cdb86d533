/** `nfdhcpd trace`: one line per traced request and its outcome, lost lines, the exit codes. */
import assert from "node:assert/strict";
import { formatTraceLine, traceCommand } from "../../src/cli/trace.ts";
import { type TraceLine, traceLine } from "../../src/control/trace.ts";
import type { TraceEvent } from "../../src/metrics/trace_event.ts";
import { capturing } from "../console.ts";
import { OFFER_EVENT, type TraceHook, withServer } from "../control/with_server.ts";

/** 12:00:01.234 local time. */
const AT = new Date(2024, 4, 1, 12, 0, 1, 234).getTime();

/** What the dispatcher hands over, and the line the daemon sends for it. */
const EVENT: TraceEvent = { ...OFFER_EVENT, at: AT, mac: "52:54:00:12:34:56", requested: null };
const LINE: TraceLine = traceLine(EVENT);

Deno.test("formatTraceLine() of a reply: local time to the millisecond, request, reply, address", () => {
  assert.equal(
    formatTraceLine(LINE),
    "12:00:01.234 tap1 dhcp4 DISCOVER 52:54:00:12:34:56 -> OFFER 10.0.0.5",
  );
  assert.equal(
    formatTraceLine({ ...LINE, at: new Date(2024, 0, 2, 3, 4, 5, 6).getTime() }).slice(0, 12),
    "03:04:05.006",
  );
});

Deno.test("formatTraceLine() of a reply without an address, and without a MAC", () => {
  assert.equal(
    formatTraceLine({
      ...LINE,
      protocol: "rs",
      request: "RS",
      mac: null,
      reply: "RA",
      address: null,
    }),
    "12:00:01.234 tap1 rs RS - -> RA",
  );
});

Deno.test("formatTraceLine() of a drop, a pass and an error says why", () => {
  const drop = { ...LINE, outcome: "drop", reason: "spoofed", why: "spoofed MAC" } as const;
  assert.equal(
    formatTraceLine(drop),
    `${formatTraceLine(LINE).split(" -> ")[0]} -> dropped (spoofed): spoofed MAC`,
  );
  assert.match(
    formatTraceLine({ ...LINE, outcome: "pass", why: "dhcp off" }),
    / -> passed on: dhcp off$/,
  );
  assert.match(formatTraceLine({ ...LINE, outcome: "error", why: "EPERM" }), / -> error: EPERM$/);
});

/** Runs `nfdhcpd trace ARGS` against a server, lets `publish` feed its hook, until `lines` printed. */
async function traced(
  args: string[],
  lines: number,
  publish: (hook: NonNullable<TraceHook["current"]>) => void,
) {
  return await capturing(async () => {
    let done: Promise<number> | null = null;
    let printed = 0;
    const log = console.log;
    console.log = (...a: unknown[]) => {
      printed++;
      log(...a);
    };
    await withServer(() => ({}), async (path, hook) => {
      done = traceCommand([...args, "--socket", path]);
      const deadline = Date.now() + 5000;
      while (hook.current === null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
      publish(hook.current!);
      while (printed < lines && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    });
    // The server closed the stream: the command ends as when interrupted.
    return await done!;
  });
}

Deno.test("trace prints each request of the TAP asked for as a line until the stream ends, exit 0", async () => {
  const printed = await traced(["tap1"], 1, (hook) => {
    hook({ ...EVENT, tap: "tap2" });
    hook(EVENT);
  });
  assert.equal(printed.result, 0);
  assert.deepEqual(printed.out, [
    "12:00:01.234 tap1 dhcp4 DISCOVER 52:54:00:12:34:56 -> OFFER 10.0.0.5",
  ]);
});

Deno.test("trace --json prints the lines as sent, the count of lost lines first", async () => {
  // 1001 events before the server's writer runs: the backlog holds 1000, one is lost.
  const printed = await traced(["--json"], 1001, (hook) => {
    for (let i = 0; i < 1001; i++) hook({ ...EVENT, at: i });
  });
  assert.equal(printed.result, 0);
  assert.equal(printed.out.length, 1001);
  assert.deepEqual(JSON.parse(printed.out[0]!), { lost: 1 });
  assert.equal(JSON.parse(printed.out[1]!).at, 0);
  assert.equal(JSON.parse(printed.out[1000]!).address, "10.0.0.5");
});

Deno.test("trace says how many lines were lost, in words", async () => {
  const printed = await traced([], 1001, (hook) => {
    for (let i = 0; i < 1002; i++) hook(EVENT);
  });
  assert.equal(printed.out[0], "... 2 lines lost (not read in time)");
});

Deno.test("trace: two TAPs are a usage error (2); no daemon on the socket exits 3", async () => {
  const usage = await capturing(() => traceCommand(["tap1", "tap2"]));
  assert.equal(usage.result, 2);
  const absent = await capturing(() => traceCommand(["--socket", "/nonexistent/c.sock"]));
  assert.equal(absent.result, 3);
  assert.match(absent.err[0]!, /^nfdhcpd is not running/);
});
