/** Tests for the pidfile: absent, held by a live process, stale, and removed only when ours. */
import assert from "node:assert/strict";
import { inspectPidfile, Pidfile, PidfileHeldError } from "../../src/daemon/pidfile.ts";

/** The pid of a process that has just ended (so, for a while, no process has it). */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

function withTempDir(fn: (dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-pidfile-" });
    try {
      await fn(dir);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  };
}

Deno.test(
  "Pidfile.acquire() writes our pid when no pidfile exists",
  withTempDir((dir) => {
    const path = `${dir}/nfdhcpd.pid`;
    assert.deepEqual(inspectPidfile(path), { state: "absent" });
    const pidfile = Pidfile.acquire(path, { pid: 4242, alive: () => false });
    assert.equal(Deno.readTextFileSync(path), "4242\n");
    assert.equal(pidfile.pid, 4242);
    assert.equal(Deno.statSync(path).mode! & 0o022, 0, "not writable by others");
  }),
);

Deno.test(
  "Pidfile.acquire() refuses a pidfile a live process holds, and leaves it alone",
  withTempDir((dir) => {
    const path = `${dir}/nfdhcpd.pid`;
    // This test process is alive: to a daemon starting as pid 1, it holds the pidfile.
    Deno.writeTextFileSync(path, `${Deno.pid}\n`);
    assert.deepEqual(inspectPidfile(path, 1), { state: "held", pid: Deno.pid });
    assert.throws(
      () => Pidfile.acquire(path, { pid: 1 }),
      (e: unknown) =>
        e instanceof PidfileHeldError && e.pid === Deno.pid &&
        e.message ===
          `Cannot start: nfdhcpd is already running as pid ${Deno.pid} (pidfile ${path})`,
    );
    assert.equal(Deno.readTextFileSync(path), `${Deno.pid}\n`);
  }),
);

Deno.test(
  "Pidfile.acquire() replaces a pidfile whose process is gone",
  withTempDir(async (dir) => {
    const path = `${dir}/nfdhcpd.pid`;
    const dead = await deadPid();
    Deno.writeTextFileSync(path, `${dead}\n`);
    const state = inspectPidfile(path);
    assert.deepEqual(state, { state: "stale", pid: dead, why: `no process ${dead} is running` });
    const seen: unknown[] = [];
    Pidfile.acquire(path, { onStale: (s) => seen.push(s) });
    assert.equal(Deno.readTextFileSync(path), `${Deno.pid}\n`);
    assert.deepEqual(seen, [state]);
  }),
);

Deno.test(
  "inspectPidfile() calls garbage and our own pid stale",
  withTempDir((dir) => {
    const path = `${dir}/nfdhcpd.pid`;
    for (const text of ["", "\n", "abc\n", "-5\n", "0\n", "12 13\n"]) {
      Deno.writeTextFileSync(path, text);
      assert.deepEqual(inspectPidfile(path), {
        state: "stale",
        pid: null,
        why: "it holds no process id",
      }, JSON.stringify(text));
    }
    Deno.writeTextFileSync(path, `${Deno.pid}\n`);
    assert.deepEqual(inspectPidfile(path), {
      state: "stale",
      pid: Deno.pid,
      why: "it holds our own pid",
    });
    Pidfile.acquire(path);
    assert.equal(Deno.readTextFileSync(path), `${Deno.pid}\n`);
  }),
);

Deno.test(
  "Pidfile.remove() deletes the pidfile only while it holds our pid",
  withTempDir((dir) => {
    const path = `${dir}/nfdhcpd.pid`;
    const ours = Pidfile.acquire(path, { pid: 777, alive: () => false });
    Deno.writeTextFileSync(path, "778\n");
    assert.equal(ours.remove(), false);
    assert.equal(Deno.readTextFileSync(path), "778\n");
    Deno.writeTextFileSync(path, "777\n");
    assert.equal(ours.remove(), true);
    assert.deepEqual(inspectPidfile(path), { state: "absent" });
    assert.equal(ours.remove(), false);
  }),
);

Deno.test(
  "Pidfile.acquire() names the path when the directory is missing",
  withTempDir((dir) => {
    const path = `${dir}/missing/nfdhcpd.pid`;
    assert.throws(
      () => Pidfile.acquire(path),
      (e: unknown) => e instanceof Error && e.message.startsWith(`Cannot create pidfile ${path}: `),
    );
  }),
);
