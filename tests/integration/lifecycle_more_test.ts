/**
 * Root tests of what the daemon does over time and on reload, seen from real clients in the VMs:
 * periodic and immediate RAs, SIGHUP changing datapath, queue and mode, DHCPv6 renew and
 * release, a NAK to a client that asks for another address, resolv.conf as dhclient-script
 * writes it, and a spoofed MAC refused for the logged reason.
 */
import assert from "node:assert/strict";
import { type RecordedRun, runRecorded, runUdhcpc } from "../../lab/clients.ts";
import { captureAdverts } from "../../lab/adverts.ts";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import { runRdisc6, setIpv6Sysctls, waitForLinkLocal } from "../../lab/ipv6_clients.ts";
import type { BindingSpec, IniSections } from "../../lab/lab_files.ts";
import { formatBinding } from "../../lab/lab_files.ts";
import { type Lab, type Vm, withLab } from "../../lab/netns.ts";
import { requireCommands, run, waitFor } from "../../lab/proc.ts";

const SERVER_IP = "10.20.0.1";
const DOMAIN = "example.test";
const DNS = ["198.51.100.1"];
const VM = { name: "vm1", tap: "tap1", mac: "52:54:00:6b:00:01", tapMac: "fe:54:00:6b:00:01" };

/** The binding of VM: 10.20.1.`host`, SUBNET6 2001:db8:1::/64. */
function bindingOf(host: number, extra: Partial<BindingSpec> = {}): BindingSpec {
  return {
    HOSTNAME: `vm1.${DOMAIN}`,
    INDEV: VM.tap,
    MAC: VM.mac,
    IP: `10.20.1.${host}`,
    SUBNET: "10.20.1.0/24",
    GATEWAY: "10.20.1.1",
    SUBNET6: "2001:db8:1::/64",
    GATEWAY6: "2001:db8:1::1",
    ...extra,
  };
}

/** DHCPv4 on `dhcpQueue`; IPv6 in `mode` on queues 43/44 (and 45 unless slaac); `extra` added. */
function config(
  lab: Lab,
  options: { dhcpQueue?: number; mode?: string; ipv6?: Record<string, string | number> } = {},
): IniSections {
  const mode = options.mode ?? "slaac";
  const base = daemonConfig(lab, {
    serverIp: SERVER_IP,
    nameservers: DNS,
    domain: DOMAIN,
    dhcpQueue: options.dhcpQueue ?? 42,
    ipv6: {
      enable_ipv6: true,
      mode,
      rs_queue: 43,
      ns_queue: 44,
      ...(mode === "slaac" ? {} : { dhcpv6_queue: 45 }),
      nameservers: ["2001:db8:53::1"],
      ...options.ipv6,
    },
  });
  return base;
}

/** A lab with VM (quiet: it sends no RS of its own) bound as 10.20.1.10, and every rule. */
async function withVm(body: (lab: Lab, vm: Vm) => Promise<void>, bind = true): Promise<void> {
  await withLab({ vms: [VM] }, async (lab) => {
    const vm = lab.vm(VM.name);
    await setIpv6Sysctls(vm.ns, vm.iface, { accept_ra: 0 });
    await run(["ip", "link", "set", vm.iface, "up"], { ns: vm.ns });
    // rdisc6 and dhclient -6 need a link-local address that has passed DAD.
    await waitForLinkLocal(vm.ns, vm.iface, 10_000);
    await lab.addDhcp4Rule();
    await lab.addIpv6Rules();
    if (bind) await lab.writeBinding(VM.tap, bindingOf(10));
    await body(lab, vm);
  });
}

/** Starts capturing RAs in `vm`; `times()` gives when each was seen (monotonic seconds). */
async function listenForAdverts(lab: Lab, vm: Vm, seconds: number) {
  const { proc, adverts } = await captureAdverts(lab, vm, seconds);
  return { proc, times: () => adverts().map((a) => a.at) };
}

