/** The hooks' host routes to delegated prefixes (PREFIX6) in a real network namespace: added with the binding, deleted with it, as `ip -6 route show` there says. */
import assert from "node:assert/strict";
import { withLab } from "../../lab/netns.ts";
import { requireCommands, run } from "../../lab/proc.ts";
import { CONTRIB, HookLab } from "../contrib/hook_run.ts";

/** The VM's link-local address: fe80:: and the EUI-64 of 52:54:00:12:34:58. */
const VIA = "fe80::5054:ff:fe12:3458";
const vm = { name: "vm5", tap: "tap5", mac: "52:54:00:12:34:58" };

Deno.test("the Ganeti and libvirt hooks route PREFIX6 via the VM's link-local address on its TAP, and unroute it", async (t) => {
  requireCommands(["ip", "xmllint"]);
  await withLab({ vms: [vm] }, async (lab) => {
    using hooks = new HookLab();
    const env = { NFDHCPD_ROUTE_PREFIX6: "yes", INSTANCE: "node5", MAC: vm.mac };
    const shown = async () =>
      (await run(["ip", "-6", "route", "show", "dev", vm.tap], { ns: lab.hv })).stdout.trim();

    await t.step("Ganeti: up adds a route per prefix, down deletes them", async () => {
      const ganeti = { ...env, NFDHCPD_PREFIX6: "2001:db8:500::/56,2001:db8:600::/64" };
      const program = `${CONTRIB}/ganeti-kvm-ifup`;
      const up = await hooks.run({ program, args: [vm.tap], env: ganeti, ns: lab.hv });
      assert.equal(up.code, 0, up.stderr);
      const routes = await shown();
      assert.match(routes, new RegExp(`^2001:db8:500::/56 via ${VIA} `, "m"), routes);
      assert.match(routes, new RegExp(`^2001:db8:600::/64 via ${VIA} `, "m"), routes);
      // Up again (Ganeti re-runs ifup on reboot): replaced, not doubled, and no error.
      const again = await hooks.run({ program, args: [vm.tap], env: ganeti, ns: lab.hv });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(await shown(), routes);
      const down = await hooks.run({ program, args: ["--down", vm.tap], env: ganeti, ns: lab.hv });
      assert.equal(down.code, 0, down.stderr);
      assert.doesNotMatch(await shown(), /2001:db8:[56]00::/);
    });

    await t.step("libvirt: started adds the route of prefix6, stopped deletes it", async () => {
      const xml = `<domain><name>node5</name><metadata>
        <b:bindings xmlns:b="urn:nfdhcpd:binding:1"><b:nic mac="${vm.mac}" prefix6="2001:db8:700::/48"/></b:bindings>
        </metadata><devices><interface type='ethernet'><mac address='${vm.mac}'/><target dev='${vm.tap}'/></interface></devices></domain>`;
      const program = `${CONTRIB}/libvirt-qemu`;
      const call = (op: string) =>
        hooks.run({ program, args: ["node5", op, "-", "-"], stdin: xml, env, ns: lab.hv });
      const started = await call("started");
      assert.equal(started.code, 0, started.stderr);
      assert.match(await shown(), new RegExp(`^2001:db8:700::/48 via ${VIA} `, "m"));
      const stopped = await call("stopped");
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.doesNotMatch(await shown(), /2001:db8:700::/);
      // Stopped again, or after the TAP took its routes away: nothing to delete is no error.
      assert.equal((await call("stopped")).code, 0);
    });
  });
});
