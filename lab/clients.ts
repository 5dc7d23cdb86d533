/** Runs real DHCP clients in a VM namespace and returns what they were given and what they configured. */

import type { Lab, Vm } from "./netns.ts";
import { requireCommands, run, runJson, waitFor } from "./proc.ts";

/** An IPv4 or IPv6 address on an interface, read back with `ip -j addr`. */
export interface InterfaceAddress {
  readonly family: "inet" | "inet6";
  readonly address: string;
  readonly prefixLength: number;
  readonly scope: string;
}

/** What the VM's interface really ended up with (`ip -j addr`, `ip -j route`, `ip -j link`). */
export interface Configured {
  readonly mtu: number;
  readonly ipv4: InterfaceAddress[];
  /** Global IPv6 addresses (link-local left out). */
  readonly ipv6: InterfaceAddress[];
  /** Gateways of IPv4 default routes on the interface. */
  readonly defaultRoutes4: string[];
  /** Gateways of IPv6 default routes on the interface. */
  readonly defaultRoutes6: string[];
}

/** A DHCPv4 lease as handed to the client's script, normalized across dhclient and udhcpc. */
export interface Lease4 {
  readonly address: string;
  readonly subnetMask: string | null;
  readonly prefixLength: number | null;
  readonly broadcast: string | null;
  readonly routers: string[];
  readonly dns: string[];
  readonly domain: string | null;
  readonly hostname: string | null;
  readonly mtu: number | null;
  readonly serverId: string | null;
  readonly leaseTime: number | null;
  /** Renewal time T1 (option 58). */
  readonly renewalTime: number | null;
}

/** Which client ran. */
export type Dhcp4ClientName = "dhclient" | "udhcpc";

/** One run of a DHCPv4 client; its exit code is null when we stopped it (dhclient stays to renew). */
export interface Dhcp4Result extends Omit<RecordedRun, "answer"> {
  readonly client: Dhcp4ClientName;
  /** The lease the script was given, or null when the client got none. */
  readonly lease: Lease4 | null;
  /** The script's environment for the bound event (raw variables). */
  readonly vars: Readonly<Record<string, string>>;
}

/** Options for the DHCPv4 client runners. */
export interface Dhcp4RunOptions {
  /** Give up after about this many seconds without a lease (default 10). */
  readonly timeoutSec?: number;
}

/**
 * A client script: runs `apply` (a shell `case "$reason"` that configures the interface, as
 * dhclient-script or udhcpc's default.script would) and records its environment per call
 * (NNN-REASON.env, NUL-separated). dhclient passes the reason in `$reason`, udhcpc as `$1`.
 */
function recordingScript(recordDir: string, apply: string): string {
  return `#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
out='${recordDir}'
if [ -n "$1" ]; then reason="$1"; fi
exec 2>>"$out/script.log"
${apply}
n=$(ls "$out" | grep -c '\\.env$')
env -0 > "$out/tmp.$$"
mv "$out/tmp.$$" "$out/$(printf %03d "$n")-$reason.env"
exit 0
`;
}

/** Applies a DHCPv4 lease: address, prefix, default route and MTU, with `ip`. */
const DHCP4_APPLY = `mask2prefix() {
  p=0; old_ifs="$IFS"; IFS=.
  for o in $1; do
    case $o in 255) p=$((p+8));; 254) p=$((p+7));; 252) p=$((p+6));; 248) p=$((p+5));;
      240) p=$((p+4));; 224) p=$((p+3));; 192) p=$((p+2));; 128) p=$((p+1));; esac
  done
  IFS="$old_ifs"; echo "$p"
}
apply() { # address mask broadcast routers mtu
  [ -n "$5" ] && ip link set dev "$interface" mtu "$5"
  ip -4 addr flush dev "$interface"
  ip -4 addr add "$1/$(mask2prefix "$2")" \${3:+broadcast "$3"} dev "$interface"
  for r in $4; do ip -4 route replace default via "$r" dev "$interface"; break; done
}
case "$reason" in
  PREINIT|deconfig) ip link set dev "$interface" up; ip -4 addr flush dev "$interface" ;;
  BOUND|RENEW|REBIND|REBOOT)
    apply "$new_ip_address" "$new_subnet_mask" "$new_broadcast_address" "$new_routers" "$new_interface_mtu" ;;
  bound|renew) apply "$ip" "$subnet" "$broadcast" "$router" "$mtu" ;;
esac`;

