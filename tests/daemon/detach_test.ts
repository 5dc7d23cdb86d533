/** Tests for detaching: the daemon runs in its own session, and the starter waits for READY=1. */
import assert from "node:assert/strict";
import { detach, type DetachOutcome } from "../../src/daemon/detach.ts";

const SRC = new URL("../../src/daemon/", import.meta.url).href;

/** A stand-in daemon: says "starting" on stderr, then fails, hangs, or reports ready and waits. */
const CHILD = `
import { notifyReady } from "${SRC}notify.ts";
import { finishDetach, isDetachedChild } from "${SRC}detach.ts";
const [mode, out] = Deno.args;
console.error("starting", mode);
if (!isDetachedChild()) Deno.exit(9);
if (mode === "fail") {
  console.error("boom: cannot bind queue 42");
  Deno.exit(3);
}
const keepAlive = setInterval(() => {}, 1000);
if (mode === "ready") {
  notifyReady();
  finishDetach();
  const fds = [0, 1, 2].map((fd) => Deno.readLinkSync("/proc/self/fd/" + fd));
  Deno.writeTextFileSync(out! + ".tmp", JSON.stringify({
    pid: Deno.pid,
    stat: Deno.readTextFileSync("/proc/self/stat"),
    fds,
    env: [Deno.env.get("NOTIFY_SOCKET") ?? null, Deno.env.get("NFDHCPD_DETACHED") ?? null],
  }));
  Deno.renameSync(out! + ".tmp", out!);
  console.error("this goes to /dev/null");
  setTimeout(() => clearInterval(keepAlive), 20_000);
}
`;

interface Run {
  readonly outcome: DetachOutcome;
  readonly stderr: string;
  readonly out: string;
}

async function runDetach(mode: string, timeoutMs = 20_000): Promise<Run> {
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-detach-" });
  try {
    Deno.writeTextFileSync(`${dir}/child.ts`, CHILD);
    let text = "";
    const decoder = new TextDecoder();
    const stderr = new WritableStream<Uint8Array>({
      write: (c) => void (text += decoder.decode(c, { stream: true })),
    });
    const outcome = await detach({
      timeoutMs,
      stderr,
      command: {
        program: Deno.execPath(),
        args: ["run", "-A", `${dir}/child.ts`, mode, `${dir}/out`],
      },
    });
    // A ready child writes its report just after it said READY=1: give it a moment.
    let out = "";
    for (let i = 0; outcome.code === 0 && out === "" && i < 100; i++) {
      try {
        out = Deno.readTextFileSync(`${dir}/out`);
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return { outcome, stderr: text, out };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Waits (bounded) until no process `pid` exists. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      const state = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]?.[0];
      if (state === "Z") return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

Deno.test("detach() returns 0 once the daemon, in its own session, says READY=1", async () => {
  const { outcome, stderr, out } = await runDetach("ready");
  try {
    assert.equal(outcome.code, 0, outcome.message);
    assert.equal(outcome.message, `nfdhcpd started as pid ${outcome.pid}`);
    assert.equal(stderr, "starting ready\n");
    const report = JSON.parse(out);
    assert.equal(
      report.pid,
      outcome.pid,
      "setsid execs in place: the pid we spawned is the daemon",
    );
    const fields = (report.stat as string).split(") ")[1]!.split(" ");
    assert.equal(Number(fields[3]), report.pid, "session id = its pid: a session leader");
    assert.notEqual(
      Number(fields[3]),
      Number(Deno.readTextFileSync("/proc/self/stat").split(") ")[1]!.split(" ")[3]),
    );
    assert.deepEqual(report.fds, ["/dev/null", "/dev/null", "/dev/null"]);
    assert.deepEqual(report.env, [null, null]);
  } finally {
    Deno.kill(outcome.pid, "SIGTERM");
    assert.ok(await gone(outcome.pid));
  }
});

Deno.test("detach() passes on the exit code and the stderr of a daemon that fails to start", async () => {
  const { outcome, stderr } = await runDetach("fail");
  assert.equal(outcome.code, 3);
  assert.equal(
    outcome.message,
    `nfdhcpd (pid ${outcome.pid}) exited with status 3 before it was ready`,
  );
  assert.equal(stderr, "starting fail\nboom: cannot bind queue 42\n");
});

Deno.test("detach() stops a daemon that is not ready in time and returns 1", async () => {
  const { outcome, stderr } = await runDetach("hang", 1500);
  assert.equal(outcome.code, 1);
  assert.equal(
    outcome.message,
    `nfdhcpd (pid ${outcome.pid}) was not ready within 1.5 s and has been stopped`,
  );
  assert.equal(stderr, "starting hang\n");
  assert.ok(await gone(outcome.pid));
});
