/** DHCPv4 integration tests: real dhclient and udhcpc in VM namespaces against nfdhcpd over NFQUEUE. */

import assert from "node:assert/strict";
import { type Dhcp4Result, runDhclient, runUdhcpc } from "../../lab/clients.ts";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import type { BindingSpec, IniSections } from "../../lab/lab_files.ts";
import { summarizeDhcp, UdpListener } from "../../lab/listener.ts";
import { type Lab, type Vm, withLab } from "../../lab/netns.ts";
import { requireCommands, waitFor } from "../../lab/proc.ts";

const SERVER_IP = "10.10.0.1";
const NAMESERVERS = ["198.51.100.53", "198.51.100.54"];
const DOMAIN = "example.test";
const DEFAULT_LEASE_TIME = 604800;
const DEFAULT_RENEWAL_TIME = 600;

/** What a client must have been given and must have configured. */
interface Expected {
  readonly address: string;
  readonly prefixLength: number;
  readonly broadcast: string;
  /** The default gateway, or null when none may be sent (PRIVATE). */
  readonly router: string | null;
  readonly dns: readonly string[];
  readonly domain: string;
  readonly hostname: string;
  readonly mtu: number;
  readonly serverId: string;
  readonly leaseTime: number;
  readonly renewalTime: number;
}

/** A binding for `vm` on its own /24 `10.10.<n>.0`, and what a client behind it must get. */
function bindingFor(
  vm: Pick<Vm, "tap" | "mac">,
  n: number,
  extra: Partial<BindingSpec> = {},
): { binding: BindingSpec; expected: Expected } {
  const binding: BindingSpec = {
    HOSTNAME: `host${n}`,
    INDEV: vm.tap,
    MAC: vm.mac,
    IP: `10.10.${n}.10`,
    SUBNET: `10.10.${n}.0/24`,
    GATEWAY: `10.10.${n}.1`,
    MTU: 1400 + n,
    ...extra,
  };
  return {
    binding,
    expected: {
      address: `10.10.${n}.10`,
      prefixLength: 24,
      broadcast: `10.10.${n}.255`,
      router: binding.PRIVATE ? null : `10.10.${n}.1`,
      dns: NAMESERVERS,
      domain: DOMAIN,
      hostname: `host${n}`,
      mtu: 1400 + n,
      serverId: SERVER_IP,
      leaseTime: DEFAULT_LEASE_TIME,
      renewalTime: DEFAULT_RENEWAL_TIME,
    },
  };
}

/** The daemon's config for a lab: DHCPv4 on queue 42, IPv6 off. */
function dhcp4Config(lab: Lab): IniSections {
  return daemonConfig(lab, { serverIp: SERVER_IP, nameservers: NAMESERVERS, domain: DOMAIN });
}

/** Text for an assertion message: the client's log and the server's log. */
function explain(result: Dhcp4Result, serverLog: string): string {
  return `\n--- ${result.client} (events: ${result.events.join(", ")}; exit ${result.exitCode}; ` +
    `${result.elapsedMs} ms)\n${result.log}\n--- server log\n${serverLog.slice(-4000)}`;
}

/** Asserts the client got exactly `expected` and configured its interface with it. */
function assertServed(result: Dhcp4Result, expected: Expected, serverLog: string): void {
  const why = explain(result, serverLog);
  assert.ok(result.lease !== null, `${result.client} got no lease${why}`);
  const lease = result.lease;
  assert.equal(lease.address, expected.address, `address${why}`);
  assert.equal(lease.prefixLength, expected.prefixLength, `subnet mask ${lease.subnetMask}${why}`);
  assert.deepEqual(
    lease.routers,
    expected.router === null ? [] : [expected.router],
    `routers${why}`,
  );
  assert.deepEqual(lease.dns, expected.dns, `DNS servers${why}`);
  assert.equal(lease.domain, expected.domain, `domain${why}`);
  assert.equal(lease.hostname, expected.hostname, `hostname${why}`);
  assert.equal(lease.mtu, expected.mtu, `MTU${why}`);
  assert.equal(lease.serverId, expected.serverId, `server identifier${why}`);
  assert.equal(lease.broadcast, expected.broadcast, `broadcast address${why}`);
  assert.equal(lease.leaseTime, expected.leaseTime, `lease time${why}`);
  assert.equal(lease.renewalTime, expected.renewalTime, `renewal time${why}`);
  const configured = result.configured;
  assert.deepEqual(
    configured.ipv4.map((a) => `${a.address}/${a.prefixLength}`),
    [`${expected.address}/${expected.prefixLength}`],
    `configured IPv4 addresses${why}`,
  );
  assert.deepEqual(
    configured.defaultRoutes4,
    expected.router === null ? [] : [expected.router],
    `configured default route${why}`,
  );
  assert.equal(configured.mtu, expected.mtu, `configured MTU${why}`);
}