/** Parses `env -0` output. */
function parseEnv0(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const entry of text.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) vars[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return vars;
}

/** One recorded script call. */
export interface ScriptEvent {
  readonly reason: string;
  readonly vars: Record<string, string>;
}

/** Reads the events the script recorded so far, in call order. */
async function readEvents(recordDir: string): Promise<ScriptEvent[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(recordDir)) {
    if (entry.isFile && /^\d{3}-.*\.env$/.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  const events: ScriptEvent[] = [];
  for (const name of names) {
    const reason = name.slice(4, -4);
    events.push({ reason, vars: parseEnv0(await Deno.readTextFile(`${recordDir}/${name}`)) });
  }
  return events;
}

/** Splits a space-separated list variable. */
function words(value: string | undefined): string[] {
  return (value ?? "").split(/\s+/).filter((w) => w !== "");
}

/** An optional integer variable. */
function integer(value: string | undefined): number | null {
  return value === undefined || value === "" ? null : Number(value);
}

/** Prefix length of a dotted mask, or null if it is not a contiguous mask. */
export function maskToPrefix(mask: string): number | null {
  const octets = mask.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255))) return null;
  const bits = octets.map((o) => o.toString(2).padStart(8, "0")).join("");
  return /^1*0*$/.test(bits) ? bits.indexOf("0") === -1 ? 32 : bits.indexOf("0") : null;
}

/** The lease from dhclient's `new_*` variables. */
function dhclientLease(vars: Record<string, string>): Lease4 {
  const mask = vars.new_subnet_mask ?? null;
  return {
    address: vars.new_ip_address ?? "",
    subnetMask: mask,
    prefixLength: mask === null ? null : maskToPrefix(mask),
    broadcast: vars.new_broadcast_address ?? null,
    routers: words(vars.new_routers),
    dns: words(vars.new_domain_name_servers),
    domain: vars.new_domain_name ?? null,
    hostname: vars.new_host_name ?? null,
    mtu: integer(vars.new_interface_mtu),
    serverId: vars.new_dhcp_server_identifier ?? null,
    leaseTime: integer(vars.new_dhcp_lease_time),
    renewalTime: integer(vars.new_dhcp_renewal_time),
  };
}

/** The lease from udhcpc's variables. */
function udhcpcLease(vars: Record<string, string>): Lease4 {
  const mask = vars.subnet ?? null;
  return {
    address: vars.ip ?? "",
    subnetMask: mask,
    prefixLength: mask === null ? null : maskToPrefix(mask),
    broadcast: vars.broadcast ?? null,
    routers: words(vars.router),
    dns: words(vars.dns),
    domain: vars.domain ?? null,
    hostname: vars.hostname ?? null,
    mtu: integer(vars.mtu),
    serverId: vars.serverid ?? null,
    leaseTime: integer(vars.lease),
    // udhcpc has no name for option 58: it passes it as hex in opt58.
    renewalTime: vars.opt58 === undefined ? null : parseInt(vars.opt58, 16),
  };
}

/** Narrows JSON to an object, or an empty one. */
export function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}

/** Narrows JSON to an array, or an empty one. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Gateways of the default routes on `iface` from `ip -j route show default`. */
async function defaultGateways(ns: string, iface: string, family: "-4" | "-6"): Promise<string[]> {
  const routes = list(
    await runJson(["ip", "-j", family, "route", "show", "default", "dev", iface], { ns }),
  );
  return routes.map((r) => record(r).gateway).filter((g): g is string => typeof g === "string");
}

