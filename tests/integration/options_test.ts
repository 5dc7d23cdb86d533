/**
 * What VMs ask for next, seen from inside the VM: classless static routes that make a routed /32
 * with an off-link gateway reachable (dhclient and udhcpc), the search list, NTP servers and
 * per-binding DNS in what the clients' scripts wrote.
 */
import assert from "node:assert/strict";
import {
  type RecordedRun,
  resetInterface,
  runRecorded,
  type ScriptEvent,
} from "../../lab/clients.ts";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import type { BindingSpec } from "../../lab/lab_files.ts";
import { type Lab, type Vm, withLab } from "../../lab/netns.ts";
import { requireCommands, run } from "../../lab/proc.ts";

const GATEWAY = "169.254.0.1";
/** An address beyond the gateway, on the hypervisor's loopback: reachable only by the default route. */
const BEYOND = "198.51.100.1";
const NAMESERVERS = ["192.0.2.53", "192.0.2.54"];
const SEARCH = ["eng.example.test", "example.test"];
const NTP = "192.0.2.123";

/**
 * Applies a lease as a VM's scripts do: the address, the classless routes (dhclient's
 * new_rfc3442_classless_static_routes as decimal octets, udhcpc's staticroutes as pairs), and a
 * resolv.conf (search and nameservers) written to RESOLV.
 */
function applyScript(resolv: string): string {
  return `routes121() { # width, significant octets, router octets...
  set -- $1
  while [ $# -gt 0 ]; do
    w=$1; shift; n=$(( (w + 7) / 8 )); d=""
    for i in 1 2 3 4; do
      if [ $i -le $n ]; then d="$d$1"; shift; else d="\${d}0"; fi
      [ $i -lt 4 ] && d="$d."
    done
    r="$1.$2.$3.$4"; shift 4
    route "$d/$w" "$r"
  done
}
route() {
  if [ "$2" = 0.0.0.0 ]; then ip -4 route replace "$1" dev "$interface" scope link
  else ip -4 route replace "$1" via "$2" dev "$interface"; fi
}
resolv() { # search nameservers
  { [ -n "$1" ] && echo "search $1"; for s in $2; do echo "nameserver $s"; done; } > '${resolv}'
}
case "$reason" in
  PREINIT|deconfig) ip link set dev "$interface" up; ip -4 addr flush dev "$interface" ;;
  BOUND|REBOOT)
    ip -4 addr add "$new_ip_address/32" dev "$interface"
    routes121 "$new_rfc3442_classless_static_routes"
    resolv "$new_domain_search" "$new_domain_name_servers" ;;
  bound)
    ip -4 addr add "$ip/32" dev "$interface"
    set -- $staticroutes
    while [ $# -ge 2 ]; do route "$1" "$2"; shift 2; done
    resolv "$search" "$dns" ;;
esac`;
}

async function runDhclient(lab: Lab, vm: Vm, resolv: string): Promise<RecordedRun> {
  await resetInterface(vm.ns, vm.iface);
  return await runRecorded(lab, vm, {
    name: "dhclient",
    apply: applyScript(resolv),
    cmd: ({ dir, script }) => {
      Deno.writeTextFileSync(
        `${dir}/dhclient.conf`,
        [
          "timeout 10;",
          "retry 1;",
          "initial-interval 1;",
          "option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;",
          "request subnet-mask, routers, domain-name-servers, domain-search, ntp-servers,",
          "  rfc3442-classless-static-routes;",
          "",
        ].join("\n"),
      );
      return [
        ...["dhclient", "-4", "-d", "-1", "-v", "-cf", `${dir}/dhclient.conf`],
        ...["-lf", `${dir}/dhclient.leases`, "-pf", `${dir}/dhclient.pid`, "-sf", script, vm.iface],
      ];
    },
    answered: (e: ScriptEvent) => e.reason === "BOUND" || e.reason === "REBOOT",
    timeoutSec: 10,
  });
}

async function runUdhcpc(lab: Lab, vm: Vm, resolv: string): Promise<RecordedRun> {
  await resetInterface(vm.ns, vm.iface);
  return await runRecorded(lab, vm, {
    name: "udhcpc",
    apply: applyScript(resolv),
    cmd: ({ dir, script }) => [
      ...["udhcpc", "-f", "-q", "-n", "-i", vm.iface, "-s", script, "-p", `${dir}/udhcpc.pid`],
      ...["-t", "10", "-T", "1", "-O", "staticroutes", "-O", "search", "-O", "ntpsrv"],
    ],
    answered: (e: ScriptEvent) => e.reason === "bound",
    timeoutSec: 10,
  });
}

/** The VM's IPv4 routes as `ip route` prints them. */
async function routes(vm: Vm): Promise<string> {
  return (await run(["ip", "-4", "route", "show", "dev", vm.iface], { ns: vm.ns })).stdout;
}

