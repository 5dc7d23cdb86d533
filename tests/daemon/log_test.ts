/** Tests for the logger: the original's file format, rate limiting, levels and following logrotate. */
import assert from "node:assert/strict";
import {
  FileSink,
  journalPrefix,
  type Level,
  Logger,
  type LogSink,
  TeeSink,
  timestamp,
} from "../../src/daemon/log.ts";

class MemorySink implements LogSink {
  lines: string[] = [];
  reopened = 0;
  closed = 0;
  write(level: Level, message: string): void {
    this.lines.push(`${level}: ${message}`);
  }
  reopen(): void {
    this.reopened++;
  }
  close(): void {
    this.closed++;
  }
}

function withTempDir(fn: (dir: string) => void): () => void {
  return () => {
    const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-log-" });
    try {
      fn(dir);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  };
}

Deno.test("timestamp() writes Python logging's asctime", () => {
  assert.equal(timestamp(new Date(2024, 0, 2, 3, 4, 5, 6)), "2024-01-02 03:04:05,006");
});

Deno.test("journalPrefix() maps each level to its syslog priority, and to nothing off the journal", () => {
  const levels: Level[] = ["debug", "info", "warning", "error"];
  assert.deepEqual(levels.map((l) => journalPrefix(l, true)), ["<7>", "<6>", "<4>", "<3>"]);
  assert.deepEqual(levels.map((l) => journalPrefix(l, false)), ["", "", "", ""]);
});

Deno.test(
  "FileSink writes the original's `asctime levelname-8 message` lines",
  withTempDir((dir) => {
    const path = `${dir}/nfdhcpd.log`;
    const at = new Date(2024, 4, 6, 7, 8, 9, 10).getTime();
    const log = new Logger(new FileSink(path, () => at), "debug");
    log.info("Ready to serve requests");
    log.warning("Binding tap3: no such interface");
    log.debug("x");
    log.error("y");
    log.close();
    assert.equal(
      Deno.readTextFileSync(path),
      "2024-05-06 07:08:09,010 INFO     Ready to serve requests\n" +
        "2024-05-06 07:08:09,010 WARNING  Binding tap3: no such interface\n" +
        "2024-05-06 07:08:09,010 DEBUG    x\n" +
        "2024-05-06 07:08:09,010 ERROR    y\n",
    );
  }),
);

Deno.test(
  "FileSink follows logrotate: after a rename, lines go to a new file at the path",
  withTempDir((dir) => {
    const path = `${dir}/nfdhcpd.log`;
    let now = 0;
    const sink = new FileSink(path, () => now);
    sink.write("info", "before");
    Deno.renameSync(path, `${path}.1`);
    sink.write("info", "within the second: still the old file");
    now = 1000;
    sink.write("info", "after");
    sink.close();
    assert.match(
      Deno.readTextFileSync(`${path}.1`),
      /INFO {5}before\n.*INFO {5}within the second: still the old file\n$/,
    );
    assert.match(Deno.readTextFileSync(path), /^\S+ \S+ INFO {5}after\n$/);
  }),
);

Deno.test(
  "FileSink.reopen() (and so Logger.reopen()) switches to the new file at once",
  withTempDir((dir) => {
    const path = `${dir}/nfdhcpd.log`;
    const log = new Logger(new FileSink(path, () => 0));
    log.info("one");
    Deno.renameSync(path, `${path}.1`);
    Deno.writeTextFileSync(path, "");
    log.reopen();
    log.info("two");
    log.close();
    assert.match(Deno.readTextFileSync(`${path}.1`), /INFO {5}one\n$/);
    assert.match(Deno.readTextFileSync(path), /^\S+ \S+ INFO {5}two\n$/);
  }),
);

Deno.test(
  "FileSink creates the log file readable by owner and group only",
  withTempDir((dir) => {
    const path = `${dir}/nfdhcpd.log`;
    new FileSink(path).close();
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o640);
  }),
);

Deno.test("Logger drops lines below its level and setLevel() changes it", () => {
  const sink = new MemorySink();
  const log = new Logger(sink, "info");
  log.debug("hidden");
  log.info("shown");
  assert.equal(log.enabled("debug"), false);
  log.setLevel("debug");
  log.debug("now shown");
  assert.deepEqual(sink.lines, ["info: shown", "debug: now shown"]);
});

Deno.test("Logger.limited() keeps perMinute lines per key, then reports the suppressed count", () => {
  const sink = new MemorySink();
  let now = 0;
  const log = new Logger(sink, "info", () => now);
  for (let i = 0; i < 5; i++) log.limited("warning", "bad-mac", `spoof ${i}`, 2);
  log.limited("warning", "other", "other key", 2);
  now = 59_999;
  log.limited("warning", "bad-mac", "still in the minute", 2);
  now = 60_000;
  log.limited("warning", "bad-mac", "next minute", 2);
  assert.deepEqual(sink.lines, [
    "warning: spoof 0",
    "warning: spoof 1",
    "warning: other key",
    "warning: 4 similar messages suppressed (bad-mac)",
    "warning: next minute",
  ]);
});

Deno.test("Logger.setSink() closes the old sink; TeeSink writes, reopens and closes all", () => {
  const a = new MemorySink();
  const b = new MemorySink();
  const log = new Logger(new TeeSink(a, b));
  log.info("both");
  log.reopen();
  const c = new MemorySink();
  log.setSink(c);
  log.info("c only");
  assert.deepEqual([a.lines, b.lines, c.lines], [["info: both"], ["info: both"], ["info: c only"]]);
  assert.deepEqual([a.reopened, b.reopened, a.closed, b.closed, c.closed], [1, 1, 1, 1, 0]);
});

Deno.test(
  "FileSink keeps writing to the old file when the path cannot be reopened",
  withTempDir((dir) => {
    const logdir = `${dir}/log`;
    Deno.mkdirSync(logdir);
    const path = `${logdir}/nfdhcpd.log`;
    let now = 0;
    const sink = new FileSink(path, () => now);
    Deno.renameSync(logdir, `${dir}/moved`);
    now = 1000;
    sink.write("info", "still logged");
    sink.close();
    assert.match(Deno.readTextFileSync(`${dir}/moved/nfdhcpd.log`), /INFO {5}still logged\n$/);
  }),
);

Deno.test("FileSink writes info lines once the JS thread is done, a warning at once after them", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-log-" });
  try {
    const path = `${dir}/nfdhcpd.log`;
    const log = new Logger(new FileSink(path, () => 0), "debug");
    const lines = () => Deno.readTextFileSync(path).split("\n").filter((l) => l !== "");
    log.info("served 1");
    log.debug("served 2");
    assert.deepEqual(lines(), [], "gathered while this turn runs");
    await Promise.resolve();
    assert.equal(lines().length, 2, "written when it is done");
    log.info("served 3");
    log.warning("spoofed");
    assert.deepEqual(lines().map((l) => l.slice(24)), [
      "INFO     served 1",
      "DEBUG    served 2",
      "INFO     served 3",
      "WARNING  spoofed",
    ]);
    log.info("last");
    log.close();
    assert.equal(lines().length, 5, "close() writes what is gathered");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