/** Reads back what `iface` in `ns` is configured with: MTU, addresses, default routes. */
export async function readConfigured(ns: string, iface = "eth0"): Promise<Configured> {
  const link = record(list(await runJson(["ip", "-j", "addr", "show", "dev", iface], { ns }))[0]);
  const addresses: InterfaceAddress[] = list(link.addr_info).map(record).flatMap((a) => {
    const family = a.family;
    if ((family !== "inet" && family !== "inet6") || typeof a.local !== "string") return [];
    return [{
      family,
      address: a.local,
      prefixLength: typeof a.prefixlen === "number" ? a.prefixlen : -1,
      scope: typeof a.scope === "string" ? a.scope : "",
    }];
  });
  return {
    mtu: typeof link.mtu === "number" ? link.mtu : -1,
    ipv4: addresses.filter((a) => a.family === "inet"),
    ipv6: addresses.filter((a) => a.family === "inet6" && a.scope !== "link"),
    defaultRoutes4: await defaultGateways(ns, iface, "-4"),
    defaultRoutes6: await defaultGateways(ns, iface, "-6"),
  };
}

/** Removes what an earlier client run configured on `iface`: IPv4 addresses, default route, MTU back to 1500. */
export async function resetInterface(ns: string, iface = "eth0"): Promise<void> {
  await run(["ip", "-4", "addr", "flush", "dev", iface], { ns });
  await run(["ip", "-4", "route", "flush", "dev", iface], { ns });
  await run(["ip", "link", "set", "dev", iface, "mtu", "1500", "up"], { ns });
}

/** The script's own error log, if it wrote one. */
async function scriptLog(records: string): Promise<string> {
  try {
    return await Deno.readTextFile(`${records}/script.log`);
  } catch {
    return "";
  }
}

/** Where a recorded client run keeps its files: its own directory, and the script to pass it. */
export interface RunPaths {
  readonly dir: string;
  readonly script: string;
}

/** A client run with a recording script: see {@linkcode runRecorded}. */
export interface RecordedClient {
  /** Names the run directory (`<vm>-<name>-*`) and the wait. */
  readonly name: string;
  /** What the script does to the interface: a shell `case "$reason"` (see recordingScript). */
  readonly apply: string;
  /** The client's command line, given its run directory (for its own files) and the script. */
  readonly cmd: (paths: RunPaths) => string[];
  /** The script call that carries the answer the caller waits for. */
  readonly answered: (event: ScriptEvent) => boolean;
  /** Give up about this long after the client started without an answer. */
  readonly timeoutSec: number;
}

/** What a {@linkcode runRecorded} run saw. */
export interface RecordedRun {
  /** The first script call that carried the answer, or undefined. */
  readonly answer: ScriptEvent | undefined;
  /** Reasons the script was called with, in order. */
  readonly events: string[];
  /** The interface as read back while the client still ran. */
  readonly configured: Configured;
  /** Exit code of the client, or null when we had to stop it. */
  readonly exitCode: number | null;
  readonly elapsedMs: number;
  /** The client's stderr and stdout, and the script's own error log, for failure messages. */
  readonly log: string;
}

/**
 * Runs a client in the VM, in a clean environment and its own directory under the lab dir, until
 * its script records the answer, it exits, or the deadline; reads the interface back, then stops it.
 */
export async function runRecorded(lab: Lab, vm: Vm, client: RecordedClient): Promise<RecordedRun> {
  const dir = await Deno.makeTempDir({ dir: lab.dir, prefix: `${vm.name}-${client.name}-` });
  const records = `${dir}/records`;
  await Deno.mkdir(records);
  const script = `${dir}/script.sh`;
  await Deno.writeTextFile(script, recordingScript(records, client.apply), { mode: 0o755 });
  const cmd = client.cmd({ dir, script });
  requireCommands(cmd.slice(0, 1));
  const started = Date.now();
  // A clean environment, so the recorded variables are the client's own.
  const proc = lab.spawn(["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", ...cmd], vm.ns);
  await waitFor(`${client.name} in ${vm.name} to get an answer or give up`, async () => {
    // Exited first, then read: a client that records its answer and exits is not missed.
    const exited = proc.status !== null;
    return exited || (await readEvents(records)).some(client.answered);
  }, { timeoutMs: (client.timeoutSec + 5) * 1000, intervalMs: 25 }).catch(() => undefined);
  // Read the interface before stopping the client: nothing may deconfigure it in between.
  const configured = await readConfigured(vm.ns, vm.iface);
  const elapsedMs = Date.now() - started;
  const exitedOnItsOwn = proc.status !== null;
  const status = await proc.stop(2000);
  const events = await readEvents(records);
  return {
    answer: events.find(client.answered),
    events: events.map((e) => e.reason),
    configured,
    exitCode: exitedOnItsOwn ? status.code : null,
    elapsedMs,
    log: `${proc.stderr}${proc.stdout}${await scriptLog(records)}`,
  };
}

