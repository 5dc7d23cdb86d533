/** IPv6 integration tests: the VM's kernel, rdisc6, ndisc6, ping and dhclient -6 against nfdhcpd over NFQUEUE. */

import assert from "node:assert/strict";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import {
  dhclientList,
  type Dhcp6Result,
  ip6tablesPackets,
  pingOnce,
  readIpv6Addresses,
  readIpv6Routes,
  readIpv6Sysctl,
  readNeighbours,
  runDhclient6,
  runNdisc6,
  runRdisc6,
  setIpv6Sysctls,
  waitForLinkLocal,
} from "../../lab/ipv6_clients.ts";
import type { BindingSpec, IniSections } from "../../lab/lab_files.ts";
import { type Lab, type Vm, withLab } from "../../lab/netns.ts";
import { requireCommands, run, waitFor } from "../../lab/proc.ts";

const NAMESERVERS = ["2001:db8:53::1", "2001:db8:53::2"];
const DOMAINS = ["example.test", "lab.example.test"];
const MTU = 1400;
/** Router lifetime of every RA (the original's). */
const ROUTER_LIFETIME = 14400;
const COMMANDS = ["ip", "ip6tables", "sysctl", "rdisc6", "ndisc6", "ping", "dhclient"];

/**
 * One VM and what it must see. MACs are fixed so the expected addresses can be written out:
 * the SLAAC address is SUBNET6 + EUI-64 of the VM's MAC, the router's link-local fe80:: +
 * EUI-64 of the TAP's MAC (INDEV, routed).
 */
interface Site {
  readonly vm: { name: string; tap: string; mac: string; tapMac: string };
  readonly subnet6: string;
  readonly gateway6: string;
  readonly slaac: string;
  readonly hostLinkLocal: string;
}

/** The site of VM `n` (1..9): tap`n-1`, MACs ..:6a:00:0n, SUBNET6 2001:db8:n::/64. */
function site(n: number): Site {
  return {
    vm: {
      name: `vm${n}`,
      tap: `tap${n - 1}`,
      mac: `52:54:00:6a:00:0${n}`,
      tapMac: `fe:54:00:6a:00:0${n}`,
    },
    subnet6: `2001:db8:${n}::/64`,
    gateway6: `2001:db8:${n}::1`,
    slaac: `2001:db8:${n}:0:5054:ff:fe6a:${n}`,
    hostLinkLocal: `fe80::fc54:ff:fe6a:${n}`,
  };
}

/** The binding file of `s`: SUBNET6, GATEWAY6 and MTU; `extra` overrides. */
function bindingOf(s: Site, extra: Partial<BindingSpec> = {}): BindingSpec {
  return {
    HOSTNAME: `${s.vm.name}.example.test`,
    INDEV: s.vm.tap,
    MAC: s.vm.mac,
    SUBNET6: s.subnet6,
    GATEWAY6: s.gateway6,
    MTU,
    ...extra,
  };
}

/** The daemon's config: IPv6 on the three queues of the rules, in `mode`. */
function ipv6Config(lab: Lab, mode: string): IniSections {
  return daemonConfig(lab, {
    serverIp: "10.66.0.1",
    nameservers: ["198.51.100.53"],
    domain: "example.test",
    ipv6: {
      enable_ipv6: true,
      mode,
      rs_queue: 43,
      ns_queue: 44,
      dhcpv6_queue: 45,
      nameservers: NAMESERVERS,
      domains: DOMAINS,
    },
  });
}

/** Takes the VM's link down and sets its IPv6 sysctls; {@linkcode linkUp} starts it again. */
async function prepare(vm: Vm, sysctls: Readonly<Record<string, number>>): Promise<void> {
  await run(["ip", "link", "set", vm.iface, "down"], { ns: vm.ns });
  await setIpv6Sysctls(vm.ns, vm.iface, sysctls);
}