async function pings(vm: Vm, target: string): Promise<boolean> {
  const r = await run(["ping", "-c", "1", "-W", "2", target], { ns: vm.ns, allowFailure: true });
  return r.code === 0;
}

function explain(result: RecordedRun, daemon: Daemon): string {
  return `\n--- client (events ${result.events.join(", ")})\n${result.log}\n--- server\n${
    daemon.log.slice(-3000)
  }`;
}

Deno.test("options: a routed /32 behind an off-link gateway gets working routes, and per-binding DNS", async () => {
  requireCommands(["dhclient", "udhcpc", "ping"]);
  const vms = [{ name: "vm1", tap: "tap0" }, { name: "vm2", tap: "tap1" }];
  await withLab({ vms }, async (lab) => {
    const base = daemonConfig(lab, {
      serverIp: "10.10.0.1",
      nameservers: NAMESERVERS,
      domain: "example.test",
    });
    const config = await lab.writeConfig({
      ...base,
      dhcp: { ...base.dhcp, domain_search: SEARCH, ntp_servers: [NTP] },
    });
    // The routed set-up of a hypervisor: the gateway address on every TAP, a host route to each
    // VM, and something beyond the gateway to reach.
    await run(["ip", "addr", "add", `${BEYOND}/32`, "dev", "lo"], { ns: lab.hv });
    const addresses = ["203.0.113.5", "203.0.113.6"];
    for (const [i, vm] of lab.vms.entries()) {
      await lab.addHostAddress(vm.tap, `${GATEWAY}/32`);
      await run(["ip", "route", "add", `${addresses[i]}/32`, "dev", vm.tap], { ns: lab.hv });
      const binding: BindingSpec & Record<string, string> = {
        HOSTNAME: `vm${i + 1}`,
        MAC: vm.mac,
        IP: addresses[i]!,
        SUBNET: `${addresses[i]}/32`,
        GATEWAY,
        // Only vm1 has its own DNS settings.
        ...(i === 0 ? { NAMESERVERS: "198.51.100.53", DOMAIN_SEARCH: "tenant.example" } : {}),
      };
      await lab.writeBinding(vm.tap, binding);
    }
    await lab.addDhcp4Rule();
    const daemon = await Daemon.start(lab, { config });
    const [vm1, vm2] = [lab.vm("vm1"), lab.vm("vm2")];
    const resolvOf = (vm: Vm, client: string) => `${lab.dir}/${vm.name}-${client}-resolv.conf`;

    for (const [client, runClient] of [["dhclient", runDhclient], ["udhcpc", runUdhcpc]] as const) {
      for (const vm of [vm1, vm2]) {
        const result = await runClient(lab, vm, resolvOf(vm, client));
        const why = `${client} in ${vm.name}${explain(result, daemon)}`;
        assert.ok(result.answer !== undefined, `no lease: ${why}`);
        const table = await routes(vm);
        assert.match(table, new RegExp(`^default via ${GATEWAY} `, "m"), `${table}${why}`);
        assert.match(table, new RegExp(`^${GATEWAY} scope link`, "m"), `${table}${why}`);
        assert.equal(await pings(vm, BEYOND), true, `ping ${BEYOND} through ${GATEWAY}: ${why}`);
      }
      const own = await Deno.readTextFile(resolvOf(vm1, client));
      const global = await Deno.readTextFile(resolvOf(vm2, client));
      assert.match(own, /^search tenant\.example\.?$/m, `${client} vm1 resolv.conf:\n${own}`);
      assert.deepEqual(nameservers(own), ["198.51.100.53"], `${client} vm1:\n${own}`);
      assert.match(global, /^search eng\.example\.test\.? example\.test\.?$/m, global);
      assert.deepEqual(nameservers(global), NAMESERVERS, `${client} vm2:\n${global}`);
    }
  });
});

function nameservers(resolv: string): string[] {
  return [...resolv.matchAll(/^nameserver (\S+)$/gm)].map((m) => m[1]!);
}

Deno.test("options: dhclient's lease holds the NTP servers", async () => {
  requireCommands(["dhclient"]);
  await withLab({ vms: [{ name: "vm1", tap: "tap0" }] }, async (lab) => {
    const vm = lab.vm("vm1");
    const base = daemonConfig(lab, {
      serverIp: "10.10.0.1",
      nameservers: NAMESERVERS,
      domain: "example.test",
    });
    const config = await lab.writeConfig({ ...base, dhcp: { ...base.dhcp, ntp_servers: [NTP] } });
    await lab.writeBinding(vm.tap, {
      HOSTNAME: "vm1",
      MAC: vm.mac,
      IP: "10.10.1.10",
      SUBNET: "10.10.1.0/24",
      GATEWAY: "10.10.1.1",
    });
    await lab.addDhcp4Rule();
    const daemon = await Daemon.start(lab, { config });
    const result = await runDhclient(lab, vm, `${lab.dir}/resolv.conf`);
    assert.equal(result.answer?.vars.new_ntp_servers, NTP, explain(result, daemon));
  });
});
