/**
 * As root with `user`: the pid and log directories (without -f) and the control socket's and
 * metrics file's (always) are made for that user, or refused.
 */
import assert from "node:assert/strict";
import { lookupAccount } from "../../ffi/privileges.ts";
import { Daemon, daemonCommand, daemonConfig } from "../../lab/daemon.ts";
import { startDetached, terminate } from "../../lab/detached.ts";
import { type Lab, withLab } from "../../lab/netns.ts";
import { requireCommands, run, waitFor } from "../../lab/proc.ts";

const CONFIG = { serverIp: "10.50.0.1", nameservers: ["192.0.2.1"], domain: "example.test" };

async function configFor(lab: Lab, general: Record<string, string>): Promise<string> {
  const base = daemonConfig(lab, CONFIG);
  return await lab.writeConfig({ ...base, general: { ...base.general, ...general } });
}

Deno.test("missing pid and log directories (and their parents) are created for the user", async () => {
  requireCommands(["setpriv"]);
  await withLab({}, async (lab) => {
    for (const dir of [lab.dir, lab.datapath]) Deno.chmodSync(dir, 0o755);
    const pidfile = `${lab.dir}/a/run/nfdhcpd.pid`;
    const logdir = `${lab.dir}/b/log`;
    const path = await configFor(lab, { user: "nobody", pidfile, logdir });
    const started = await startDetached(lab, path, pidfile);
    assert.equal(started.code, 0, started.output);
    const nobody = lookupAccount("nobody");
    assert.equal(Deno.statSync(`${lab.dir}/a/run`).uid, nobody.uid);
    assert.equal(Deno.statSync(logdir).uid, nobody.uid);
    assert.equal(Deno.statSync(`${logdir}/nfdhcpd.log`).uid, nobody.uid);
    await terminate(started.pid!, pidfile);
  });
});

Deno.test("a log directory the user cannot write is refused before detaching, naming user and path", async () => {
  requireCommands(["setpriv"]);
  await withLab({}, async (lab) => {
    for (const dir of [lab.dir, lab.datapath]) Deno.chmodSync(dir, 0o755);
    const logdir = `${lab.dir}/rootlog`;
    Deno.mkdirSync(logdir, { mode: 0o755 });
    Deno.chmodSync(logdir, 0o755);
    const pidfile = `${lab.dir}/run/nfdhcpd.pid`;
    const path = await configFor(lab, { user: "nobody", pidfile, logdir });
    const started = await startDetached(lab, path, pidfile);
    assert.equal(started.code, 1, started.output);
    assert.match(started.output, new RegExp(`${logdir} is not writable by user nobody`));
    assert.doesNotMatch(
      started.output,
      /see .*nfdhcpd\.log/,
      "no pointer to a log that is not there",
    );
    assert.equal(started.pid, null);
  });
});

Deno.test("in the foreground, missing control socket and metrics directories are made for the user", async () => {
  requireCommands(["setpriv"]);
  await withLab({}, async (lab) => {
    for (const dir of [lab.dir, lab.datapath]) Deno.chmodSync(dir, 0o755);
    const socket = `${lab.dir}/run/nfdhcpd/control.sock`;
    const metricsFile = `${lab.dir}/metrics/node/nfdhcpd.prom`;
    const path = await configFor(lab, {
      user: "nobody",
      control_socket: socket,
      metrics_file: metricsFile,
      metrics_interval: "1",
    });
    await Daemon.start(lab, { config: path, debug: false });
    const nobody = lookupAccount("nobody");
    for (const dir of [`${lab.dir}/run/nfdhcpd`, `${lab.dir}/metrics/node`]) {
      const st = Deno.statSync(dir);
      assert.equal(st.uid, nobody.uid, `${dir} owner`);
      assert.equal(st.mode! & 0o022, 0, `${dir} is writable by others`);
    }
    const status = await run([...daemonCommand(), "status", "--socket", socket], {
      allowFailure: true,
      timeoutMs: 20_000,
    });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^version +nfdhcpd /);
    await waitFor("the metrics file", () => {
      try {
        return Deno.statSync(metricsFile).uid === nobody.uid;
      } catch {
        return false;
      }
    }, { timeoutMs: 10_000 });
  });
});