/** Brings the VM's link up: its kernel starts DAD and, when it accepts RAs, solicits a router. */
async function linkUp(vm: Vm): Promise<void> {
  await run(["ip", "link", "set", vm.iface, "up"], { ns: vm.ns });
}

/** The VM's IPv6 state and the daemon's log tail, for assertion messages. */
async function explain(vm: Vm, daemon: Daemon, extra = ""): Promise<string> {
  const addresses = await readIpv6Addresses(vm.ns, vm.iface).catch((e) => String(e));
  const routes = await readIpv6Routes(vm.ns).catch((e) => String(e));
  return `\n--- ${vm.name} addresses: ${JSON.stringify(addresses)}\n--- routes: ${
    JSON.stringify(routes)
  }${extra === "" ? "" : `\n--- ${extra}`}\n--- nfdhcpd log\n${daemon.log.slice(-4000)}`;
}

/** Text for a dhclient -6 run's assertion messages. */
function explainDhcp6(result: Dhcp6Result): string {
  return `dhclient -6 (events ${result.events.join(", ")}; ${result.elapsedMs} ms)\n${result.log}`;
}

/** Asserts the daemon logged no warning or error. */
function assertQuietLog(daemon: Daemon): void {
  assert.doesNotMatch(daemon.log, /^(WARNING|ERROR)\b/m, daemon.log.slice(-4000));
}

