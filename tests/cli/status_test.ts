/** `nfdhcpd status`: durations, times, the status lines, and the options every control command takes. */
import assert from "node:assert/strict";
import {
  askOrExit,
  controlArgs,
  formatDuration,
  formatStatus,
  formatTime,
  statusCommand,
} from "../../src/cli/status.ts";
import type { StatusReport } from "../../src/metrics/status_report.ts";
import { capturing } from "../console.ts";
import { withServer } from "../control/with_server.ts";

/** 2024-05-01 12:00:01 local time, as formatTime() writes it. */
const STARTED = new Date(2024, 4, 1, 12, 0, 1).getTime();

const REPORT: StatusReport = {
  version: "1.0.0",
  pid: 42,
  startedAt: STARTED,
  now: STARTED + 3_723_000,
  configPath: "/etc/nfdhcpd/nfdhcpd.conf",
  queues: [{
    queue: 42,
    service: "dhcp4",
    copy: "packet 65535",
    maxLength: 1024,
    failOpen: false,
    waiting: 0,
    queueDropped: null,
    socketDropped: 3,
  }, {
    queue: 43,
    service: "rs",
    copy: "packet 65535",
    maxLength: 1024,
    failOpen: true,
    waiting: null,
    queueDropped: 1,
    socketDropped: null,
  }],
  bindings: { loaded: 3, rejected: 1 },
  packets: { received: 10, accepted: 2, dropped: 8, enobufs: 5 },
  requests: { dhcp4: { DISCOVER: 3, REQUEST: 3 }, rs: { RS: 2 } },
  replies: { dhcp4: { OFFER: 3 } },
  refused: {},
  passed: 2,
  errors: 1,
  latency: { bounds: [0.001], counts: [2, 1], sum: 0.0045, count: 3 },
  lastReload: { at: STARTED + 60_000, ok: false, detail: "nfdhcpd.conf:3: bad" },
};

Deno.test("formatDuration() picks the two or three largest units, seconds alone under a minute", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(59_999), "59s");
  assert.equal(formatDuration(60_000), "1m 00s");
  assert.equal(formatDuration(61_000), "1m 01s");
  assert.equal(formatDuration(3_599_000), "59m 59s");
  assert.equal(formatDuration(3_600_000), "1h 00m 00s");
  assert.equal(formatDuration(3_723_000), "1h 02m 03s");
  assert.equal(formatDuration(86_399_000), "23h 59m 59s");
  assert.equal(formatDuration(86_400_000), "1d 00h 00m");
  assert.equal(formatDuration(90_061_000), "1d 01h 01m");
});

Deno.test("formatDuration() of a negative span (a clock set back) is 0s", () => {
  assert.equal(formatDuration(-5_000), "0s");
});

Deno.test("formatTime() is local YYYY-MM-DD HH:MM:SS, each field zero-padded", () => {
  assert.equal(formatTime(STARTED), "2024-05-01 12:00:01");
  assert.equal(formatTime(new Date(2025, 11, 31, 9, 5, 7).getTime()), "2025-12-31 09:05:07");
});

Deno.test("formatStatus() gives one aligned line per fact, '?' for counts it cannot read", () => {
  assert.deepEqual(formatStatus(REPORT), [
    "version      nfdhcpd 1.0.0, pid 42",
    "uptime       1h 02m 03s (since 2024-05-01 12:00:01)",
    "config       /etc/nfdhcpd/nfdhcpd.conf",
    "queue 42     dhcp4: copy packet 65535, max 1024, fail-closed; 0 waiting, " +
    "overruns: 5 ENOBUFS, ? queue full, 3 socket full",
    "queue 43     rs: copy packet 65535, max 1024, fail-open; ? waiting, " +
    "overruns: 5 ENOBUFS, 1 queue full, ? socket full",
    "bindings     3 loaded, 1 not loaded",
    "packets      10 received: 8 answered or refused, 2 passed on",
    "requests     dhcp4 DISCOVER 3, REQUEST 3; rs RS 2",
    "replies      dhcp4 OFFER 3",
    "refused      none",
    "errors       1",
    "latency      mean 1.500 ms over 3 replies",
    "last reload  2024-05-01 12:01:01 FAILED: nfdhcpd.conf:3: bad",
  ]);
});

