import assert from "node:assert/strict";
import { Logger, type LogSink } from "../src/daemon/log.ts";
import { escapeControls, escapeForLog } from "../src/log_text.ts";

Deno.test("escapeControls() escapes control characters and line separators, nothing else", () => {
  assert.equal(
    escapeControls("tap0\nFAKE\r\tx\u001b[31m\u0000\u007f\u0085\u2028"),
    "tap0\\nFAKE\\r\\tx\\u001b[31m\\u0000\\u007f\\u0085\\u2028",
  );
  assert.equal(escapeControls("plain C:\\dir ünïcode"), "plain C:\\dir ünïcode");
  assert.equal(escapeControls(escapeForLog("a\nb")), "a\\nb", "text escaped once stays as it is");
});

Deno.test("escapeForLog() escapes backslashes too, so an escaped name cannot pose as another", () => {
  assert.equal(escapeForLog("tap\\n0"), "tap\\\\n0");
  assert.equal(escapeForLog("tap\n0"), "tap\\n0");
  assert.equal(escapeForLog("tap0"), "tap0");
});

Deno.test("Logger writes every message as one line, whatever it holds", () => {
  const lines: string[] = [];
  const sink: LogSink = {
    write: (_level, message) => void lines.push(message),
    reopen: () => {},
    close: () => {},
  };
  const log = new Logger(sink, "debug");
  log.info("Binding tap0\nERROR: forged line");
  log.limited("warning", "k", "value \u001b]0;title\u0007");
  assert.deepEqual(lines, [
    "Binding tap0\\nERROR: forged line",
    "value \\u001b]0;title\\u0007",
  ]);
});

Deno.test("StderrSink: a timestamp in the foreground, the journal's priority under systemd", async () => {
  const log = new URL("../src/daemon/log.ts", import.meta.url).href;
  const script = `import { StderrSink } from "${log}";
    const t = new Date(2024, 4, 6, 7, 8, 9, 10).getTime();
    new StderrSink(false, () => t).write("info", "plain");
    new StderrSink(true, () => t).write("warning", "journal");`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stderr: "piped",
    stdout: "null",
  }).output();
  assert.equal(
    new TextDecoder().decode(out.stderr),
    "2024-05-06 07:08:09,010 INFO: plain\n<4>WARNING: journal\n",
  );
});
