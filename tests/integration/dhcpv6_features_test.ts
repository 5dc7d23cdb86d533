/** DHCPv6 integration tests with real clients: several addresses (IP6), prefix delegation (PREFIX6), NTP, boot URL, OPTION6_<n> and option6_<n>, information refresh time. */

import assert from "node:assert/strict";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import {
  type Dhcp6Result,
  readIpv6Addresses,
  runDhclient6,
  setIpv6Sysctls,
  waitForLinkLocal,
} from "../../lab/ipv6_clients.ts";
import type { IniValue } from "../../lab/lab_files.ts";
import { NETWORKD, readLinkState, startNetworkd } from "../../lab/networkd.ts";
import { type Lab, withLab } from "../../lab/netns.ts";
import { requireCommands, run, runJson, waitFor } from "../../lab/proc.ts";

const COMMANDS = ["ip", "ip6tables", "sysctl", "dhclient"];
const NTP6 = "2001:db8:7b::123";
/**
 * Option 56 with one NTP_SUBOPTION_SRV_ADDR for NTP6 (RFC 5908 section 4.1: suboption 1,
 * length 16, the address) as dhclient prints a `string` option: colon-separated hex bytes.
 */
const NTP6_AS_DHCLIENT_STRING = "0:1:0:10:20:1:d:b8:0:7b:0:0:0:0:0:0:0:0:1:23";
const BOOT_URL = "http://boot.example.test/uefi/vm7.efi";

/** The daemon's config: stateful DHCPv6 on the three queues, with the [ipv6] keys under test. */
function config(
  lab: Lab,
  extra: Readonly<Record<string, IniValue>> = {},
  sections: Readonly<Record<string, Readonly<Record<string, IniValue>>>> = {},
) {
  const base = daemonConfig(lab, {
    serverIp: "10.66.0.1",
    nameservers: ["198.51.100.53"],
    domain: "example.test",
    ipv6: {
      enable_ipv6: true,
      mode: "dhcpv6",
      rs_queue: 43,
      ns_queue: 44,
      dhcpv6_queue: 45,
      nameservers: ["2001:db8:53::1"],
      ntp_servers: [NTP6],
      dhcpv6_prefix_preferred_lifetime: 1800,
      dhcpv6_prefix_valid_lifetime: 3600,
      ...extra,
    },
  });
  return { ...base, ...sections };
}

function explain(result: Dhcp6Result, daemon: Daemon): string {
  return `\n--- dhclient -6 (events ${
    result.events.join(", ")
  }; ${result.elapsedMs} ms)\n${result.log}` +
    `\n--- lease file\n${result.leases}\n--- nfdhcpd log\n${daemon.log.slice(-4000)}`;
}

