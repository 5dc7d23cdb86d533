/** A broken binding directory, as the daemon lives it: FIFOs, huge files, the directory replaced. */
import assert from "node:assert/strict";
import { runUdhcpc } from "../../lab/clients.ts";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import { formatBinding } from "../../lab/lab_files.ts";
import { type Lab, type Vm, withLab } from "../../lab/netns.ts";
import { requireCommands, run, waitFor } from "../../lab/proc.ts";

const CONFIG = { serverIp: "10.60.0.1", nameservers: ["192.0.2.1"], domain: "example.test" };

function bindingOf(vm: Vm, n: number): string {
  return formatBinding({
    INDEV: vm.tap,
    MAC: vm.mac,
    IP: `10.60.${n}.10`,
    SUBNET: `10.60.${n}.0/24`,
    GATEWAY: `10.60.${n}.1`,
  });
}

async function withTwoVms(body: (lab: Lab, vms: Vm[]) => Promise<void>): Promise<void> {
  requireCommands(["udhcpc", "mkfifo"]);
  const vms = [{ name: "vm1", tap: "tap1" }, { name: "vm2", tap: "tap2" }];
  await withLab({ vms }, async (lab) => {
    await lab.addDhcp4Rule();
    await body(lab, [lab.vm("vm1"), lab.vm("vm2")]);
  });
}

async function leaseOf(lab: Lab, vm: Vm, log: () => string): Promise<string | null> {
  const result = await runUdhcpc(lab, vm, { timeoutSec: 4 });
  return result.lease?.address ?? (log(), null);
}

function residentKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return Number(m?.[1] ?? NaN);
}

Deno.test("FIFOs in the binding directory: ready, reloads finish, SIGTERM exits 0", async () => {
  await withTwoVms(async (lab, [vm1, vm2]) => {
    Deno.writeTextFileSync(`${lab.datapath}/${vm1!.tap}`, bindingOf(vm1!, 1));
    await run(["mkfifo", `${lab.datapath}/tap9`]);
    const config = await lab.writeConfig(daemonConfig(lab, CONFIG));
    const daemon = await Daemon.start(lab, { config, readyTimeoutMs: 20_000 });
    const log = () => daemon.log;
    assert.match(log(), /tap9 is not used: it is a FIFO/);
    assert.equal(await leaseOf(lab, vm1!, log), "10.60.1.10", log());

    // A FIFO made while watching, then a binding written: both events are handled.
    await run(["mkfifo", `${lab.datapath}/tap8`]);
    Deno.writeTextFileSync(`${lab.datapath}/${vm2!.tap}`, bindingOf(vm2!, 2));
    await waitFor("vm2's binding to be served", () => leaseOf(lab, vm2!, log), {
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    const since = log().length;
    daemon.signal("SIGHUP");
    await daemon.waitForLog(/Configuration reloaded/, 10_000, since);
    const status = await daemon.stop(10_000);
    assert.equal(status.code, 0, log());
    assert.match(log(), /Stopped/);
  });
});

Deno.test("the binding directory removed and made again: restored files are served without SIGHUP", async () => {
  await withTwoVms(async (lab, [vm1]) => {
    Deno.writeTextFileSync(`${lab.datapath}/${vm1!.tap}`, bindingOf(vm1!, 1));
    const config = await lab.writeConfig(daemonConfig(lab, CONFIG));
    const daemon = await Daemon.start(lab, { config });
    const log = () => daemon.log;
    assert.equal(await leaseOf(lab, vm1!, log), "10.60.1.10", log());

    Deno.removeSync(lab.datapath, { recursive: true });
    await daemon.waitForLog(/is gone/, 10_000);
    assert.equal(await leaseOf(lab, vm1!, log), null, "a withdrawn binding is not served");
    Deno.mkdirSync(lab.datapath);
    Deno.writeTextFileSync(`${lab.datapath}/${vm1!.tap}`, bindingOf(vm1!, 3));
    const lease = await waitFor("the restored binding to be served", async () => {
      const address = await leaseOf(lab, vm1!, log);
      return address === "10.60.3.10" ? address : null;
    }, { timeoutMs: 15_000, intervalMs: 100 });
    assert.equal(lease, "10.60.3.10");
    // Later edits keep working.
    Deno.writeTextFileSync(`${lab.datapath}/${vm1!.tap}`, bindingOf(vm1!, 4));
    await waitFor("the edited binding to be served", async () => {
      return (await leaseOf(lab, vm1!, log)) === "10.60.4.10";
    }, { timeoutMs: 15_000, intervalMs: 100 });
    assert.equal((await daemon.stop()).code, 0, log());
  });
});

Deno.test("a 100 MB file in the binding directory is refused unread: memory stays small, VMs served", async () => {
  await withTwoVms(async (lab, [vm1]) => {
    Deno.writeTextFileSync(`${lab.datapath}/${vm1!.tap}`, bindingOf(vm1!, 1));
    const config = await lab.writeConfig(daemonConfig(lab, CONFIG));
    const daemon = await Daemon.start(lab, { config });
    const log = () => daemon.log;
    const pid = daemon.pid;
    const before = residentKiB(pid);
    const huge = await Deno.open(`${lab.datapath}/tap7`, { write: true, create: true });
    const chunk = new Uint8Array(1 << 20).fill(0x41);
    for (let i = 0; i < 100; i++) await huge.write(chunk);
    huge.close();
    await daemon.waitForLog(/tap7.*(larger than|too large)/, 10_000);
    assert.equal(await leaseOf(lab, vm1!, log), "10.60.1.10", log());
    const grown = residentKiB(pid) - before;
    assert.ok(grown < 50 * 1024, `resident memory grew by ${grown} KiB`);
    assert.equal((await daemon.stop()).code, 0, log());
  });
});