/** Asserts the client got nothing and configured nothing. */
function assertNotServed(result: Dhcp4Result, serverLog: string): void {
  const why = explain(result, serverLog);
  assert.equal(result.lease, null, `${result.client} got a lease it must not get${why}`);
  assert.deepEqual(result.configured.ipv4, [], `configured IPv4 addresses${why}`);
  assert.deepEqual(result.configured.defaultRoutes4, [], `configured default route${why}`);
}

Deno.test("harness: dhclient and udhcpc record what a reference server (dnsmasq) hands out", async () => {
  requireCommands(["dnsmasq", "dhclient", "udhcpc"]);
  const vms = [{ name: "vm1", tap: "tap0" }, { name: "vm2", tap: "tap1" }];
  await withLab({ vms }, async (lab) => {
    const [vm1, vm2] = [lab.vm("vm1"), lab.vm("vm2")];
    await lab.addHostAddress(vm1.tap, "10.77.1.1/24");
    await lab.addHostAddress(vm2.tap, "10.77.2.1/24");
    const dnsmasq = lab.spawn([
      ...["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0", "--user=root"],
      ...["--log-facility=-", "--log-dhcp", "--leasefile-ro", `--pid-file=${lab.dir}/dnsmasq.pid`],
      ...["--interface=tap0", "--interface=tap1", "--bind-interfaces", "--dhcp-authoritative"],
      ...[
        "--dhcp-range=10.77.1.0,static,255.255.255.0,1h",
        "--dhcp-range=10.77.2.0,static,255.255.255.0,1h",
      ],
      `--dhcp-host=${vm1.mac},10.77.1.10,alpha`,
      `--dhcp-host=${vm2.mac},10.77.2.10,bravo`,
      `--dhcp-option=option:dns-server,${NAMESERVERS.join(",")}`,
      `--dhcp-option=option:domain-name,${DOMAIN}`,
      "--dhcp-option=option:mtu,1450",
    ], lab.hv);
    await waitFor("dnsmasq to start", () => {
      if (dnsmasq.status !== null) throw new Error(`dnsmasq exited: ${dnsmasq.stderr}`);
      return /DHCP, static leases/.test(dnsmasq.stderr);
    }, { timeoutMs: 10_000 });
    const common = {
      prefixLength: 24,
      dns: NAMESERVERS,
      domain: DOMAIN,
      mtu: 1450,
      leaseTime: 3600,
      renewalTime: 1800,
    };
    assertServed(await runDhclient(lab, vm1), {
      ...common,
      address: "10.77.1.10",
      broadcast: "10.77.1.255",
      router: "10.77.1.1",
      hostname: "alpha",
      serverId: "10.77.1.1",
    }, dnsmasq.stderr);
    assertServed(await runUdhcpc(lab, vm2), {
      ...common,
      address: "10.77.2.10",
      broadcast: "10.77.2.255",
      router: "10.77.2.1",
      hostname: "bravo",
      serverId: "10.77.2.1",
    }, dnsmasq.stderr);
  });
});

Deno.test("harness: clients time out cleanly when nothing answers", async () => {
  requireCommands(["dhclient", "udhcpc"]);
  await withLab({ vms: [{ name: "vm1", tap: "tap0" }] }, async (lab) => {
    const vm = lab.vm("vm1");
    for (
      const result of [
        await runDhclient(lab, vm, { timeoutSec: 2 }),
        await runUdhcpc(lab, vm, { timeoutSec: 2 }),
      ]
    ) {
      assertNotServed(result, "(no server)");
      assert.ok(
        result.exitCode !== null && result.exitCode !== 0,
        `${result.client} exit${explain(result, "")}`,
      );
      assert.ok(result.elapsedMs < 8000, `${result.client} took ${result.elapsedMs} ms`);
    }
  });
});