Deno.test("formatStatus() before any reply and reload says so; a good reload is ok", () => {
  const fresh = formatStatus({
    ...REPORT,
    latency: { bounds: [], counts: [0], sum: 0, count: 0 },
    lastReload: null,
  });
  assert.ok(fresh.includes("latency      no reply yet"));
  assert.ok(fresh.includes("last reload  none"));
  const reloaded = formatStatus({
    ...REPORT,
    lastReload: { at: STARTED, ok: true, detail: "3 bindings" },
  });
  assert.ok(reloaded.includes("last reload  2024-05-01 12:00:01 ok: 3 bindings"));
});

Deno.test("controlArgs() takes --json, --socket and up to the positionals allowed", async () => {
  assert.deepEqual(await controlArgs(["--json", "--socket", "/x.sock", "tap1"], "U", 1), {
    json: true,
    socket: "/x.sock",
    positionals: ["tap1"],
  });
  assert.deepEqual(await controlArgs(["--socket", "/x.sock"], "U", 0), {
    json: false,
    socket: "/x.sock",
    positionals: [],
  });
});

Deno.test("controlArgs() gives 2 with the usage for too many arguments, -c with --socket, bad flags", async () => {
  for (
    const [args, why] of [
      [["--socket", "/x", "tap1"], "too many arguments"],
      [["-c", "/a.conf", "--socket", "/x"], "give -c or --socket, not both"],
      [["--bogus"], "Unknown option '--bogus'"],
    ] as const
  ) {
    const printed = await capturing(() => controlArgs([...args], "Usage: U", 0));
    assert.equal(printed.result, 2, args.join(" "));
    assert.ok(printed.err[0]!.startsWith(`nfdhcpd: ${why}`), printed.err[0]);
    assert.ok(printed.err[0]!.endsWith("\n\nUsage: U"));
  }
});

Deno.test("controlArgs() -h prints the usage on stdout and gives 0", async () => {
  const printed = await capturing(() => controlArgs(["-h"], "Usage: U", 0));
  assert.equal(printed.result, 0);
  assert.deepEqual(printed.out, ["Usage: U"]);
});

Deno.test("controlArgs() -c reads control_socket; a configuration it cannot read gives 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const conf = `${dir}/nfdhcpd.conf`;
    await Deno.writeTextFile(
      conf,
      `[general]\ncontrol_socket = ${dir}/c.sock\n[dhcp]\nserver_ip = 192.0.2.1\n`,
    );
    assert.deepEqual(await controlArgs(["-c", conf], "U", 0), {
      json: false,
      socket: `${dir}/c.sock`,
      positionals: [],
    });
    const printed = await capturing(() => controlArgs(["-c", `${dir}/none.conf`], "U", 0));
    assert.equal(printed.result, 1);
    assert.match(printed.err[0]!, /^nfdhcpd: Cannot read the configuration: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("askOrExit() wraps the daemon's answer; without a daemon it prints why and gives 3", async () => {
  await withServer((r) => ({ asked: r }), async (path) => {
    assert.deepEqual(await askOrExit(path, "clients", "tap1"), {
      answer: { asked: { command: "clients", tap: "tap1" } },
    });
  });
  const printed = await capturing(() => askOrExit("/nonexistent/control.sock", "status"));
  assert.equal(printed.result, 3);
  assert.match(printed.err[0]!, /^nfdhcpd is not running: cannot connect to \/nonexistent/);
});

Deno.test("status prints the report as lines, or as JSON with --json; exit 0", async () => {
  await withServer(() => REPORT, async (path) => {
    const text = await capturing(() => statusCommand(["--socket", path]));
    assert.equal(text.result, 0);
    assert.deepEqual(text.out, [formatStatus(REPORT).join("\n")]);
    const json = await capturing(() => statusCommand(["--json", "--socket", path]));
    assert.equal(json.result, 0);
    assert.deepEqual(JSON.parse(json.out[0]!), REPORT);
  });
});

Deno.test("status: an error answer from the daemon is printed, exit 1", async () => {
  await withServer(() => ({ error: "busy" }), async (path) => {
    const printed = await capturing(() => statusCommand(["--socket", path]));
    assert.equal(printed.result, 1);
    assert.deepEqual(printed.err, ["nfdhcpd: nfdhcpd answered: busy"]);
  });
});