Deno.test("ra_period = 1: unsolicited RAs reach the VM about a second apart", async () => {
  await withVm(async (lab, vm) => {
    const daemon = await Daemon.start(lab, {
      config: await lab.writeConfig(config(lab, { ipv6: { ra_period: 1 } })),
    });
    const { proc, times } = await listenForAdverts(lab, vm, 10);
    await waitFor("three RAs", () => times().length >= 3, { timeoutMs: 8000 }).catch(() => {});
    await proc.stop(1000);
    const seen = times();
    const why = `RAs at ${seen.join(", ")}\n${daemon.log.slice(-3000)}`;
    assert.ok(seen.length >= 3, `fewer than three RAs in 8 s: ${why}`);
    for (let i = 1; i < seen.length; i++) {
      const gap = seen[i]! - seen[i - 1]!;
      assert.ok(gap > 0.5 && gap < 2, `RAs ${gap.toFixed(3)} s apart, not about 1 s: ${why}`);
    }
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  }, true);
});

Deno.test("a binding written while the daemon runs gets an RA at once, not a period later", async () => {
  await withVm(async (lab, vm) => {
    const daemon = await Daemon.start(lab, {
      config: await lab.writeConfig(config(lab, { ipv6: { ra_period: 300 } })),
    });
    const { proc, times } = await listenForAdverts(lab, vm, 15);
    const written = performance.now();
    await lab.writeBinding(VM.tap, bindingOf(10));
    await waitFor("an RA after the binding", () => times().length >= 1, { timeoutMs: 5000 })
      .catch(() => {});
    const waited = performance.now() - written;
    await proc.stop(1000);
    assert.ok(times().length >= 1, `no RA within 5 s of the binding\n${daemon.log.slice(-3000)}`);
    assert.ok(waited < 5000, `${waited} ms`);
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  }, false);
});

/** Queue `num` as the hypervisor's kernel lists it: whether a process is bound to it. */
async function queueBound(lab: Lab, num: number): Promise<boolean> {
  const { stdout } = await run(["cat", "/proc/net/netfilter/nfnetlink_queue"], { ns: lab.hv });
  return stdout.split("\n").some((line) => Number(line.trim().split(/\s+/)[0]) === num);
}

