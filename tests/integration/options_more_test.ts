/**
 * The options of issue 12 as real clients in a VM see them: IPv6-only preferred (DHCPv4 option
 * 108, RFC 8925) in dhclient's and udhcpc's lease, and only when asked for; PREF64 (RFC 8781)
 * in the RA that reaches the VM; and the DHCPv6 lifetimes dhclient -6 records, from [ipv6]
 * dhcpv6_lease_*, not from [dhcp] lease_*.
 */
import assert from "node:assert/strict";
import { type RecordedRun, resetInterface, runRecorded } from "../../lab/clients.ts";
import { captureAdverts } from "../../lab/adverts.ts";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import {
  runDhclient6,
  runRdisc6,
  setIpv6Sysctls,
  waitForLinkLocal,
} from "../../lab/ipv6_clients.ts";
import type { IniSections } from "../../lab/lab_files.ts";
import { type Lab, type Vm, withLab } from "../../lab/netns.ts";
import { requireCommands, run, waitFor } from "../../lab/proc.ts";
import { fromHex, hex } from "../hex.ts";

const VM = { name: "vm1", tap: "tap1", mac: "52:54:00:6c:00:01", tapMac: "fe:54:00:6c:00:01" };
/** [dhcp] ipv6_only_preferred: half an hour, not the 300 s minimum a client would pick itself. */
const V6ONLY_WAIT = 1800;

/** `[dhcp]` and `[ipv6]` keys added to the lab's config (IPv6 on, in `mode`, on queues 43-45). */
function config(
  lab: Lab,
  dhcp: Record<string, string | number>,
  ipv6: Record<string, string | number> = {},
): IniSections {
  const base = daemonConfig(lab, {
    serverIp: "10.30.0.1",
    nameservers: ["198.51.100.1"],
    domain: "example.test",
    ipv6: {
      enable_ipv6: true,
      mode: "dhcpv6",
      rs_queue: 43,
      ns_queue: 44,
      dhcpv6_queue: 45,
      nameservers: ["2001:db8:53::1"],
      ...ipv6,
    },
  });
  return { ...base, dhcp: { ...base.dhcp, ...dhcp } };
}

/** A lab with VM bound to 10.30.1.10 and 2001:db8:30::/64, quiet (accept_ra 0), every rule in place. */
async function withVm(body: (lab: Lab, vm: Vm) => Promise<void>): Promise<void> {
  await withLab({ vms: [VM] }, async (lab) => {
    const vm = lab.vm(VM.name);
    await setIpv6Sysctls(vm.ns, vm.iface, { accept_ra: 0 });
    await run(["ip", "link", "set", vm.iface, "up"], { ns: vm.ns });
    await waitForLinkLocal(vm.ns, vm.iface, 10_000);
    await lab.addDhcp4Rule();
    await lab.addIpv6Rules();
    await lab.writeBinding(VM.tap, {
      HOSTNAME: "vm1",
      INDEV: VM.tap,
      MAC: VM.mac,
      IP: "10.30.1.10",
      SUBNET: "10.30.1.0/24",
      GATEWAY: "10.30.1.1",
      SUBNET6: "2001:db8:30::/64",
      GATEWAY6: "2001:db8:30::1",
    });
    await body(lab, vm);
  });
}

function explain(result: RecordedRun | Omit<RecordedRun, "answer">, daemon: Daemon): string {
  return `\n--- client (events ${result.events.join(", ")})\n${result.log}\n--- server\n${
    daemon.log.slice(-3000)
  }`;
}

/**
 * dhclient -4 once, asking for v6-only-preferred (`also request`) when `ask`. dhclient 4.4.3
 * knows option 108: given it in the offer, it logs the wait, configures no IPv4 and calls its
 * script with V6ONLY (without the lease's variables); else it binds.
 */
async function runDhclient(lab: Lab, vm: Vm, ask: boolean): Promise<RecordedRun> {
  await resetInterface(vm.ns, vm.iface);
  return await runRecorded(lab, vm, {
    name: ask ? "dhclient-v6only" : "dhclient",
    apply: `case "$reason" in PREINIT) ip link set dev "$interface" up ;; esac`,
    cmd: ({ dir, script }) => {
      Deno.writeTextFileSync(
        `${dir}/dhclient.conf`,
        [
          "timeout 10;",
          "retry 1;",
          "initial-interval 1;",
          "request subnet-mask, routers, domain-name-servers;",
          ...(ask ? ["also request v6-only-preferred;"] : []),
          "",
        ].join("\n"),
      );
      return [
        ...["dhclient", "-4", "-d", "-1", "-v", "-cf", `${dir}/dhclient.conf`],
        ...["-lf", `${dir}/dhclient.leases`, "-pf", `${dir}/dhclient.pid`, "-sf", script, vm.iface],
      ];
    },
    answered: (e) => ["BOUND", "REBOOT", "V6ONLY"].includes(e.reason),
    timeoutSec: 10,
  });
}

/** udhcpc once (`-O 108` when `ask`); it exports an option it has no name for as hex in optNNN. */
async function runUdhcpcAsking(lab: Lab, vm: Vm, ask: boolean): Promise<RecordedRun> {
  await resetInterface(vm.ns, vm.iface);
  return await runRecorded(lab, vm, {
    name: ask ? "udhcpc-v6only" : "udhcpc",
    apply: "",
    cmd: ({ dir, script }) => [
      ...["udhcpc", "-f", "-q", "-n", "-i", vm.iface, "-s", script, "-p", `${dir}/udhcpc.pid`],
      ...["-t", "10", "-T", "1", ...(ask ? ["-O", "108"] : [])],
    ],
    answered: (e) => e.reason === "bound",
    timeoutSec: 10,
  });
}

