/**
 * "A file written is a VM served", for the tools that write binding files on real hosts: each
 * rewrites the VM's binding with a new address, and a real DHCP client must be offered it.
 */
import assert from "node:assert/strict";
import { type Dhcp4Result, runDhclient, runUdhcpc } from "../../lab/clients.ts";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import { formatBinding } from "../../lab/lab_files.ts";
import { type Lab, type Vm, withLab } from "../../lab/netns.ts";
import { requireCommands } from "../../lab/proc.ts";

const CONFIG = { serverIp: "10.60.0.1", nameservers: ["198.51.100.1"], domain: "example.test" };

function bindingText(vm: Vm, host: number): string {
  return formatBinding({
    HOSTNAME: `vm${host}`,
    INDEV: vm.tap,
    MAC: vm.mac,
    IP: `10.60.1.${host}`,
    SUBNET: "10.60.1.0/24",
    GATEWAY: "10.60.1.1",
  });
}

/** Runs a shell script in the binding directory (as the host's tools run, outside any netns). */
async function sh(lab: Lab, script: string, env: Record<string, string> = {}): Promise<void> {
  const out = await new Deno.Command("sh", {
    args: ["-ec", script],
    cwd: lab.datapath,
    env: { SRC: lab.dir, ...env },
    stderr: "piped",
    signal: AbortSignal.timeout(10_000),
  }).output();
  assert.ok(out.success, `${script}: ${new TextDecoder().decode(out.stderr)}`);
}

/** Runs the client until it is offered `address` (the binding may still be settling); bounded. */
async function leaseOf(
  lab: Lab,
  vm: Vm,
  address: string,
  client = runUdhcpc,
): Promise<Dhcp4Result> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const result = await client(lab, vm, { timeoutSec: 2 });
    if (result.lease?.address === address || Date.now() > deadline) return result;
  }
}

/** Each writer takes the new file's text in $TEXT and the source directory in $SRC. */
const WRITERS: ReadonlyArray<readonly [string, string]> = [
  ["a shell redirect", `printf '%s' "$TEXT" > tap1`],
  ["sed -i", `sed -i "s/^IP=.*/IP=$IP/; s/^HOSTNAME=.*/HOSTNAME=vm$N/" tap1`],
  ["cp", `printf '%s' "$TEXT" > "$SRC/src"; cp "$SRC/src" tap1`],
  ["install -m 644", `printf '%s' "$TEXT" > "$SRC/src"; install -m 644 "$SRC/src" tap1`],
  ["a temporary file and mv", `printf '%s' "$TEXT" > .tap1.new; mv .tap1.new tap1`],
  ["a write then chmod 600 and 644", `printf '%s' "$TEXT" > tap1; chmod 600 tap1; chmod 644 tap1`],
  ["a write then chown and touch", `printf '%s' "$TEXT" > tap1; chown 0:0 tap1; touch tap1`],
  [
    "Python's write and rename",
    `python3 -c 'import os,sys,tempfile
fd, p = tempfile.mkstemp(dir=".")
os.write(fd, os.environ["TEXT"].encode()); os.close(fd); os.chmod(p, 0o644); os.rename(p, "tap1")'`,
  ],
];

/** A lab whose VM behind tap1 has been leased 10.60.1.10 by a running daemon. */
async function withServedVm(body: (lab: Lab, vm: Vm, daemon: Daemon) => Promise<void>) {
  await withLab({ vms: [{ name: "vm1", tap: "tap1" }] }, async (lab) => {
    await lab.addDhcp4Rule();
    const vm = lab.vm("vm1");
    Deno.writeTextFileSync(`${lab.datapath}/tap1`, bindingText(vm, 10));
    const daemon = await Daemon.start(lab, {
      config: await lab.writeConfig(daemonConfig(lab, CONFIG)),
      debug: false,
    });
    const first = await leaseOf(lab, vm, "10.60.1.10");
    assert.equal(first.lease?.address, "10.60.1.10", `${first.log}\n${daemon.log}`);
    await body(lab, vm, daemon);
  });
}

Deno.test("every writer's new binding is offered to a real client: redirect, sed -i, cp, install, mv, chmod, chown, touch, Python", async () => {
  requireCommands(["udhcpc", "dhclient", "python3", "sed", "install"]);
  await withServedVm(async (lab, vm, daemon) => {
    let host = 20;
    for (const [writer, script] of WRITERS) {
      host++;
      const address = `10.60.1.${host}`;
      await sh(lab, script, { TEXT: bindingText(vm, host), IP: address, N: `${host}` });
      // Every other writer is checked with dhclient, the rest with udhcpc.
      const client = host % 2 === 0 ? runDhclient : runUdhcpc;
      const result = await leaseOf(lab, vm, address, client);
      assert.equal(result.lease?.address, address, `${writer}: ${result.log}\n${daemon.log}`);
    }
  });
});

Deno.test("a binding written through a descriptor kept open is offered after SIGHUP, and the summary says so", async () => {
  requireCommands(["udhcpc"]);
  await withServedVm(async (lab, vm, daemon) => {
    const file = Deno.openSync(`${lab.datapath}/tap1`, { write: true, truncate: true });
    try {
      file.writeSync(new TextEncoder().encode(bindingText(vm, 30)));
      const since = daemon.log.length;
      daemon.signal("SIGHUP");
      // Updated by the reload, or already read because it stopped changing first (a slow host).
      await daemon.waitForLog(
        /Loaded 1 bindings from \S+: 0 added, (1 updated, 0 removed, 0 rejected, 0|0 updated, 0 removed, 0 rejected, 1) unchanged/,
        10_000,
        since,
      );
      const result = await leaseOf(lab, vm, "10.60.1.30");
      assert.equal(result.lease?.address, "10.60.1.30", `${result.log}\n${daemon.log}`);
    } finally {
      file.close();
    }
  });
});