/** Runs a DHCPv4 client on a reset interface, with the script that applies its lease. */
async function runClient(
  lab: Lab,
  vm: Vm,
  client: Omit<RecordedClient, "apply"> & { readonly name: Dhcp4ClientName },
  toLease: (vars: Record<string, string>) => Lease4,
): Promise<Dhcp4Result> {
  await resetInterface(vm.ns, vm.iface);
  const { answer, ...run } = await runRecorded(lab, vm, { ...client, apply: DHCP4_APPLY });
  const lease = answer === undefined ? null : toLease(answer.vars);
  return { client: client.name, lease, vars: answer?.vars ?? {}, ...run };
}

/**
 * Runs ISC `dhclient -4 -d -1` on the VM's eth0 with its own lease file (-lf), pid file (-pf),
 * config (-cf: short timeout, asks for hostname, domain, DNS, MTU) and our recording script (-sf).
 * It is stopped (without release) once bound.
 */
export async function runDhclient(
  lab: Lab,
  vm: Vm,
  options: Dhcp4RunOptions = {},
): Promise<Dhcp4Result> {
  const timeoutSec = options.timeoutSec ?? 10;
  const cmd = ({ dir, script }: RunPaths) => {
    const conf = `${dir}/dhclient.conf`;
    Deno.writeTextFileSync(
      conf,
      [
        `timeout ${timeoutSec};`,
        "retry 1;",
        "initial-interval 1;",
        "backoff-cutoff 2;",
        "request subnet-mask, broadcast-address, time-offset, routers, domain-name,",
        "  domain-name-servers, domain-search, host-name, interface-mtu;",
        "",
      ].join("\n"),
    );
    return [
      ...["dhclient", "-4", "-d", "-1", "-v", "-cf", conf, "-lf", `${dir}/dhclient.leases`],
      ...["-pf", `${dir}/dhclient.pid`, "-sf", script, vm.iface],
    ];
  };
  const answered = (e: ScriptEvent) => e.reason === "BOUND" || e.reason === "REBOOT";
  return await runClient(lab, vm, { name: "dhclient", cmd, answered, timeoutSec }, dhclientLease);
}

/** Runs busybox `udhcpc -f -q -n -t N -T 1` (asking for the MTU too) on the VM's eth0 with our script. */
export async function runUdhcpc(
  lab: Lab,
  vm: Vm,
  options: Dhcp4RunOptions = {},
): Promise<Dhcp4Result> {
  const timeoutSec = options.timeoutSec ?? 10;
  const cmd = ({ dir, script }: RunPaths) => [
    ...["udhcpc", "-f", "-q", "-n", "-i", vm.iface, "-s", script, "-p", `${dir}/udhcpc.pid`],
    ...["-t", `${Math.max(1, timeoutSec)}`, "-T", "1", "-O", "mtu"],
  ];
  const answered = (e: ScriptEvent) => e.reason === "bound";
  return await runClient(lab, vm, { name: "udhcpc", cmd, answered, timeoutSec }, udhcpcLease);
}

/** The runner for `client`. */
export function dhcp4Runner(
  client: Dhcp4ClientName,
): (lab: Lab, vm: Vm, options?: Dhcp4RunOptions) => Promise<Dhcp4Result> {
  return client === "dhclient" ? runDhclient : runUdhcpc;
}
