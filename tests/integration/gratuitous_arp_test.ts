/**
 * Live migration over IPv4: a VM arriving on this host learns its gateway's new MAC from one
 * gratuitous ARP when its binding appears, instead of sending to the old host's MAC until its
 * neighbour entry times out.
 */

import assert from "node:assert/strict";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import { type Lab, withLab } from "../../lab/netns.ts";
import { requireCommands, run, runJson, waitFor } from "../../lab/proc.ts";

const TAP = "tap0";
const VM = { name: "vm1", tap: TAP, mac: "52:54:00:6c:00:01", tapMac: "fe:54:00:6c:00:01" };
const GATEWAY = "10.67.0.1";
/** The MAC of the host the VM came from, still in its neighbour cache. */
const OLD_HOST_MAC = "02:00:00:00:6c:99";
const WITHIN_MS = 1000;

const BINDING = {
  HOSTNAME: "vm1.example.test",
  MAC: VM.mac,
  IP: "10.67.0.95",
  SUBNET: "10.67.0.0/24",
  GATEWAY,
};

/** The VM's IPv4 neighbour entry for `address`: its MAC and states, or null when it has none. */
async function neighbour(ns: string, dev: string, address: string) {
  const entries = await runJson(["ip", "-j", "-4", "neigh", "show", "dev", dev], { ns });
  const found = (Array.isArray(entries) ? entries : []).find((e: { dst?: string }) =>
    e.dst === address
  ) as { lladdr?: string; state?: string[] } | undefined;
  return found === undefined ? null : { lladdr: found.lladdr ?? null, state: found.state ?? [] };
}

async function startDaemon(lab: Lab): Promise<Daemon> {
  await lab.addDhcp4Rule(42);
  const config = daemonConfig(lab, {
    serverIp: "10.67.0.250",
    nameservers: [],
    domain: "example.test",
  });
  return await Daemon.start(lab, { config: await lab.writeConfig(config) });
}

Deno.test("migration: a binding appearing sends a gratuitous ARP that moves the VM's gateway to the TAP's MAC", async () => {
  requireCommands(["ip", "iptables"]);
  await withLab({ vms: [VM] }, async (lab) => {
    const vm = lab.vm(VM.name);
    // The VM runs with its lease from the old host: its address, and the gateway at the old MAC.
    await run(["ip", "addr", "add", `${BINDING.IP}/24`, "dev", vm.iface], { ns: vm.ns });
    await using daemon = await startDaemon(lab);
    await run(
      [
        "ip",
        "-4",
        "neigh",
        "replace",
        GATEWAY,
        "lladdr",
        OLD_HOST_MAC,
        "dev",
        vm.iface,
        "nud",
        "stale",
      ],
      { ns: vm.ns },
    );
    assert.equal((await neighbour(vm.ns, vm.iface, GATEWAY))?.lladdr, OLD_HOST_MAC);
    const started = Date.now();
    await lab.writeBinding(TAP, BINDING);
    await waitFor(
      "the VM's neighbour entry for its gateway to hold the TAP's MAC",
      async () => (await neighbour(vm.ns, vm.iface, GATEWAY))?.lladdr === VM.tapMac,
      { timeoutMs: WITHIN_MS + 2000, intervalMs: 20 },
    ).catch(async (e: Error) => {
      const entry = JSON.stringify(await neighbour(vm.ns, vm.iface, GATEWAY));
      assert.fail(`${e.message}: ${entry}\n${daemon.log.slice(-3000)}`);
    });
    const took = Date.now() - started;
    assert.ok(took <= WITHIN_MS + 500, `took ${took} ms`);
    assert.match(daemon.log, new RegExp(`Unsolicited ARP into ${TAP}: sent`));
  });
});
