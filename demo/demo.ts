/** `make demo`: a hypervisor namespace and three VMs get their network settings from nfdhcpd over NFQUEUE. */

import {
  type Dhcp4ClientName,
  type Dhcp4Result,
  dhcp4Runner,
} from "../tests/integration/clients.ts";
import { Daemon, daemonCommand, daemonConfig } from "../tests/integration/daemon.ts";
import {
  type BindingSpec,
  formatBinding,
  Lab,
  requireCommands,
  run,
  type Vm,
} from "../tests/integration/netns.ts";

/** One demo VM: its NIC, its binding and the DHCP client it runs. */
interface DemoVm {
  readonly name: string;
  readonly tap: string;
  readonly mac: string;
  readonly client: Dhcp4ClientName;
  readonly binding: Omit<BindingSpec, "MAC" | "INDEV">;
}

const SERVER_IP = "10.20.0.1";
const NAMESERVERS = ["198.51.100.53", "198.51.100.54"];
const DOMAIN = "demo.example";

const VMS: readonly DemoVm[] = [
  {
    name: "web",
    tap: "tap0",
    mac: "52:54:00:de:00:01",
    client: "dhclient",
    binding: {
      HOSTNAME: "web",
      IP: "10.20.1.10",
      SUBNET: "10.20.1.0/24",
      GATEWAY: "10.20.1.1",
      MTU: 1500,
    },
  },
  {
    name: "db",
    tap: "tap1",
    mac: "52:54:00:de:00:02",
    client: "udhcpc",
    binding: {
      HOSTNAME: "db",
      IP: "10.20.2.20",
      SUBNET: "10.20.2.0/24",
      GATEWAY: "10.20.2.1",
      MTU: 1450,
    },
  },
  {
    name: "cache",
    tap: "tap2",
    mac: "52:54:00:de:00:03",
    client: "dhclient",
    binding: {
      HOSTNAME: "cache",
      IP: "10.20.3.13",
      SUBNET: "10.20.3.0/28",
      GATEWAY: "10.20.3.1",
      MTU: 9000,
    },
  },
];

/** What one VM ended up with. */
interface Row {
  readonly vm: Vm;
  readonly result: Dhcp4Result;
  /**
   * IPv6 hook: filled by {@linkcode collectIpv6} once the daemon serves IPv6 (enable_ipv6 = yes,
   * lab.addIpv6Rules(), rdisc6 / `dhclient -6` from clients.ts); its columns appear when any row has it.
   */
  readonly ipv6?: {
    readonly address: string;
    readonly route: string;
    readonly dns: readonly string[];
  };
}

/** A table column. */
interface Column {
  readonly header: string;
  readonly cell: (row: Row) => string;
}

const COLUMNS: readonly Column[] = [
  { header: "VM", cell: (r) => r.vm.name },
  { header: "MAC", cell: (r) => r.vm.mac },
  {
    header: "address/prefix",
    cell: (r) =>
      r.result.configured.ipv4.map((a) => `${a.address}/${a.prefixLength}`).join(" ") || "-",
  },
  { header: "router", cell: (r) => r.result.configured.defaultRoutes4.join(" ") || "-" },
  { header: "DNS", cell: (r) => r.result.lease?.dns.join(", ") || "-" },
  { header: "domain", cell: (r) => r.result.lease?.domain ?? "-" },
  { header: "hostname", cell: (r) => r.result.lease?.hostname ?? "-" },
  { header: "MTU", cell: (r) => `${r.result.configured.mtu}` },
  { header: "client", cell: (r) => `${r.result.client} (${r.result.elapsedMs} ms)` },
];

const IPV6_COLUMNS: readonly Column[] = [
  { header: "IPv6 address", cell: (r) => r.ipv6?.address ?? "-" },
  { header: "IPv6 route", cell: (r) => r.ipv6?.route ?? "-" },
  { header: "IPv6 DNS", cell: (r) => r.ipv6?.dns.join(", ") || "-" },
];

/** IPv6 hook: returns undefined until the daemon's IPv6 side is part of the demo. */
function collectIpv6(_lab: Lab, _vm: Vm): Promise<Row["ipv6"]> {
  return Promise.resolve(undefined);
}

/** Renders rows as a boxed text table. */
function formatTable(rows: readonly Row[]): string {
  const columns = rows.some((r) => r.ipv6 !== undefined) ? [...COLUMNS, ...IPV6_COLUMNS] : COLUMNS;
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

async function main(): Promise<number> {
  requireCommands(["ip", "iptables", ...new Set(VMS.map((v) => v.client))]);
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
    }

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

    say("Sending the VMs' DHCP requests to NFQUEUE 42");
    await lab.addDhcp4Rule(42);
    console.log(
      indent((await run(["iptables", "-t", "mangle", "-S", "PREROUTING"], { ns: lab.hv })).stdout),
    );

    const config = await lab.writeConfig(
      daemonConfig(lab, { serverIp: SERVER_IP, nameservers: NAMESERVERS, domain: DOMAIN }),
    );
    say(`Starting nfdhcpd in ${lab.hv}: ${daemonCommand().join(" ")} -f -d -c ${config}`);
    const daemon = await Daemon.start(lab, { config });

    const rows: Row[] = [];
    for (const spec of VMS) {
      if (interrupted) return 130;
      const vm = lab.vm(spec.name);
      say(`Running ${spec.client} in ${vm.name}`);
      const result = await dhcp4Runner(spec.client)(lab, vm, { timeoutSec: 10 });
      if (interrupted) return 130;
      console.log(
        indent(result.lease ? `got ${result.lease.address}` : `got nothing\n${result.log}`),
      );
      rows.push({ vm, result, ipv6: await collectIpv6(lab, vm) });
    }

    say("What each VM received");
    console.log(formatTable(rows));
    const failed = rows.filter((r) => r.result.lease === null);
    if (failed.length > 0) {
      console.log(`\nNo lease for: ${failed.map((r) => r.vm.name).join(", ")}. nfdhcpd log:`);
      console.log(indent(daemon.log.slice(-4000)));
      return 1;
    }
    return 0;
  } finally {
    say("Removing everything the demo made");
    await lab.dispose();
    console.log(indent(`removed ${lab.hv}, ${lab.vms.map((v) => v.ns).join(", ")} and ${lab.dir}`));
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
