/** `make demo`: a hypervisor namespace and three VMs get their network settings from nfdhcpd over NFQUEUE. */

import { type Dhcp4ClientName, type Dhcp4Result, dhcp4Runner } from "../lab/clients.ts";
import { Daemon, daemonCommand, daemonConfig } from "../lab/daemon.ts";
import {
  dhclientList,
  readIpv6Addresses,
  readIpv6Routes,
  runDhclient6,
  runRdisc6,
  setIpv6Sysctls,
  waitForLinkLocal,
} from "../lab/ipv6_clients.ts";
import { type BindingSpec, formatBinding } from "../lab/lab_files.ts";
import { Lab, type Vm } from "../lab/netns.ts";
import { requireCommands, run, waitFor } from "../lab/proc.ts";

/** How a VM learns its IPv6 DNS servers and search domains. */
type Dns6ClientName = "dhclient -6 -S" | "rdisc6";

/** One demo VM: its NIC, its binding and the DHCP clients it runs. */
interface DemoVm {
  readonly name: string;
  readonly tap: string;
  readonly mac: string;
  readonly client: Dhcp4ClientName;
  /** Stateless DHCPv6 where dhclient runs; the RA's RDNSS and DNSSL where a busybox VM would. */
  readonly dns6Client: Dns6ClientName;
  readonly binding: Omit<BindingSpec, "MAC" | "INDEV">;
}

const SERVER_IP = "10.20.0.1";
const NAMESERVERS = ["198.51.100.53", "198.51.100.54"];
const DOMAIN = "demo.example";
const NAMESERVERS6 = ["2001:db8:53::53", "2001:db8:53::54"];
const DOMAINS6 = [DOMAIN, "svc.demo.example"];
/** NFQUEUE numbers of the IPv6 rules (the README's). */
const IPV6_QUEUES = { rs: 43, ns: 44, dhcpv6: 45 };

const VMS: readonly DemoVm[] = [
  {
    name: "web",
    tap: "tap0",
    mac: "52:54:00:de:00:01",
    client: "dhclient",
    dns6Client: "dhclient -6 -S",
    binding: {
      HOSTNAME: "web",
      IP: "10.20.1.10",
      SUBNET: "10.20.1.0/24",
      GATEWAY: "10.20.1.1",
      SUBNET6: "2001:db8:20:1::/64",
      GATEWAY6: "2001:db8:20:1::1",
      MTU: 1500,
    },
  },
  {
    name: "db",
    tap: "tap1",
    mac: "52:54:00:de:00:02",
    client: "udhcpc",
    dns6Client: "rdisc6",
    binding: {
      HOSTNAME: "db",
      IP: "10.20.2.20",
      SUBNET: "10.20.2.0/24",
      GATEWAY: "10.20.2.1",
      SUBNET6: "2001:db8:20:2::/64",
      GATEWAY6: "2001:db8:20:2::1",
      MTU: 1450,
    },
  },
  {
    name: "cache",
    tap: "tap2",
    mac: "52:54:00:de:00:03",
    client: "dhclient",
    dns6Client: "dhclient -6 -S",
    binding: {
      HOSTNAME: "cache",
      IP: "10.20.3.13",
      SUBNET: "10.20.3.0/28",
      GATEWAY: "10.20.3.1",
      SUBNET6: "2001:db8:20:3::/64",
      GATEWAY6: "2001:db8:20:3::1",
      MTU: 9000,
    },
  },
];

/** What a VM's IPv6 side ended up with: its kernel's SLAAC from our RA, and DNS from a client. */
interface Ipv6Seen {
  /** Global addresses that finished duplicate address detection, as address/prefix. */
  readonly addresses: readonly string[];
  /** Gateways of the IPv6 default routes (the router's link-local address). */
  readonly routes: readonly string[];
  readonly dns: readonly string[];
  readonly domains: readonly string[];
  /** The client that asked for DNS, with how long it took. */
  readonly client: string;
  /** What is missing, or null when the VM got everything. */
  readonly problem: string | null;
}

/** What one VM ended up with. */
interface Row {
  readonly vm: Vm;
  readonly result: Dhcp4Result;
  readonly ipv6: Ipv6Seen;
}

/** A table column. */
interface Column {
  readonly header: string;
  readonly cell: (row: Row) => string;
}

/** The cells of a list, or "-" when it is empty. */
function listed(values: readonly string[]): string {
  return values.join(", ") || "-";
}

const IPV4_COLUMNS: readonly Column[] = [
  { header: "VM", cell: (r) => r.vm.name },
  { header: "MAC", cell: (r) => r.vm.mac },
  {
    header: "address/prefix",
    cell: (r) => listed(r.result.configured.ipv4.map((a) => `${a.address}/${a.prefixLength}`)),
  },
  { header: "router", cell: (r) => listed(r.result.configured.defaultRoutes4) },
  { header: "DNS", cell: (r) => listed(r.result.lease?.dns ?? []) },
  { header: "domain", cell: (r) => r.result.lease?.domain ?? "-" },
  { header: "hostname", cell: (r) => r.result.lease?.hostname ?? "-" },
  { header: "MTU", cell: (r) => `${r.result.configured.mtu}` },
  { header: "client", cell: (r) => `${r.result.client} (${r.result.elapsedMs} ms)` },
];