Deno.test("option 108: dhclient and udhcpc asking for IPv6-only preferred get the configured wait; not asking, no 108", async () => {
  requireCommands(["dhclient", "udhcpc"]);
  await withVm(async (lab, vm) => {
    const path = await lab.writeConfig(config(lab, { ipv6_only_preferred: V6ONLY_WAIT }));
    const daemon = await Daemon.start(lab, { config: path });

    // dhclient's V6ONLY call carries no lease variables: the wait is in its log.
    const asked = await runDhclient(lab, vm, true);
    const why = explain(asked, daemon);
    assert.equal(asked.answer?.reason, "V6ONLY", `dhclient did not go IPv6-only: ${why}`);
    assert.match(asked.log, new RegExp(`: v6 only preferred for ${V6ONLY_WAIT}\\.`), why);
    assert.deepEqual(asked.configured.ipv4, [], `IPv4 configured all the same: ${why}`);

    const udhcpc = await runUdhcpcAsking(lab, vm, true);
    const wait = V6ONLY_WAIT.toString(16).padStart(8, "0");
    assert.equal(udhcpc.answer?.vars.opt108, wait, explain(udhcpc, daemon));

    // Not asked: no 108. udhcpc exports every option it got, asked for or not.
    const plain = await runDhclient(lab, vm, false);
    assert.equal(plain.answer?.reason, "BOUND", explain(plain, daemon));
    assert.equal(plain.answer?.vars.new_ip_address, "10.30.1.10", explain(plain, daemon));
    assert.equal(plain.answer?.vars.new_v6_only_preferred, undefined, explain(plain, daemon));
    const quiet = await runUdhcpcAsking(lab, vm, false);
    assert.equal(quiet.answer?.vars.ip, "10.30.1.10", explain(quiet, daemon));
    assert.equal(quiet.answer?.vars.opt108, undefined, explain(quiet, daemon));
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});

/** A PREF64 option (RFC 8781 section 4) as read from an RA. */
interface Pref64Seen {
  /** Seconds: the 13-bit scaled lifetime times 8. */
  readonly lifetime: number;
  readonly prefixLength: number | undefined;
  /** The option's 96 prefix bits, as hex. */
  readonly prefixHex: string;
}

/** The PREF64 options (type 38) of an RA's ICMPv6 message given as hex. */
function pref64Options(wire: string): Pref64Seen[] {
  const bytes = fromHex(wire);
  const lengthByCode = [96, 64, 56, 48, 40, 32];
  const found: Pref64Seen[] = [];
  // RA header: type, code, checksum, hop limit, flags, router lifetime, reachable, retrans.
  for (let at = 16; at + 2 <= bytes.length;) {
    const size = bytes[at + 1]! * 8;
    if (size === 0 || at + size > bytes.length) break;
    if (bytes[at] === 38 && size === 16) {
      const word = (bytes[at + 2]! << 8) | bytes[at + 3]!;
      const prefixHex = hex(bytes.subarray(at + 4, at + 16));
      found.push({ lifetime: (word >> 3) * 8, prefixLength: lengthByCode[word & 7], prefixHex });
    }
    at += size;
  }
  return found;
}

Deno.test("PREF64: the RA reaching the VM carries [ipv6] nat64_prefix with 3 × ra_period as lifetime", async () => {
  requireCommands(["python3", "rdisc6"]);
  await withVm(async (lab, vm) => {
    const path = await lab.writeConfig(
      config(lab, {}, { mode: "slaac", ra_period: 200, nat64_prefix: "2001:db8:64:6400::/56" }),
    );
    const daemon = await Daemon.start(lab, { config: path });
    const { proc: capture, adverts: seen } = await captureAdverts(lab, vm, 15);
    const adverts = () => seen().map((a) => a.hex);
    try {
      // A solicitation the daemon answers with an RA.
      const solicited = await runRdisc6(vm);
      const why = () => `${solicited.output}\n${capture.stderr}\n${daemon.log.slice(-3000)}`;
      assert.equal(solicited.code, 0, why());
      await waitFor("the captured RA", () => adverts().length > 0, { timeoutMs: 5000 })
        .catch(() => assert.fail(`no RA captured: ${why()}`));
      for (const advert of adverts()) {
        assert.deepEqual(pref64Options(advert), [{
          lifetime: 600,
          prefixLength: 56,
          prefixHex: "20010db80064640000000000",
        }], `RA ${advert}: ${why()}`);
      }
    } finally {
      await capture.stop(1000);
    }
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});

Deno.test("DHCPv6 lifetimes: dhclient -6 records [ipv6] dhcpv6_lease_lifetime and _renewal, not [dhcp]'s", async () => {
  requireCommands(["dhclient"]);
  await withVm(async (lab, vm) => {
    const path = await lab.writeConfig(
      config(lab, { lease_lifetime: 86400, lease_renewal: 600 }, {
        dhcpv6_lease_lifetime: 7200,
        dhcpv6_lease_renewal: 1000,
      }),
    );
    const daemon = await Daemon.start(lab, { config: path });
    const result = await runDhclient6(lab, vm, { stateless: false });
    const why = `${JSON.stringify(result.vars)}${explain(result, daemon)}`;
    assert.equal(result.vars?.new_ip6_address, "2001:db8:30:0:5054:ff:fe6c:1", why);
    assert.equal(result.vars?.new_max_life, "7200", `valid lifetime: ${why}`);
    assert.equal(result.vars?.new_preferred_life, "7200", `preferred lifetime: ${why}`);
    assert.equal(result.vars?.new_renew, "1000", `T1: ${why}`);
    // T2 is 0.8 of the lifetime.
    assert.equal(result.vars?.new_rebind, "5760", `T2: ${why}`);
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});
