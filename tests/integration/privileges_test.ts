/** Root tests: src/daemon/privileges.ts re-executes a Deno program as nobody with only CAP_NET_ADMIN and CAP_NET_RAW. */
import assert from "node:assert/strict";
import { currentCapabilities, formatCapabilities, lookupAccount } from "../../ffi/privileges.ts";
import { DROPPED_ENV } from "../../src/daemon/privileges.ts";
import { requireCommands, requireRoot, setprivAs } from "../../lab/proc.ts";

const PRIVILEGES = new URL("../../src/daemon/privileges.ts", import.meta.url).href;

/**
 * The program under test: drops privileges like the daemon, starts a Worker (one more JS thread on
 * top of V8's and tokio's), prints what it ended as, and runs until its stdin closes so that the
 * test can inspect every thread from outside through /proc.
 */
const PROGRAM = `
import { dropPrivilegesByReexec, missingNetCapabilities } from "${PRIVILEGES}";
const user = Deno.args[0] === "-" ? null : Deno.args[0]!;
let state;
try {
  state = dropPrivilegesByReexec(user);
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  Deno.exit(3);
}
const worker = new Worker(
  "data:application/javascript,self.postMessage('up');setInterval(() => {}, 1000)",
  { type: "module" },
);
await new Promise((resolve) => (worker.onmessage = resolve));
console.log(JSON.stringify({
  pid: Deno.pid,
  uid: Deno.uid(),
  state,
  missing: missingNetCapabilities(),
  args: Deno.args,
  marker: Deno.env.get("${DROPPED_ENV}") ?? null,
}));
for await (const _ of Deno.stdin.readable) { /* until the test closes stdin */ }
worker.terminate();
`;

/** The Makefile's permissions, less --allow-run: dropping privileges needs none. */
const PERMISSIONS = ["--allow-ffi", "--allow-read", "--allow-write", "--allow-env", "--allow-sys"];

interface Report {
  readonly pid: number;
  readonly uid: number;
  readonly state: {
    kind: string;
    account?: { name: string; uid: number; gid: number };
    reason?: string;
  };
  readonly missing: string | null;
  readonly args: string[];
  readonly marker: string | null;
}

interface Started {
  readonly child: Deno.ChildProcess;
  readonly report: Report;
  /** Closes the program's stdin and returns its exit status and stderr. */
  finish(): Promise<{ code: number; stderr: string }>;
}

/** Runs PROGRAM with `args`, optionally through `prefix` (e.g. setpriv), and reads its report. */
async function start(
  args: string[],
  options: { prefix?: string[]; env?: Record<string, string> } = {},
): Promise<Started | { code: number; stderr: string }> {
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-priv-" });
  Deno.chmodSync(dir, 0o755);
  const program = `${dir}/program.ts`;
  Deno.writeTextFileSync(program, PROGRAM);
  Deno.chmodSync(program, 0o644);
  const argv = [Deno.execPath(), "run", ...PERMISSIONS, program, ...args];
  const [cmd, ...rest] = [...(options.prefix ?? []), ...argv];
  const child = new Deno.Command(cmd!, {
    args: rest,
    env: options.env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderrText = new Response(child.stderr).text();
  const finish = async () => {
    try {
      await child.stdin.close();
    } catch {
      // already exited
    }
    const [status, stderr] = await Promise.all([child.status, stderrText]);
    Deno.removeSync(dir, { recursive: true });
    return { code: status.code, stderr };
  };
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (!text.includes("\n") && Date.now() < deadline) {
    const timer = new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now()));
    const chunk = await Promise.race([reader.read(), timer]);
    if (chunk === null || chunk.done) break;
    text += chunk.value;
  }
  reader.releaseLock();
  if (!text.includes("\n")) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    return await finish();
  }
  return { child, report: JSON.parse(text.split("\n")[0]!), finish };
}

function started(s: Started | { code: number; stderr: string }): Started {
  if (!("report" in s)) {
    throw new Error(`The program exited ${s.code} before reporting: ${s.stderr}`);
  }
  return s;
}

const NET = formatCapabilities(0x3000n);