Deno.test("routed: nfdhcpd serves bound TAPs and ignores the rest", async (t) => {
  requireCommands(["dhclient", "udhcpc"]);
  const vms = [
    { name: "vm1", tap: "tap0" },
    { name: "vm2", tap: "tap1" },
    { name: "vm3", tap: "tap2" },
    { name: "vm4", tap: "tap3" },
    { name: "vm5", tap: "tap4" },
    { name: "vm6", tap: "tap5" },
  ];
  await withLab({ vms }, async (lab) => {
    const [vm1, vm2, vm3, vm4, vm5] = [
      lab.vm("vm1"),
      lab.vm("vm2"),
      lab.vm("vm3"),
      lab.vm("vm4"),
      lab.vm("vm5"),
    ];
    const served1 = bindingFor(vm1, 1);
    const served2 = bindingFor(vm2, 2);
    const private3 = bindingFor(vm3, 3, { PRIVATE: "yes" });
    const spoofed4 = bindingFor(vm4, 4, { MAC: "52:54:00:aa:bb:cc" });
    await lab.writeBinding(vm1.tap, served1.binding);
    await lab.writeBinding(vm2.tap, served2.binding);
    await lab.writeBinding(vm3.tap, private3.binding);
    await lab.writeBinding(vm4.tap, spoofed4.binding);
    await lab.addDhcp4Rule(42);
    const daemon = await Daemon.start(lab, { config: await lab.writeConfig(dhcp4Config(lab)) });

    await t.step(
      "dhclient gets the binding's address, mask, router, DNS, domain, hostname and MTU",
      async () => {
        assertServed(await runDhclient(lab, vm1), served1.expected, daemon.log);
      },
    );

    await t.step(
      "udhcpc gets the binding's address, mask, router, DNS, domain, hostname and MTU",
      async () => {
        assertServed(await runUdhcpc(lab, vm2), served2.expected, daemon.log);
      },
    );

    await t.step("a PRIVATE binding is served without a router", async () => {
      assertServed(await runDhclient(lab, vm3), private3.expected, daemon.log);
    });

    await t.step("a request from a MAC other than the binding's gets nothing", async () => {
      assertNotServed(await runDhclient(lab, vm4, { timeoutSec: 3 }), daemon.log);
      assertNotServed(await runUdhcpc(lab, vm4, { timeoutSec: 3 }), daemon.log);
    });

    await t.step(
      "a request from an unbound TAP passes on to a listener behind the rule",
      async () => {
        await lab.addHostAddress(vm5.tap, "10.99.0.1/24");
        await using listener = await UdpListener.start(lab, lab.hv, 67);
        const client = runUdhcpc(lab, vm5, { timeoutSec: 3 });
        const seen = await listener.waitFor(
          `a DISCOVER from ${vm5.mac} on port 67`,
          (d) => {
            const dhcp = summarizeDhcp(d.payload);
            return dhcp?.messageType === 1 && dhcp.chaddr === vm5.mac;
          },
          10_000,
        ).catch((error) => error instanceof Error ? error : new Error(String(error)));
        const result = await client;
        assert.ok(
          !(seen instanceof Error),
          `${seen instanceof Error ? seen.message : ""}${explain(result, daemon.log)}`,
        );
        assertNotServed(result, daemon.log);
      },
    );

    await t.step(
      "a binding written while the daemon runs is served, and once deleted is not",
      async () => {
        const vm6 = lab.vm("vm6");
        const late = bindingFor(vm6, 6);
        await lab.writeBinding(vm6.tap, late.binding);
        assertServed(await runDhclient(lab, vm6), late.expected, daemon.log);
        const mark = daemon.log.length;
        await lab.removeBinding(vm6.tap);
        // The daemon may or may not log the removal; wait for it briefly so the client does not race inotify.
        await daemon.waitForLog(new RegExp(vm6.tap), 1500, mark).catch(() => undefined);
        assertNotServed(await runUdhcpc(lab, vm6, { timeoutSec: 3 }), daemon.log);
      },
    );

    await t.step(
      "a binding written before its TAP exists is served once the TAP appears",
      async () => {
        const vm7 = { name: "vm7", tap: "tap6", mac: "52:54:00:12:34:77" };
        const early = bindingFor(vm7, 7);
        const mark = daemon.log.length;
        await lab.writeBinding(vm7.tap, early.binding);
        await daemon.waitForLog(new RegExp(vm7.tap), 1500, mark).catch(() => undefined);
        const vm = await lab.addVm(vm7);
        assertServed(await runDhclient(lab, vm), early.expected, daemon.log);
      },
    );

    await t.step("SIGTERM stops nfdhcpd with exit code 0", async () => {
      const status = await daemon.stop();
      assert.equal(
        status.code,
        0,
        `exit status ${JSON.stringify(status)}\n${daemon.log.slice(-4000)}`,
      );
    });
  });
});

Deno.test("bridged: nfdhcpd serves TAPs enslaved to br0 through the physdev rule", async (t) => {
  requireCommands(["dhclient", "udhcpc"]);
  const vms = [{ name: "vm1", tap: "tap0" }, { name: "vm2", tap: "tap1" }];
  await withLab({ vms, bridged: true }, async (lab) => {
    const [vm1, vm2] = [lab.vm("vm1"), lab.vm("vm2")];
    const served1 = bindingFor(vm1, 1, { INDEV: "br0" });
    const served2 = bindingFor(vm2, 2, { INDEV: "br0" });
    await lab.writeBinding(vm1.tap, served1.binding);
    await lab.writeBinding(vm2.tap, served2.binding);
    await lab.addDhcp4Rule(42);
    const daemon = await Daemon.start(lab, { config: await lab.writeConfig(dhcp4Config(lab)) });

    await t.step("dhclient behind tap0 gets its binding", async () => {
      assertServed(await runDhclient(lab, vm1), served1.expected, daemon.log);
    });

    await t.step("udhcpc behind tap1 gets its binding", async () => {
      assertServed(await runUdhcpc(lab, vm2), served2.expected, daemon.log);
    });
  });
});
