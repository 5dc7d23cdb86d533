/** Reloads under load: a burst of SIGHUPs is coalesced, serving goes on, and stopping cancels them. */
import assert from "node:assert/strict";
import { runUdhcpc } from "../../lab/clients.ts";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import { formatBinding } from "../../lab/lab_files.ts";
import { type Lab, type Vm, withLab } from "../../lab/netns.ts";
import { requireCommands, waitFor } from "../../lab/proc.ts";

const CONFIG = { serverIp: "10.40.0.1", domain: "example.test" };
/** Enough bindings that one rescan takes a while, so that SIGHUPs arrive during it. */
const EXTRA_BINDINGS = 3000;

async function withManyBindings(body: (lab: Lab, vm: Vm) => Promise<void>): Promise<void> {
  requireCommands(["udhcpc"]);
  await withLab({ vms: [{ name: "vm1", tap: "tap1" }] }, async (lab) => {
    await lab.addDhcp4Rule();
    const vm = lab.vm("vm1");
    await lab.writeBinding(vm.tap, {
      INDEV: vm.tap,
      MAC: vm.mac,
      IP: "10.40.1.10",
      SUBNET: "10.40.1.0/24",
      GATEWAY: "10.40.1.1",
    });
    for (let i = 0; i < EXTRA_BINDINGS; i++) {
      const mac = `02:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${
        (i & 255).toString(16).padStart(2, "0")
      }`;
      Deno.writeTextFileSync(
        `${lab.datapath}/vmx${i}`,
        formatBinding({ INDEV: `vmx${i}`, MAC: mac, IP: `10.41.${i >> 8}.${i & 255}` }),
      );
    }
    await body(lab, vm);
  });
}

function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, "g"))?.length ?? 0;
}

Deno.test("twenty SIGHUPs in a burst make few reloads, the last config wins, and serving goes on", async () => {
  await withManyBindings(async (lab, vm) => {
    const path = await lab.writeConfig(
      daemonConfig(lab, { ...CONFIG, nameservers: ["192.0.2.1"] }),
    );
    const daemon = await Daemon.start(lab, { config: path, debug: false });
    const since = daemon.log.length;
    await lab.writeConfig(daemonConfig(lab, { ...CONFIG, nameservers: ["192.0.2.2"] }));
    const served = runUdhcpc(lab, vm, { timeoutSec: 8 });
    for (let i = 0; i < 20; i++) {
      daemon.signal("SIGHUP");
      await new Promise((r) => setTimeout(r, 10));
    }
    const lease = await served;
    assert.equal(lease.lease?.address, "10.40.1.10", `served during the reloads\n${daemon.log}`);
    // Reloads end; none is left running (bounded wait for the log to settle).
    await waitFor("the reloads to end", async () => {
      const before = daemon.log.length;
      await new Promise((r) => setTimeout(r, 300));
      return daemon.log.length === before;
    }, { timeoutMs: 20_000 });
    const reloads = count(daemon.log.slice(since), /Configuration reloaded/);
    console.log(`20 SIGHUPs 10 ms apart with ${EXTRA_BINDINGS + 1} bindings: ${reloads} reloads`);
    assert.ok(reloads >= 1 && reloads <= 10, `${reloads} reloads for 20 SIGHUPs\n${daemon.log}`);
    const after = await runUdhcpc(lab, vm, { timeoutSec: 4 });
    assert.deepEqual(after.lease?.dns, ["192.0.2.2"], "the last configuration is the one served");
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});

Deno.test("SIGTERM during a reload: no reload completes after Stopping, and the daemon exits 0", async () => {
  await withManyBindings(async (lab) => {
    const path = await lab.writeConfig(
      daemonConfig(lab, { ...CONFIG, nameservers: ["192.0.2.1"] }),
    );
    const daemon = await Daemon.start(lab, { config: path, debug: false });
    for (let i = 0; i < 5; i++) daemon.signal("SIGHUP");
    const status = await daemon.stop(10_000);
    assert.equal(status.code, 0, daemon.log);
    const stopping = daemon.log.indexOf("Stopping");
    assert.ok(stopping > 0, daemon.log);
    assert.doesNotMatch(daemon.log.slice(stopping), /Configuration reloaded|Loaded \d+ bindings/);
  });
});