const IPV6_COLUMNS: readonly Column[] = [
  { header: "VM", cell: (r) => r.vm.name },
  { header: "IPv6 address (SLAAC)", cell: (r) => listed(r.ipv6.addresses) },
  { header: "default route via", cell: (r) => listed(r.ipv6.routes) },
  { header: "IPv6 DNS", cell: (r) => listed(r.ipv6.dns) },
  { header: "search domains", cell: (r) => listed(r.ipv6.domains) },
  { header: "DNS from", cell: (r) => r.ipv6.client },
];

/** DNS servers and search domains as a DHCPv6 or RA client reported them. */
interface Dns6 {
  readonly dns: readonly string[];
  readonly domains: readonly string[];
  readonly log: string;
}

/** Asks for DNS with `dhclient -6 -S` (Information-Request) or reads the RA's RDNSS and DNSSL with rdisc6. */
async function queryDns6(lab: Lab, vm: Vm, client: Dns6ClientName): Promise<Dns6> {
  if (client === "rdisc6") {
    const { advert, output } = await runRdisc6(vm);
    return { dns: advert?.dnsServers ?? [], domains: advert?.searchDomains ?? [], log: output };
  }
  const { vars, log } = await runDhclient6(lab, vm, { stateless: true, timeoutSec: 5 });
  return {
    dns: dhclientList(vars?.new_dhcp6_name_servers),
    domains: dhclientList(vars?.new_dhcp6_domain_search),
    log,
  };
}

/**
 * Waits (bounded) for the VM's kernel to take a global address (DAD done) and a default route
 * from our RA, then asks `client` for DNS; reads back what the VM has.
 */
async function collectIpv6(lab: Lab, vm: Vm, client: Dns6ClientName): Promise<Ipv6Seen> {
  const usable = async () =>
    (await readIpv6Addresses(vm.ns, vm.iface)).filter((a) =>
      a.scope === "global" && !a.tentative && !a.dadFailed
    );
  const defaults = async () =>
    (await readIpv6Routes(vm.ns)).filter((r) => r.dst === "default" && r.gateway !== null);
  const configured = await waitFor(
    `${vm.name} to configure an address and a default route from the RA`,
    async () => (await usable()).length > 0 && (await defaults()).length > 0,
    { timeoutMs: 15_000, intervalMs: 100 },
  ).catch(() => false);
  await waitForLinkLocal(vm.ns, vm.iface, 5000);
  const started = Date.now();
  const dns6 = await queryDns6(lab, vm, client);
  const seen = {
    addresses: (await usable()).map((a) => `${a.address}/${a.prefixLength}`),
    routes: (await defaults()).map((r) => r.gateway ?? ""),
    dns: dns6.dns,
    domains: dns6.domains,
    client: `${client} (${Date.now() - started} ms)`,
  };
  const missing = [
    configured ? [] : ["no SLAAC address or default route from the RA"],
    dns6.dns.length > 0 ? [] : [`no DNS from ${client}:\n${dns6.log}`],
  ].flat();
  return { ...seen, problem: missing.length > 0 ? missing.join("; ") : null };
}

/** Renders rows as a boxed text table of `columns`. */
function formatTable(columns: readonly Column[], rows: readonly Row[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => c.cell(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => (line[i] ?? "").length)));
  const line = (l: string, m: string, r: string) =>
    l + widths.map((w) => "─".repeat(w + 2)).join(m) + r;
  const text = (values: readonly string[]) =>
    "│" + values.map((v, i) => ` ${v.padEnd(widths[i] ?? 0)} `).join("│") + "│";
  const [header, ...body] = cells;
  return [
    line("┌", "┬", "┐"),
    text(header ?? []),
    line("├", "┼", "┤"),
    ...body.map(text),
    line("└", "┴", "┘"),
  ]
    .join("\n");
}

/** Prints a step of the demo. */
function say(text: string): void {
  console.log(`\x1b[1m==>\x1b[0m ${text}`);
}

/** Indents a block of text for display. */
function indent(text: string): string {
  return text.trimEnd().split("\n").map((l) => `    ${l}`).join("\n");
}

/** The hypervisor's mangle PREROUTING rules of `program` (iptables or ip6tables). */
async function rules(lab: Lab, program: "iptables" | "ip6tables"): Promise<string> {
  return (await run([program, "-t", "mangle", "-S", "PREROUTING"], { ns: lab.hv })).stdout;
}

let lab: Lab | null = null;
let interrupted = false;

/** Ctrl-C / SIGTERM: tear everything down, then exit. */
async function onSignal(): Promise<void> {
  if (interrupted) return;
  interrupted = true;
  console.log("\nInterrupted: removing the namespaces, processes and files the demo made...");
  // While the lab is still being built, main() notices `interrupted` and cleans up itself.
  if (lab === null) return;
  await lab.dispose().catch((error) => console.error(error));
  Deno.exit(130);
}

