/**
 * contrib/binding.sh against the binding directory's owner (the daemon's user), who can put any
 * entry at any name there while a hook runs as root: nothing root does may follow it.
 */

import assert from "node:assert/strict";
import { CONTRIB, HookLab } from "./hook_run.ts";

const HOOK = `${CONTRIB}/ganeti-kvm-ifup`;
const MARK = "# nfdhcpd: Ganeti NIC of web1.example.org";
const ENV = { INSTANCE: "web1.example.org", MAC: "aa:00:00:4e:2f:11", IP: "192.0.2.10" };

/**
 * A mktemp that plants, as the directory's owner could, a symlink to `target` at the name it
 * gives for a temporary file in the binding directory: the worst moment the owner could win a
 * race at, whether the hook creates the file there or only takes the name (mktemp -u).
 */
function plantingMktemp(lab: HookLab, target: string): string {
  const bin = `${lab.dir}/bin`;
  Deno.mkdirSync(bin);
  Deno.writeTextFileSync(
    `${bin}/mktemp`,
    `#!/bin/sh
for template; do :; done
case $template in
"$NFDHCPD_DATAPATH"/*)
	ln -s '${target}' "$NFDHCPD_DATAPATH/.planted"
	echo "$NFDHCPD_DATAPATH/.planted"
	;;
*) exec /usr/bin/mktemp "$@" ;;
esac
`,
    { mode: 0o755 },
  );
  return `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`;
}

Deno.test("binding write: a symlink planted at the temporary file's name is not written through", async () => {
  using lab = new HookLab();
  const outside = `${lab.dir}/shadow`;
  Deno.writeTextFileSync(outside, "root:secret\n", { mode: 0o600 });
  const result = await lab.run({
    program: HOOK,
    args: ["tap3"],
    env: { ...ENV, PATH: plantingMktemp(lab, outside) },
  });
  assert.notEqual(result.code, 0, "wrote to a temporary name that already existed");
  assert.match(result.stderr, /could not write .*\/tap3/);
  assert.equal(Deno.readTextFileSync(outside), "root:secret\n");
  assert.equal(Deno.statSync(outside).mode! & 0o777, 0o600, "chmod followed the symlink");
  assert.deepEqual(lab.files(), []);
});

Deno.test("binding write: a dangling symlink planted at the temporary file's name creates nothing", async () => {
  using lab = new HookLab();
  const outside = `${lab.dir}/cron.d-job`;
  const result = await lab.run({
    program: HOOK,
    args: ["tap3"],
    env: { ...ENV, PATH: plantingMktemp(lab, outside) },
  });
  assert.notEqual(result.code, 0);
  assert.throws(() => Deno.lstatSync(outside), Deno.errors.NotFound, "created the link's target");
  assert.deepEqual(lab.files(), []);
});

Deno.test("binding write: a symlink at the binding's name is replaced, not written through", async () => {
  using lab = new HookLab();
  const file = `${lab.dir}/passwd`;
  Deno.writeTextFileSync(file, "root:x:0:0\n");
  const dir = `${lab.dir}/cron.d`;
  Deno.mkdirSync(dir);
  Deno.symlinkSync(file, `${lab.datapath}/tap3`);
  Deno.symlinkSync(dir, `${lab.datapath}/tap4`);
  for (const tap of ["tap3", "tap4"]) {
    const result = await lab.run({ program: HOOK, args: [tap], env: ENV });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(Deno.lstatSync(`${lab.datapath}/${tap}`).isFile, `${tap} is still a symlink`);
    assert.equal(lab.binding(tap).indev, tap);
  }
  assert.equal(Deno.readTextFileSync(file), "root:x:0:0\n");
  assert.deepEqual([...Deno.readDirSync(dir)], [], "moved the binding into the linked directory");
  assert.deepEqual(lab.files(), ["tap3", "tap4"]);
});

Deno.test("binding write: the file is 0644 under a strict umask", async () => {
  using lab = new HookLab();
  const wrapper = `${lab.dir}/strict-umask`;
  Deno.writeTextFileSync(wrapper, `umask 077\nexec /bin/sh '${HOOK}' "$@"\n`);
  const result = await lab.run({ program: wrapper, args: ["tap3"], env: ENV });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(Deno.statSync(`${lab.datapath}/tap3`).mode! & 0o777, 0o644);
});

Deno.test("binding remove: leaves a symlink, a FIFO, and a file whose first line is not the marker", async () => {
  using lab = new HookLab();
  const outside = `${lab.dir}/written-elsewhere`;
  Deno.writeTextFileSync(outside, `${MARK}\nMAC=aa:00:00:4e:2f:11\n`);
  Deno.symlinkSync(outside, `${lab.datapath}/tap3`);
  Deno.writeTextFileSync(`${lab.datapath}/tap4`, `MAC=aa:00:00:4e:2f:12\n${MARK}\n`);
  Deno.writeTextFileSync(`${lab.datapath}/tap5`, `${MARK}\r\nMAC=aa:00:00:4e:2f:13\n`);
  const fifo = new Deno.Command("mkfifo", { args: [`${lab.datapath}/tap6`] }).outputSync();
  assert.equal(fifo.code, 0, "mkfifo failed");
  for (const tap of ["tap3", "tap4", "tap5", "tap6"]) {
    const result = await lab.run({ program: HOOK, args: ["--down", tap], env: ENV });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`leaving .*/${tap}: not a file this hook wrote`));
  }
  assert.deepEqual(lab.files(), ["tap3", "tap4", "tap5", "tap6"]);
  assert.equal(Deno.readTextFileSync(outside), `${MARK}\nMAC=aa:00:00:4e:2f:11\n`);
});