Deno.test("IPv6 routed, slaac+dhcpv6: kernel SLAAC, rdisc6, ndisc6, dhclient -6 -S; spoofed and unbound", async (t) => {
  requireCommands(COMMANDS);
  const [slaac, rdisc, info, spoof, unbound] = [1, 2, 3, 4, 5].map(site) as [
    Site,
    Site,
    Site,
    Site,
    Site,
  ];
  const sites = [slaac, rdisc, info, spoof, unbound];
  await withLab({ vms: sites.map((s) => s.vm) }, async (lab) => {
    const vm = (s: Site) => lab.vm(s.vm.name);
    // The kernel of `slaac` and `spoof` solicits routers; the others stay quiet but for the
    // tools, so that the counters below count the tools' solicitations only.
    await prepare(vm(slaac), { accept_ra: 2 });
    await prepare(vm(spoof), { accept_ra: 2, accept_dad: 0 });
    for (const s of [rdisc, info, unbound]) await prepare(vm(s), { accept_ra: 0, accept_dad: 0 });
    await lab.writeBinding(slaac.vm.tap, bindingOf(slaac));
    await lab.writeBinding(rdisc.vm.tap, bindingOf(rdisc));
    await lab.writeBinding(info.vm.tap, bindingOf(info));
    await lab.writeBinding(spoof.vm.tap, bindingOf(spoof, { MAC: "52:54:00:6a:00:99" }));
    await lab.addIpv6Rules({ rs: 43, ns: 44, dhcpv6: 45 });
    // An RS the daemon lets through goes on to the hypervisor's INPUT chain (a TAP with
    // forwarding on joins ff02::2), where a rule without target counts it: one for the unbound
    // TAP, and one for a bound TAP whose RSs the daemon must drop.
    for (const s of [unbound, rdisc]) {
      await run(["sysctl", "-q", "-w", `net.ipv6.conf.${s.vm.tap}.forwarding=1`], { ns: lab.hv });
      await lab.ip6tables([
        ...["-A", "INPUT", "-i", s.vm.tap, "-p", "icmpv6"],
        ...["--icmpv6-type", "router-solicitation"],
      ]);
    }
    const daemon = await Daemon.start(lab, {
      config: await lab.writeConfig(ipv6Config(lab, "slaac+dhcpv6")),
    });

    await t.step(
      "the VM's kernel takes its SLAAC address and default route from our RA",
      async () => {
        const v = vm(slaac);
        await linkUp(v);
        const ready = await waitFor(`${v.name} to configure ${slaac.slaac}`, async () => {
          const address = (await readIpv6Addresses(v.ns)).find((a) => a.address === slaac.slaac);
          const route = (await readIpv6Routes(v.ns)).some((r) => r.dst === "default");
          // A failed DAD (someone answered for the address) ends the wait too.
          return address !== undefined && (!address.tentative || address.dadFailed) && route;
        }, { timeoutMs: 15_000, intervalMs: 100 }).catch((e: Error) => e);
        const why = await explain(v, daemon);
        assert.equal(ready, true, `${ready instanceof Error ? ready.message : ""}${why}`);
        const global = (await readIpv6Addresses(v.ns)).filter((a) => a.scope === "global");
        assert.deepEqual(
          global,
          [{
            address: slaac.slaac,
            prefixLength: 64,
            scope: "global",
            tentative: false,
            dadFailed: false,
            dynamic: true,
          }],
          `global addresses${why}`,
        );
        const routes = await readIpv6Routes(v.ns);
        assert.deepEqual(
          routes.filter((r) => r.dst === "default"),
          [{
            dst: "default",
            gateway: slaac.hostLinkLocal,
            dev: v.iface,
            protocol: "ra",
            pref: "high",
          }],
          `default route${why}`,
        );
        assert.ok(
          routes.some((r) => r.dst === slaac.subnet6 && r.dev === v.iface && r.gateway === null),
          `on-link route for ${slaac.subnet6}${why}`,
        );
        assert.equal(await readIpv6Sysctl(v.ns, v.iface, "mtu"), `${MTU}`, `MTU from the RA${why}`);
        // The kernel solicits once its link-local address has passed DAD, which can be after it
        // took the SLAAC address from the RA sent when its link came up: wait for the answer.
        const answered = await daemon.waitForLog(
          /RS from fe80::5054:ff:fe6a:1 on tap0: RA for 2001:db8:1::\/64/,
          5000,
        ).catch((e: Error) => e);
        assert.ok(typeof answered === "string", `${answered}${await explain(v, daemon)}`);
      },
    );

    await t.step("rdisc6 sees the prefix, M/O flags, RDNSS, DNSSL and MTU", async () => {
      const v = vm(rdisc);
      await linkUp(v);
      await waitForLinkLocal(v.ns, v.iface, 5000);
      const result = await runRdisc6(v);
      const why = `\n--- rdisc6 (exit ${result.code})\n${result.output}${await explain(v, daemon)}`;
      assert.equal(result.code, 0, `rdisc6 got no answer${why}`);
      assert.deepEqual(result.advert, {
        from: rdisc.hostLinkLocal,
        managed: false,
        otherConfig: true,
        preference: "high",
        routerLifetime: ROUTER_LIFETIME,
        sourceLinkLayer: rdisc.vm.tapMac.toUpperCase(),
        mtu: MTU,
        prefixes: [{ prefix: rdisc.subnet6, onLink: true, autonomous: true }],
        dnsServers: NAMESERVERS,
        searchDomains: DOMAINS,
      }, `the RA rdisc6 printed${why}`);
      assert.equal(
        await ip6tablesPackets(lab, "INPUT", `-i ${rdisc.vm.tap} `),
        0,
        `an answered RS must not go on past the queue${why}`,
      );
    });

    await t.step("ndisc6 and the kernel resolve GATEWAY6 and the router's link-local", async () => {
      const v = vm(slaac);
      await run(["ip", "-6", "neigh", "flush", "dev", v.iface], { ns: v.ns });
      // Nothing answers the echo; the ping is there to make the kernel resolve the neighbour.
      await pingOnce(v, slaac.gateway6);
      await pingOnce(v, `${slaac.hostLinkLocal}%${v.iface}`);
      const neighbours = await readNeighbours(v.ns, v.iface);
      const why = `\n--- neighbours ${JSON.stringify(neighbours)}${await explain(v, daemon)}`;
      for (const target of [slaac.gateway6, slaac.hostLinkLocal]) {
        const entry = neighbours.find((n) => n.dst === target);
        assert.ok(entry, `no neighbour entry for ${target}${why}`);
        assert.equal(entry.lladdr, slaac.vm.tapMac, `${target}'s MAC${why}`);
        assert.equal(entry.router, true, `${target}'s router flag${why}`);
        assert.ok(
          !entry.state.some((s) => s === "FAILED" || s === "INCOMPLETE"),
          `${target}'s state ${entry.state}${why}`,
        );
      }
      for (const target of [slaac.gateway6, slaac.hostLinkLocal]) {
        const result = await runNdisc6(v, target);
        const state = await explain(v, daemon);
        const out = `\n--- ndisc6 ${target} (exit ${result.code})\n${result.output}${state}`;
        assert.equal(result.code, 0, `ndisc6 got no answer${out}`);
        assert.equal(result.mac, slaac.vm.tapMac, `target link-layer address${out}`);
        assert.equal(result.from, target, `the NA comes from its target${out}`);
      }
    });

    await t.step("dhclient -6 -S gets the DNS servers and search domains", async () => {
      const v = vm(info);
      await linkUp(v);
      await waitForLinkLocal(v.ns, v.iface, 5000);
      const result = await runDhclient6(lab, v, { stateless: true });
      const why = `\n--- ${explainDhcp6(result)}${await explain(v, daemon)}`;
      assert.ok(result.vars !== null, `dhclient -6 -S got no answer${why}`);
      assert.deepEqual(dhclientList(result.vars.new_dhcp6_name_servers), NAMESERVERS, why);
      assert.deepEqual(dhclientList(result.vars.new_dhcp6_domain_search), DOMAINS, why);
      assert.equal(result.vars.new_ip6_address, undefined, `no address when stateless${why}`);
      assert.match(daemon.log, /DHCPv6 informationRequest from fe80::5054:ff:fe6a:3 on tap2/);
    });

    await t.step("a VM whose MAC is not the binding's gets no RA", async () => {
      const v = vm(spoof);
      const mark = daemon.log.length;
      await linkUp(v);
      // The kernel's own RS reaches the daemon and is dropped as spoofed...
      await daemon.waitForLog(
        /tap3: dropped \(spoofed-mac\): RS from fe80::5054:ff:fe6a:4 on tap3: spoofed MAC 52:54:00:6a:00:04/,
        10_000,
        mark,
      );
      // ...and so is rdisc6's; nothing answers either.
      const result = await runRdisc6(v, 2, 1000);
      const why = `\n--- rdisc6 (exit ${result.code})\n${result.output}${await explain(v, daemon)}`;
      assert.notEqual(result.code, 0, `rdisc6 got an answer${why}`);
      assert.equal(result.advert, null, `rdisc6 printed an RA${why}`);
      assert.match(result.output, /No response/, why);
      const global = (await readIpv6Addresses(v.ns)).filter((a) => a.scope !== "link");
      assert.deepEqual(global, [], `global addresses${why}`);
      const defaults = (await readIpv6Routes(v.ns)).filter((r) => r.dst === "default");
      assert.deepEqual(defaults, [], `default routes${why}`);
    });

    await t.step("an RS from an unbound TAP passes on past the queue", async () => {
      const v = vm(unbound);
      await linkUp(v);
      await waitForLinkLocal(v.ns, v.iface, 5000);
      const match = `-i ${unbound.vm.tap} `;
      const before = await ip6tablesPackets(lab, "INPUT", match);
      const result = await runRdisc6(v, 2, 1000);
      const after = await ip6tablesPackets(lab, "INPUT", match);
      const why = `\n--- rdisc6 (exit ${result.code})\n${result.output}${await explain(v, daemon)}`;
      assert.equal(result.advert, null, `nobody may answer an unbound TAP${why}`);
      assert.ok(after > before, `INPUT counted ${before} → ${after} RSs from ${v.name}${why}`);
      assert.doesNotMatch(daemon.log, /\btap4\b/, `the daemon must not act for tap4${why}`);
    });

    await t.step("the daemon logged no warning or error", () => assertQuietLog(daemon));
  });
});