/** Removes the lab and says what is gone; throws if a namespace or the temp dir is still there. */
async function removeLab(lab: Lab): Promise<void> {
  say("Removing everything the demo made");
  await lab.dispose();
  const left = await lab.leftovers();
  if (left.length > 0) throw new Error(`Cannot clean up: left ${left.join(", ")}`);
  console.log(indent(`removed ${lab.hv}, ${lab.vms.map((v) => v.ns).join(", ")} and ${lab.dir}`));
}

async function main(): Promise<number> {
  requireCommands([
    ...["ip", "iptables", "ip6tables", "sysctl", "rdisc6", "dhclient"],
    ...new Set(VMS.map((v) => v.client)),
  ]);
  daemonCommand(); // fails early, with a clear message, when the bundle is missing
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  say("Creating a hypervisor namespace and three VM namespaces");
  lab = await Lab.create({
    tag: "nfdemo",
    vms: VMS.map(({ name, tap, mac }) => ({ name, tap, mac })),
  });
  try {
    if (interrupted) return 130;
    console.log(indent(`hypervisor: ${lab.hv} (no IP on any TAP)`));
    for (const vm of lab.vms) {
      console.log(indent(`${vm.name}: ${vm.ns}, eth0 ${vm.mac} <-> ${vm.tap}`));
      // Down until nfdhcpd runs, so the router solicitation the kernel sends at link-up is answered.
      await run(["ip", "link", "set", vm.iface, "down"], { ns: vm.ns });
      await setIpv6Sysctls(vm.ns, vm.iface, { accept_ra: 2 });
    }
    console.log(indent("each VM: accept_ra=2, so its kernel configures IPv6 from router adverts"));

    say(`Writing binding files in ${lab.datapath}`);
    for (const spec of VMS) {
      const binding: BindingSpec = {
        HOSTNAME: spec.binding.HOSTNAME,
        INDEV: spec.tap,
        MAC: spec.mac,
        ...spec.binding,
      };
      await lab.writeBinding(spec.tap, binding);
      console.log(indent(`${spec.tap}: ${formatBinding(binding).trim().split("\n").join(" ")}`));
    }

    say(
      "Sending DHCP to NFQUEUE 42, router and neighbour solicitations to 43 and 44, DHCPv6 to 45",
    );
    await lab.addDhcp4Rule(42);
    await lab.addIpv6Rules(IPV6_QUEUES);
    console.log(indent(await rules(lab, "iptables")));
    console.log(indent(await rules(lab, "ip6tables")));

    const config = await lab.writeConfig(
      daemonConfig(lab, {
        serverIp: SERVER_IP,
        nameservers: NAMESERVERS,
        domain: DOMAIN,
        ipv6: {
          enable_ipv6: true,
          mode: "slaac+dhcpv6",
          rs_queue: IPV6_QUEUES.rs,
          ns_queue: IPV6_QUEUES.ns,
          dhcpv6_queue: IPV6_QUEUES.dhcpv6,
          nameservers: NAMESERVERS6,
          domains: DOMAINS6,
        },
      }),
    );
    say(`Starting nfdhcpd in ${lab.hv}: ${daemonCommand().join(" ")} -f -d -c ${config}`);
    const daemon = await Daemon.start(lab, { config });

    say("Bringing the VMs' links up: each kernel solicits a router and takes a SLAAC address");
    for (const vm of lab.vms) await run(["ip", "link", "set", vm.iface, "up"], { ns: vm.ns });

    const rows: Row[] = [];
    for (const spec of VMS) {
      if (interrupted) return 130;
      const vm = lab.vm(spec.name);
      say(
        `Running ${spec.client} in ${vm.name}, then reading its IPv6 (DNS from ${spec.dns6Client})`,
      );
      const result = await dhcp4Runner(spec.client)(lab, vm, { timeoutSec: 10 });
      if (interrupted) return 130;
      console.log(
        indent(result.lease ? `got ${result.lease.address}` : `got nothing\n${result.log}`),
      );
      const ipv6 = await collectIpv6(lab, vm, spec.dns6Client);
      if (interrupted) return 130;
      console.log(indent(ipv6.problem ?? `got ${listed(ipv6.addresses)}`));
      rows.push({ vm, result, ipv6 });
    }

    say("What each VM received over IPv4");
    console.log(formatTable(IPV4_COLUMNS, rows));
    say("What each VM received over IPv6");
    console.log(formatTable(IPV6_COLUMNS, rows));
    const failed = rows.filter((r) => r.result.lease === null || r.ipv6.problem !== null);
    if (failed.length > 0) {
      console.log(`\nIncomplete: ${failed.map((r) => r.vm.name).join(", ")}. nfdhcpd log:`);
      console.log(indent(daemon.log.slice(-4000)));
      return 1;
    }
    return 0;
  } finally {
    await removeLab(lab);
  }
}

if (import.meta.main) {
  let code = 1;
  try {
    code = await main();
  } catch (error) {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  Deno.exit(code);
}