/** The `iaaddr` addresses and `iaprefix` prefixes of a dhclient -6 lease file, in order. */
function leased(leases: string): { addresses: string[]; prefixes: string[] } {
  return {
    addresses: [...leases.matchAll(/iaaddr (\S+) \{/g)].map((m) => m[1]!),
    prefixes: [...leases.matchAll(/iaprefix (\S+) \{/g)].map((m) => m[1]!),
  };
}

Deno.test("dhclient -6 -N -P gets EUI64 and IP6 in IA_NA, PREFIX6 in IA_PD, NTP, boot URL and OPTION6s (binding, [host MAC], [ipv6]); bad items are left out", async (t) => {
  requireCommands(COMMANDS);
  const vm = { name: "vm7", tap: "tap7", mac: "52:54:00:6b:00:07", tapMac: "fe:54:00:6b:00:07" };
  const info = { name: "vm8", tap: "tap8", mac: "52:54:00:6b:00:08", tapMac: "fe:54:00:6b:00:08" };
  await withLab({ vms: [vm, info] }, async (lab) => {
    const v = lab.vm(vm.name);
    const s = lab.vm(info.name);
    for (const x of [v, s]) await setIpv6Sysctls(x.ns, x.iface, { accept_ra: 0, accept_dad: 0 });
    await lab.writeBinding(v.tap, {
      HOSTNAME: "vm7.example.test",
      MAC: vm.mac,
      SUBNET6: "2001:db8:7::/64",
      GATEWAY6: "2001:db8:7::1",
      EUI64: "2001:db8:7::7",
      // The middle address is outside SUBNET6: left out, with a warning; the others are served.
      IP6: "2001:db8:7::70, 2001:db8:99::1, 2001:db8:7::71",
      PREFIX6: "2001:db8:70::/56, 2001:db8:71::/64",
      BOOT_URL6: BOOT_URL,
      "OPTION6_65001": '"lab text"',
      "OPTION6_65002!": "hex:01:02:03",
      // The daemon's own: refused with a warning, the binding goes on.
      "OPTION6_3": "hex:00",
    });
    await lab.writeBinding(s.tap, { HOSTNAME: "vm8", MAC: info.mac, SUBNET6: "2001:db8:8::/64" });
    await lab.addIpv6Rules({ rs: 43, ns: 44, dhcpv6: 45 });
    // Operator options at every level: [ipv6] for all VMs, [host MAC] for vm7, over [ipv6]'s
    // and under the binding's OPTION6_65001.
    const options = {
      information_refresh_time: 7200,
      option6_65003: '"from ipv6"',
      "option6_65004!": "hex:04",
    };
    const host = { [`host ${vm.mac}`]: { option6_65003: '"from host"', option6_65001: "lost" } };
    const daemon = await Daemon.start(lab, {
      config: await lab.writeConfig(config(lab, options, host)),
    });

    await t.step("the addresses and prefixes are in the lease file and on eth0", async () => {
      await waitForLinkLocal(v.ns, v.iface, 5000);
      const result = await runDhclient6(lab, v, {
        stateless: false,
        prefixes: true,
        conf: [
          "option dhcp6.ntp-server code 56 = string;",
          "option dhcp6.lab-text code 65001 = text;",
          "option dhcp6.lab-hex code 65002 = string;",
          "option dhcp6.lab-host code 65003 = text;",
          "option dhcp6.lab-global code 65004 = string;",
          "also request dhcp6.ntp-server, dhcp6.bootfile-url, dhcp6.lab-text, dhcp6.lab-host;",
          "",
        ].join("\n"),
      });
      const why = explain(result, daemon);
      assert.ok(result.vars !== null, `dhclient -6 -P got no lease${why}`);
      assert.deepEqual(leased(result.leases), {
        addresses: ["2001:db8:7::7", "2001:db8:7::70", "2001:db8:7::71"],
        prefixes: ["2001:db8:70::/56", "2001:db8:71::/64"],
      }, why);
      const prefix = /iaprefix 2001:db8:70::\/56 \{[^}]*\}/.exec(result.leases)?.[0] ?? "";
      assert.match(prefix, /preferred-life 1800;/, why);
      assert.match(prefix, /max-life 3600;/, why);
      assert.match(result.leases, new RegExp(`option dhcp6.bootfile-url "${BOOT_URL}";`), why);
      assert.match(result.leases, /option dhcp6.lab-text "lab text";/, why);
      assert.match(result.leases, /option dhcp6.lab-hex 1:2:3;/, why);
      // The host section's option6_65003 over [ipv6]'s, and [ipv6]'s option6_65004! unasked.
      assert.match(result.leases, /option dhcp6.lab-host "from host";/, why);
      assert.match(result.leases, /option dhcp6.lab-global 4;/, why);
      assert.match(
        result.leases,
        new RegExp(`option dhcp6.ntp-server ${NTP6_AS_DHCLIENT_STRING};`),
        why,
      );
      const global = (await readIpv6Addresses(v.ns)).filter((a) => a.scope === "global");
      assert.deepEqual(
        global.map((a) => a.address).sort(),
        ["2001:db8:7::7", "2001:db8:7::70", "2001:db8:7::71"],
        `addresses on eth0${why}`,
      );
      assert.match(
        daemon.log,
        /reply with 2001:db8:7::7, 2001:db8:7::70, 2001:db8:7::71, prefix 2001:db8:70::\/56, prefix 2001:db8:71::\/64/,
      );
    });

    await t.step(
      "the bad IP6 item and the owned option are reported with file, line and reason",
      () => {
        assert.match(
          daemon.log,
          /Binding tap7 line 6: IP6: 2001:db8:99::1 is outside SUBNET6 2001:db8:7::\/64; 2001:db8:99::1 left out/,
        );
        assert.match(
          daemon.log,
          /Binding tap7 line 11: OPTION6_3: option 3 is the daemon's: IA_NA holds the addresses/,
        );
      },
    );

    await t.step("dhclient -6 -S is told the information refresh time", async () => {
      await waitForLinkLocal(s.ns, s.iface, 5000);
      const result = await runDhclient6(lab, s, {
        stateless: true,
        conf: "also request dhcp6.info-refresh-time;\n",
      });
      const why = explain(result, daemon);
      assert.ok(result.vars !== null, `dhclient -6 -S got no answer${why}`);
      assert.equal(result.vars.new_dhcp6_info_refresh_time, "7200", why);
    });
  });
});

Deno.test("systemd-networkd takes EUI64 and IP6, and assigns a /64 of its delegated prefix downstream", async (t) => {
  requireCommands([...COMMANDS, NETWORKD]);
  const vm = { name: "vm9", tap: "tap9", mac: "52:54:00:6b:00:09", tapMac: "fe:54:00:6b:00:09" };
  // The TAP keeps its kernel link-local address: the host pings into the delegated prefix.
  await withLab({ vms: [vm], hostLinkLocal: true }, async (lab) => {
    const v = lab.vm(vm.name);
    // networkd handles RAs itself (IPv6AcceptRA=), so the kernel must not.
    await setIpv6Sysctls(v.ns, v.iface, { accept_ra: 0 });
    await lab.writeBinding(v.tap, {
      HOSTNAME: "vm9.example.test",
      MAC: vm.mac,
      SUBNET6: "2001:db8:9::/64",
      GATEWAY6: "2001:db8:9::1",
      EUI64: "2001:db8:9::9",
      IP6: "2001:db8:9::90",
      PREFIX6: "2001:db8:90::/56",
    });
    await lab.addIpv6Rules({ rs: 43, ns: 44, dhcpv6: 45 });
    const daemon = await Daemon.start(lab, { config: await lab.writeConfig(config(lab)) });
    const networkd = await startNetworkd(lab, v, {
      "10-eth0.network": [
        "[Match]",
        "Name=eth0",
        "[Network]",
        "DHCP=ipv6",
        "IPv6AcceptRA=yes",
        "LinkLocalAddressing=ipv6",
        "[DHCPv6]",
        "UseDelegatedPrefix=yes",
        "UseNTP=yes",
        "",
      ].join("\n"),
      // A bridge without ports stands for the VM's downstream network (no dummy module here).
      "20-lan0.netdev": "[NetDev]\nName=lan0\nKind=bridge\n",
      "20-lan0.network": [
        "[Match]",
        "Name=lan0",
        "[Network]",
        "LinkLocalAddressing=no",
        "ConfigureWithoutCarrier=yes",
        "DHCPPrefixDelegation=yes",
        "[DHCPPrefixDelegation]",
        "UplinkInterface=eth0",
        "SubnetId=1",
        "Announce=no",
        "Token=::1",
        "",
      ].join("\n"),
    });
    const why = async () =>
      `\n--- eth0 ${JSON.stringify(await readIpv6Addresses(v.ns).catch(String))}` +
      `\n--- networkd\n${networkd.proc.stderr.slice(-6000)}\n--- nfdhcpd log\n${
        daemon.log.slice(-3000)
      }`;

    await t.step("eth0 gets EUI64 and IP6, lan0 2001:db8:90:1::1/64", async () => {
      const done = await waitFor("networkd to configure eth0 and lan0", async () => {
        const eth0 = (await readIpv6Addresses(v.ns)).map((a) => a.address);
        const lan0 = await readIpv6Addresses(v.ns, "lan0").catch(() => []);
        return eth0.includes("2001:db8:9::9") && eth0.includes("2001:db8:9::90") &&
          lan0.some((a) => a.address === "2001:db8:90:1::1");
      }, { timeoutMs: 30_000, intervalMs: 200 }).catch((e: Error) => e);
      assert.equal(done, true, `${done}${await why()}`);
      const lan0 = (await readIpv6Addresses(v.ns, "lan0")).filter((a) => a.scope === "global");
      assert.deepEqual(lan0.map((a) => `${a.address}/${a.prefixLength}`), ["2001:db8:90:1::1/64"]);
      // The delegated prefix's lifetimes, from dhcpv6_prefix_*_lifetime (1800 and 3600 s).
      const shown = JSON.stringify(
        await runJson(["ip", "-j", "-6", "addr", "show", "dev", "lan0"], { ns: v.ns }),
      );
      const life = /"valid_life_time":(\d+),"preferred_life_time":(\d+)/.exec(shown);
      assert.ok(life, shown);
      const [valid, preferred] = [Number(life[1]), Number(life[2])];
      assert.ok(valid > 3500 && valid <= 3600, `valid lifetime ${valid}: ${shown}`);
      assert.ok(preferred > 1700 && preferred <= 1800, `preferred lifetime ${preferred}: ${shown}`);
      const routes = await runJson(["ip", "-j", "-6", "route", "show", "type", "unreachable"], {
        ns: v.ns,
      });
      assert.ok(
        JSON.stringify(routes).includes('"dst":"2001:db8:90::/56"'),
        `networkd's unreachable route for the delegated prefix: ${
          JSON.stringify(routes)
        }${await why()}`,
      );
    });

    await t.step(
      "networkd takes the NTP server (56) and the host name from option 39",
      async () => {
        const { stdout } = await run(["ip", "-j", "link", "show", "eth0"], { ns: v.ns });
        const ifindex = (JSON.parse(stdout) as { ifindex: number }[])[0]!.ifindex;
        const ntp = await waitFor(`networkd to record ${NTP6}`, async () => {
          const state = await readLinkState(networkd, ifindex);
          return (state.NTP ?? "").split(" ").includes(NTP6) || null;
        }, { timeoutMs: 10_000, intervalMs: 200 }).catch((e: Error) => e);
        const state = JSON.stringify(await readLinkState(networkd, ifindex));
        assert.equal(ntp, true, `${ntp}\n--- link state ${state}${await why()}`);
        // It takes the host name from option 39 (set in its own UTS namespace, through hostnamed).
        assert.match(networkd.proc.stderr, /Setting transient hostname: 'vm9\.example\.test'/);
        assert.match(
          daemon.log,
          /DHCPv6 (solicit|request) from \S+ on tap9: reply with 2001:db8:9::9, 2001:db8:9::90, prefix 2001:db8:90::\/56/,
        );
      },
    );

    await t.step(
      "the README's one host route line makes the delegated prefix reachable",
      async () => {
        // An address the VM routes from its prefix (lan0's stays tentative: a bridge without
        // ports has no carrier, so its DAD never ends).
        await run(["ip", "-6", "addr", "add", "2001:db8:90:ff::1/128", "dev", "lo"], { ns: v.ns });
        // README "IPv6", prefix delegation: the route via the VM's link-local address.
        await run([
          ...["ip", "-6", "route", "replace", "2001:db8:90::/56"],
          ...["via", "fe80::5054:ff:fe6b:9", "dev", v.tap],
        ], { ns: lab.hv });
        await waitForLinkLocal(lab.hv, v.tap, 5000);
        const { code, stdout, stderr } = await run(
          ["ping", "-6", "-n", "-c", "1", "-W", "2", "2001:db8:90:ff::1"],
          { ns: lab.hv, allowFailure: true },
        );
        const routes = await run(["ip", "-6", "route"], { ns: lab.hv });
        const out = `${stdout}${stderr}\n--- host routes\n${routes.stdout}${await why()}`;
        assert.equal(code, 0, `ping 2001:db8:90:ff::1 from the host:\n${out}`);
      },
    );
  });
});