Deno.test("SIGHUP: a new datapath, dhcp_queue 42 → 52 (rule moved) and mode slaac → dhcpv6", async () => {
  requireCommands(["udhcpc", "rdisc6"]);
  await withVm(async (lab, vm) => {
    const path = await lab.writeConfig(config(lab, { mode: "slaac" }));
    const daemon = await Daemon.start(lab, { config: path });
    const why = () => daemon.log.slice(-3000);
    const first = await runUdhcpc(lab, vm, { timeoutSec: 5 });
    assert.equal(first.lease?.address, "10.20.1.10", `${first.log}\n${why()}`);
    const slaac = await runRdisc6(vm);
    assert.equal(slaac.advert?.managed, false, slaac.output);
    assert.equal(slaac.advert?.otherConfig, false, slaac.output);
    assert.ok(await queueBound(lab, 42));

    // The new datapath binds the same VM to another address.
    const datapath = `${lab.dir}/bindings-2`;
    Deno.mkdirSync(datapath);
    Deno.writeTextFileSync(`${datapath}/${VM.tap}`, formatBinding(bindingOf(20)));
    const next = config(lab, { dhcpQueue: 52, mode: "dhcpv6" });
    await lab.writeConfig({ ...next, general: { ...next.general, datapath } });
    await lab.iptables(["-t", "mangle", "-F", "PREROUTING"]);
    await lab.addDhcp4Rule(52);
    const since = daemon.log.length;
    daemon.signal("SIGHUP");
    await daemon.waitForLog(/Configuration reloaded/, 10_000, since);

    assert.ok(await queueBound(lab, 52), "queue 52 is bound after the reload");
    assert.equal(await queueBound(lab, 42), false, "queue 42 is released");
    const second = await runUdhcpc(lab, vm, { timeoutSec: 5 });
    assert.equal(second.lease?.address, "10.20.1.20", `${second.log}\n${why()}`);
    const stateful = await runRdisc6(vm);
    assert.equal(stateful.advert?.managed, true, `${stateful.output}\n${why()}`);
    assert.equal(stateful.advert?.otherConfig, true, stateful.output);
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});

/** A case "$reason" for dhclient: applies an address as dhclient-script would. */
const APPLY_ADDRESS = `case "$reason" in
  PREINIT) ip link set dev "$interface" up ;;
  BOUND|RENEW|REBIND|REBOOT) ip -4 addr flush dev "$interface"
    ip -4 addr add "$new_ip_address/24" dev "$interface" ;;
  BOUND6|RENEW6|REBIND6|REBOOT6) [ -n "$new_ip6_address" ] &&
    ip -6 addr replace "$new_ip6_address/$new_ip6_prefixlen" dev "$interface" ;;
esac`;

Deno.test("dhclient remembering another address asks for it, is NAKed, then gets its binding's", async () => {
  requireCommands(["dhclient"]);
  await withVm(async (lab, vm) => {
    const daemon = await Daemon.start(lab, { config: await lab.writeConfig(config(lab)) });
    const result = await runRecorded(lab, vm, {
      name: "dhclient-nak",
      apply: APPLY_ADDRESS,
      timeoutSec: 15,
      answered: (e) => e.reason === "BOUND",
      cmd: ({ dir, script }) => {
        // An unexpired lease on 10.20.1.99: dhclient starts in INIT-REBOOT and REQUESTs it.
        Deno.writeTextFileSync(
          `${dir}/leases`,
          `lease {\n  interface "${vm.iface}";\n  fixed-address 10.20.1.99;\n` +
            `  option subnet-mask 255.255.255.0;\n  option dhcp-server-identifier ${SERVER_IP};\n` +
            `  option dhcp-lease-time 86400;\n  renew 4 2037/12/31 00:00:00;\n` +
            `  rebind 4 2037/12/31 00:00:00;\n  expire 4 2037/12/31 00:00:00;\n}\n`,
        );
        Deno.writeTextFileSync(`${dir}/conf`, "timeout 15;\nretry 1;\ninitial-interval 1;\n");
        return [
          ...["dhclient", "-4", "-d", "-1", "-v", "-cf", `${dir}/conf`, "-lf", `${dir}/leases`],
          ...["-pf", `${dir}/pid`, "-sf", script, vm.iface],
        ];
      },
    });
    const why = `${result.events.join(" ")}\n${result.log}\n${daemon.log.slice(-3000)}`;
    assert.match(result.log, /DHCPREQUEST for 10\.20\.1\.99/, why);
    assert.match(result.log, /DHCPNAK from 10\.20\.0\.1/, why);
    assert.equal(result.answer?.vars.new_ip_address, "10.20.1.10", why);
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});

Deno.test("dhclient-script writes the domain and nameservers to the VM's resolv.conf", async () => {
  requireCommands(["dhclient", "unshare"]);
  await withVm(async (lab, vm) => {
    // ip netns exec mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf for the client alone.
    const etc = `/etc/netns/${vm.ns}`;
    Deno.mkdirSync(etc, { recursive: true });
    lab.defer(`remove ${etc}`, () => Deno.removeSync(etc, { recursive: true }));
    Deno.writeTextFileSync(`${etc}/resolv.conf`, "# before\n");
    const daemon = await Daemon.start(lab, { config: await lab.writeConfig(config(lab)) });
    const dir = Deno.makeTempDirSync({ dir: lab.dir, prefix: "dhclient-script-" });
    Deno.writeTextFileSync(
      `${dir}/conf`,
      "timeout 15;\nrequest subnet-mask, routers, " +
        "domain-name, domain-name-servers, domain-search;\n",
    );
    // Its own UTS namespace: the real script may set the host name.
    const client = lab.spawn([
      ...["unshare", "--uts", "dhclient", "-4", "-d", "-1", "-v", "-cf", `${dir}/conf`],
      ...["-lf", `${dir}/leases`, "-pf", `${dir}/pid`, "-sf", "/sbin/dhclient-script", vm.iface],
    ], vm.ns);
    try {
      const text = await waitFor("resolv.conf from dhclient-script", () => {
        const t = Deno.readTextFileSync(`${etc}/resolv.conf`);
        return t.includes("nameserver") ? t : null;
      }, { timeoutMs: 20_000 }).catch(() => Deno.readTextFileSync(`${etc}/resolv.conf`));
      assert.equal(
        text,
        `domain ${DOMAIN}\nsearch ${DOMAIN}\nnameserver ${DNS[0]}\n`,
        `${client.stderr}\n${daemon.log.slice(-3000)}`,
      );
    } finally {
      await client.stop(2000);
    }
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});

Deno.test("a VM whose MAC is not its binding's gets no lease, and -d logs dropped (spoofed-mac)", async () => {
  requireCommands(["udhcpc"]);
  await withVm(async (lab, vm) => {
    await lab.writeBinding(VM.tap, bindingOf(10, { MAC: "52:54:00:6b:00:99" }));
    const daemon = await Daemon.start(lab, { config: await lab.writeConfig(config(lab)) });
    const result = await runUdhcpc(lab, vm, { timeoutSec: 3 });
    assert.equal(result.lease, null, result.log);
    await daemon.waitForLog(new RegExp(`${VM.tap}: dropped \\(spoofed-mac\\)`), 5000);
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});

/** Runs dhclient -6 (stateful) with its lease file in `dir` until `answered`. */
function runDhclient6In(lab: Lab, vm: Vm, dir: string, answered: string): Promise<RecordedRun> {
  return runRecorded(lab, vm, {
    name: `dhclient6-${answered}`,
    apply: APPLY_ADDRESS,
    timeoutSec: 20,
    answered: (e) => e.reason === answered,
    cmd: ({ script }) => [
      ...["dhclient", "-6", "-d", "-v", "-cf", `${dir}/conf`, "-lf", `${dir}/leases`],
      ...["-pf", `${dir}/pid`, "-sf", script, vm.iface],
    ],
  });
}

Deno.test("dhclient -6 renews at T1 (lease_renewal) and releases with -r", async () => {
  requireCommands(["dhclient"]);
  await withVm(async (lab, vm) => {
    const sections = config(lab, { mode: "dhcpv6" });
    const path = await lab.writeConfig({
      ...sections,
      dhcp: { ...sections.dhcp, lease_lifetime: 120, lease_renewal: 2 },
    });
    const daemon = await Daemon.start(lab, { config: path });
    const dir = Deno.makeTempDirSync({ dir: lab.dir, prefix: "dhclient6-" });
    Deno.writeTextFileSync(`${dir}/conf`, "timeout 20;\n");
    const renewed = await runDhclient6In(lab, vm, dir, "RENEW6");
    const why = `${renewed.events.join(" ")}\n${renewed.log}\n${daemon.log.slice(-3000)}`;
    assert.ok(renewed.events.includes("BOUND6"), why);
    assert.ok(renewed.events.includes("RENEW6"), `no RENEW6 within 20 s of a 2 s T1: ${why}`);
    assert.match(daemon.log, /DHCPv6 renew from fe80::\S+ on tap1: reply/, why);

    const since = daemon.log.length;
    const release = await run([
      ...["dhclient", "-6", "-r", "-v", "-cf", `${dir}/conf`, "-lf", `${dir}/leases`],
      ...["-pf", `${dir}/pid`, "-sf", "/bin/true", vm.iface],
    ], { ns: vm.ns, allowFailure: true, timeoutMs: 20_000 });
    await daemon.waitForLog(/DHCPv6 release from fe80::\S+ on tap1: reply/, 10_000, since).catch(
      () => {
        assert.fail(`no Release in the log\n${release.stderr}\n${daemon.log.slice(-3000)}`);
      },
    );
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});