Deno.test("dropPrivilegesByReexec() from root ends as nobody with exactly 0x3000 in every thread", async () => {
  requireRoot();
  requireCommands(["setpriv"]);
  const nobody = lookupAccount("nobody");
  const s = started(await start(["nobody", "second arg"]));
  try {
    const { report } = s;
    assert.equal(report.pid, s.child.pid, "execve keeps the pid");
    assert.deepEqual(report.state, { kind: "dropped", account: nobody });
    assert.equal(report.uid, nobody.uid);
    assert.equal(report.missing, null);
    assert.deepEqual(report.args, ["nobody", "second arg"], "the same arguments again");
    assert.equal(report.marker, null, "the marker is not passed on");
    const cmdline = Deno.readTextFileSync(`/proc/${report.pid}/cmdline`).split("\0").slice(0, -1);
    assert.deepEqual(cmdline.slice(1, 2 + PERMISSIONS.length), ["run", ...PERMISSIONS]);

    // Seen from outside, every thread of the process.
    const threads = currentCapabilities(report.pid);
    assert.ok(threads.length >= 4, `only ${threads.length} threads`);
    for (const t of threads) {
      const status = Deno.readTextFileSync(`/proc/${report.pid}/task/${t.tid}/status`);
      const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1];
      assert.equal(field("CapEff"), NET, `thread ${t.tid} CapEff`);
      assert.equal(field("CapPrm"), NET, `thread ${t.tid} CapPrm`);
      assert.equal(field("CapBnd"), NET, `thread ${t.tid} CapBnd`);
      assert.equal(field("NoNewPrivs"), "1", `thread ${t.tid} NoNewPrivs`);
      assert.deepEqual(t.uids, [nobody.uid, nobody.uid, nobody.uid, nobody.uid]);
      assert.deepEqual(t.gids, [nobody.gid, nobody.gid, nobody.gid, nobody.gid]);
      assert.deepEqual(t.groups, []);
    }
  } finally {
    assert.equal((await s.finish()).code, 0);
  }
});

Deno.test("dropPrivilegesByReexec() keeps root when no user is configured", async () => {
  requireRoot();
  const s = started(await start(["-"]));
  try {
    assert.deepEqual(s.report.state, { kind: "kept", reason: "no user is configured" });
    assert.equal(s.report.uid, 0);
  } finally {
    assert.equal((await s.finish()).code, 0);
  }
});

Deno.test("dropPrivilegesByReexec() does not re-exec when systemd already dropped root (User=, AmbientCapabilities=)", async () => {
  requireRoot();
  requireCommands(["setpriv"]);
  const nobody = lookupAccount("nobody");
  // What the unit's User=, AmbientCapabilities= and CapabilityBoundingSet= amount to.
  const caps = "-all,+net_admin,+net_raw";
  const s = started(await start(["nobody"], { prefix: setprivAs(nobody, caps) }));
  try {
    assert.deepEqual(s.report.state, {
      kind: "kept",
      reason:
        `not started as root (uid ${nobody.uid}): running with the user and capabilities given`,
    });
    assert.equal(s.report.missing, null);
  } finally {
    assert.equal((await s.finish()).code, 0);
  }
});

Deno.test("missingNetCapabilities() explains a start as an unprivileged user without capabilities", async () => {
  requireRoot();
  requireCommands(["setpriv"]);
  const nobody = lookupAccount("nobody");
  const s = started(await start(["nobody"], { prefix: setprivAs(nobody) }));
  try {
    assert.equal(s.report.state.kind, "kept");
    assert.equal(
      s.report.missing,
      `Running as uid ${nobody.uid} without CAP_NET_ADMIN and CAP_NET_RAW (CapEff 0000000000000000): ` +
        `start nfdhcpd as root with "user" set, or give it these two capabilities ` +
        `(AmbientCapabilities= in its systemd unit)`,
    );
  } finally {
    assert.equal((await s.finish()).code, 0);
  }
});

Deno.test("dropPrivilegesByReexec() fails instead of looping when still root after the re-exec", async () => {
  requireRoot();
  const result = await start(["nobody"], { env: { [DROPPED_ENV]: "65534:65534" } });
  assert.ok(!("report" in result), "it must not run");
  assert.equal(result.code, 3);
  assert.match(
    result.stderr,
    /^Cannot drop privileges to uid 65534: thread \d+: uids 0 0 0 0; thread \d+: gids 0 0 0 0; .*CapEff 000001[0-9a-f]{10}, not 0000000000003000/,
  );
});

Deno.test("dropPrivilegesByReexec() names a user that does not exist", async () => {
  requireRoot();
  const result = await start(["no-such-user-nfdhcpd"]);
  assert.ok(!("report" in result));
  assert.equal(result.code, 3);
  assert.equal(
    result.stderr,
    "Cannot find user no-such-user-nfdhcpd: no such user in the passwd database\n",
  );
});
