/** Without -f, as root with `user`: the pid and log directories are made for that user, or refused. */
import assert from "node:assert/strict";
import { lookupAccount } from "../../ffi/privileges.ts";
import { daemonConfig } from "../../lab/daemon.ts";
import { startDetached, terminate } from "../../lab/detached.ts";
import { type Lab, withLab } from "../../lab/netns.ts";
import { requireCommands } from "../../lab/proc.ts";

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
