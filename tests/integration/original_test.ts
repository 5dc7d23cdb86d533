/**
 * What the original nfdhcpd's users rely on: its default IPv6 mode leases no address to a stateful
 * DHCPv6 client, its OpenNebula driver's `one-42-0` binding files are served on their INDEV, and
 * the README's binding example gives a real VM its lease.
 */

import assert from "node:assert/strict";
import { runUdhcpc } from "../../lab/clients.ts";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import { runDhclient6, setIpv6Sysctls, waitForLinkLocal } from "../../lab/ipv6_clients.ts";
import { withLab } from "../../lab/netns.ts";
import { REPO_ROOT, requireCommands, waitFor } from "../../lab/proc.ts";

const SERVER_IP = "10.66.0.1";

Deno.test("original: dhclient -6 in the default mode gets NoAddrsAvail, no lease", async () => {
  requireCommands(["ip", "ip6tables", "sysctl", "dhclient"]);
  const vm = { name: "vm1", tap: "tap0", mac: "52:54:00:6c:00:01", tapMac: "fe:54:00:6c:00:01" };
  await withLab({ vms: [vm] }, async (lab) => {
    const v = lab.vm(vm.name);
    await setIpv6Sysctls(v.ns, v.iface, { accept_ra: 0, accept_dad: 0 });
    await waitForLinkLocal(v.ns, v.iface, 5000);
    await lab.writeBinding(vm.tap, {
      HOSTNAME: "vm1.example.test",
      INDEV: vm.tap,
      MAC: vm.mac,
      SUBNET6: "2001:db8:6c::/64",
      GATEWAY6: "2001:db8:6c::1",
      EUI64: "2001:db8:6c::10",
    });
    // The lab's rules: RS, NS and DHCPv6 each to their queue; no `mode` (the default, auto).
    await lab.addIpv6Rules({ rs: 43, ns: 44, dhcpv6: 45 });
    const config = daemonConfig(lab, {
      serverIp: SERVER_IP,
      nameservers: [],
      domain: "example.test",
      ipv6: { enable_ipv6: true, rs_queue: 43, ns_queue: 44, dhcpv6_queue: 45 },
    });
    await using daemon = await Daemon.start(lab, { config: await lab.writeConfig(config) });
    const result = await runDhclient6(lab, v, { stateless: false, timeoutSec: 3 });
    const why = `\n--- dhclient -6 (${result.events.join(", ")})\n${result.log}\n--- nfdhcpd\n${
      daemon.log.slice(-3000)
    }`;
    assert.equal(result.vars, null, `no script call carried new_ip6_address${why}`);
    assert.ok(!result.events.includes("BOUND6"), `never bound${why}`);
    assert.deepEqual(result.configured.ipv6, [], `no global address on eth0${why}`);
    // The daemon answered (dhclient was not just ignored), and said why: no address for it.
    assert.match(
      daemon.log,
      /DHCPv6 solicit from \S+ on tap0: advertise with status 2 \(no addresses for this client\)/,
      `the daemon's reason${why}`,
    );
  });
});

Deno.test("original: an OpenNebula one-42-0 binding with INDEV=<tap> gives udhcpc its lease", async () => {
  requireCommands(["ip", "iptables", "udhcpc"]);
  const vm = { name: "vm1", tap: "tap7", mac: "02:00:c0:a8:00:0a", tapMac: "fe:00:c0:a8:00:01" };
  await withLab({ vms: [vm] }, async (lab) => {
    const v = lab.vm(vm.name);
    await Deno.writeTextFile(
      `${lab.datapath}/one-42-0`,
      [
        "HOSTNAME=one-42",
        `INDEV=${vm.tap}`,
        `MAC=${vm.mac}`,
        "IP=192.168.0.10",
        "SUBNET=192.168.0.0/255.255.255.0",
        "GATEWAY=192.168.0.1",
        "",
      ].join("\n"),
    );
    await lab.addDhcp4Rule(42);
    const config = daemonConfig(lab, { serverIp: SERVER_IP, nameservers: [], domain: "" });
    await using daemon = await Daemon.start(lab, { config: await lab.writeConfig(config) });
    const result = await runUdhcpc(lab, v, { timeoutSec: 5 });
    const why = `\n--- udhcpc\n${result.log}\n--- nfdhcpd\n${daemon.log.slice(-3000)}`;
    assert.equal(result.lease?.address, "192.168.0.10", `lease${why}`);
    assert.equal(result.lease?.prefixLength, 24, why);
    assert.deepEqual(result.lease?.routers, ["192.168.0.1"], why);
    assert.equal(result.lease?.hostname, "one-42", why);
    assert.deepEqual(
      result.configured.ipv4.map((a) => `${a.address}/${a.prefixLength}`),
      ["192.168.0.10/24"],
      why,
    );
    assert.deepEqual(result.configured.defaultRoutes4, ["192.168.0.1"], why);
  });
});

/** The README's `tap3` binding example, exactly as shown. */
function readmeTap3(): string {
  const readme = Deno.readTextFileSync(`${REPO_ROOT}/README.md`);
  const block = /\n```sh\n(# \/var\/lib\/nfdhcpd\/tap3\n[\s\S]*?)\n```/.exec(readme);
  assert.ok(block, "README has the tap3 binding example");
  return `${block[1]}\n`;
}

Deno.test("original: the README's tap3 binding example, written as shown, gives its VM its lease", async () => {
  requireCommands(["ip", "iptables", "udhcpc"]);
  const text = readmeTap3();
  const value = (key: string) => new RegExp(`^${key}=(\\S*)`, "m").exec(text)?.[1] ?? "";
  const vm = { name: "web1", tap: "tap3", mac: value("MAC"), tapMac: "fe:54:00:12:34:01" };
  await withLab({ vms: [vm] }, async (lab) => {
    const v = lab.vm(vm.name);
    await Deno.writeTextFile(`${lab.datapath}/tap3`, text);
    await lab.addDhcp4Rule(42);
    const config = daemonConfig(lab, { serverIp: SERVER_IP, nameservers: [], domain: "" });
    await using daemon = await Daemon.start(lab, { config: await lab.writeConfig(config) });
    await waitFor("tap3 to load", () => /Loaded 1 bindings/.test(daemon.log), { timeoutMs: 3000 });
    const result = await runUdhcpc(lab, v, { timeoutSec: 5 });
    const why = `\n--- udhcpc\n${result.log}\n--- nfdhcpd\n${daemon.log.slice(-3000)}`;
    assert.equal(result.lease?.address, value("IP"), `lease${why}`);
    assert.equal(result.lease?.prefixLength, 24, why);
    assert.deepEqual(result.lease?.routers, [value("GATEWAY")], why);
    assert.equal(result.lease?.hostname, value("HOSTNAME"), why);
    assert.equal(result.lease?.mtu, Number(value("MTU")), why);
    assert.equal(result.configured.mtu, Number(value("MTU")), why);
    assert.deepEqual(
      result.configured.ipv4.map((a) => a.address),
      [value("IP")],
      why,
    );
  });
});