Deno.test("IPv6 routed, dhcpv6 mode: no SLAAC, dhclient -6 leases the binding's EUI64", async (t) => {
  requireCommands(COMMANDS);
  const managed = site(6);
  const eui64 = "2001:db8:6::6";
  await withLab({ vms: [managed.vm] }, async (lab) => {
    const v = lab.vm(managed.vm.name);
    // DAD stays on: the daemon must not answer the probes for the VM's addresses.
    await prepare(v, { accept_ra: 2 });
    await lab.writeBinding(v.tap, bindingOf(managed, { EUI64: eui64 }));
    await lab.addIpv6Rules({ rs: 43, ns: 44, dhcpv6: 45 });
    const daemon = await Daemon.start(lab, {
      config: await lab.writeConfig(ipv6Config(lab, "dhcpv6")),
    });

    await t.step("the RA sets M and O; the prefix is on-link, not autonomous", async () => {
      await linkUp(v);
      const routed = await waitFor(
        `${v.name} to take a default route from the RA`,
        async () => (await readIpv6Routes(v.ns)).some((r) => r.dst === "default"),
        {
          timeoutMs: 15_000,
          intervalMs: 100,
        },
      ).catch((e: Error) => e);
      const why = await explain(v, daemon);
      assert.equal(routed, true, `${routed instanceof Error ? routed.message : ""}${why}`);
      // The kernel handles the prefix option together with the router, so by now an
      // autonomous prefix would have given an address.
      const global = (await readIpv6Addresses(v.ns)).filter((a) => a.scope !== "link");
      assert.deepEqual(global, [], `no SLAAC address in dhcpv6 mode${why}`);
      const routes = await readIpv6Routes(v.ns);
      assert.ok(
        routes.some((r) => r.dst === managed.subnet6 && r.dev === v.iface),
        `on-link route for ${managed.subnet6}${why}`,
      );
      // The RA may come before DAD ends (the daemon advertises as soon as the link comes up):
      // rdisc6 cannot send from a tentative link-local.
      await waitForLinkLocal(v.ns, v.iface, 5000);
      const result = await runRdisc6(v);
      const out = `\n--- rdisc6 (exit ${result.code})\n${result.output}${why}`;
      assert.equal(result.advert?.managed, true, `M flag${out}`);
      assert.equal(result.advert?.otherConfig, true, `O flag${out}`);
      assert.deepEqual(
        result.advert?.prefixes,
        [{ prefix: managed.subnet6, onLink: true, autonomous: false }],
        `prefix${out}`,
      );
    });

    await t.step("dhclient -6 gets the binding's EUI64 and keeps it through DAD", async () => {
      await waitForLinkLocal(v.ns, v.iface, 5000);
      const result = await runDhclient6(lab, v, { stateless: false });
      const why = `\n--- ${explainDhcp6(result)}${await explain(v, daemon)}`;
      assert.ok(result.vars !== null, `dhclient -6 got no lease${why}`);
      assert.equal(result.vars.new_ip6_address, eui64, `leased address${why}`);
      assert.deepEqual(dhclientList(result.vars.new_dhcp6_name_servers), NAMESERVERS, why);
      assert.deepEqual(dhclientList(result.vars.new_dhcp6_domain_search), DOMAINS, why);
      const settled = await waitFor(`${eui64} to finish DAD`, async () => {
        const a = (await readIpv6Addresses(v.ns)).find((x) => x.address === eui64);
        return a !== undefined && (!a.tentative || a.dadFailed) && a;
      }, { timeoutMs: 5000, intervalMs: 100 }).catch((e: Error) => e);
      const after = await explain(v, daemon);
      assert.ok(!(settled instanceof Error), `${settled}${after}`);
      assert.equal(settled.dadFailed, false, `DAD failed for ${eui64}${after}`);
      assert.match(daemon.log, new RegExp(`DHCPv6 request from \\S+ on tap5: reply with ${eui64}`));
    });

    await t.step("the daemon logged no warning or error", () => assertQuietLog(daemon));
  });
});
