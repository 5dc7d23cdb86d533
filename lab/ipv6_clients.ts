/** Runs IPv6 clients (rdisc6, ndisc6, ping -6, dhclient -6) in VM namespaces and reads back what they saw. */

import { list, record, type RecordedRun, runRecorded } from "./clients.ts";
import type { Lab, Vm } from "./netns.ts";
import { requireCommands, run, runJson, waitFor } from "./proc.ts";

/** Sets `net.ipv6.conf.<iface>.<key>` for each entry, inside `ns`. */
export async function setIpv6Sysctls(
  ns: string,
  iface: string,
  values: Readonly<Record<string, number>>,
): Promise<void> {
  const settings = Object.entries(values).map(([k, v]) => `net.ipv6.conf.${iface}.${k}=${v}`);
  await run(["sysctl", "-q", "-w", ...settings], { ns });
}

/** Reads `net.ipv6.conf.<iface>.<key>` inside `ns`. */
export async function readIpv6Sysctl(ns: string, iface: string, key: string): Promise<string> {
  const { stdout } = await run(["sysctl", "-n", `net.ipv6.conf.${iface}.${key}`], { ns });
  return stdout.trim();
}

/** An IPv6 address of an interface with the flags that say whether the kernel may use it. */
export interface Ipv6Address {
  readonly address: string;
  readonly prefixLength: number;
  readonly scope: string;
  /** Still doing duplicate address detection. */
  readonly tentative: boolean;
  /** Duplicate address detection failed: someone answered for it. */
  readonly dadFailed: boolean;
  /** Added by the kernel from an RA (SLAAC). */
  readonly dynamic: boolean;
}

/** The IPv6 addresses of `iface` in `ns` (`ip -j -6 addr`), link-local included. */
export async function readIpv6Addresses(ns: string, iface = "eth0"): Promise<Ipv6Address[]> {
  const links = list(await runJson(["ip", "-j", "-6", "addr", "show", "dev", iface], { ns }));
  return list(record(links[0]).addr_info).map(record).flatMap((a) =>
    typeof a.local === "string"
      ? [{
        address: a.local,
        prefixLength: typeof a.prefixlen === "number" ? a.prefixlen : -1,
        scope: typeof a.scope === "string" ? a.scope : "",
        tentative: a.tentative === true,
        dadFailed: a.dadfailed === true,
        dynamic: a.dynamic === true,
      }]
      : []
  );
}

/** Waits (bounded) until `iface` has a link-local address that finished DAD; returns it. */
export async function waitForLinkLocal(
  ns: string,
  iface: string,
  timeoutMs: number,
): Promise<string> {
  return await waitFor(`a usable link-local address on ${iface} in ${ns}`, async () => {
    const ll = (await readIpv6Addresses(ns, iface)).find((a) => a.scope === "link");
    return ll !== undefined && !ll.tentative && !ll.dadFailed ? ll.address : null;
  }, { timeoutMs, intervalMs: 100 });
}

/** An IPv6 route as `ip -j -6 route` shows it. */
export interface Ipv6Route {
  readonly dst: string;
  readonly gateway: string | null;
  readonly dev: string;
  readonly protocol: string;
  readonly pref: string | null;
}

/** The IPv6 routes of `ns` (main table). */
export async function readIpv6Routes(ns: string): Promise<Ipv6Route[]> {
  return list(await runJson(["ip", "-j", "-6", "route", "show"], { ns })).map(record).map((r) => ({
    dst: String(r.dst ?? ""),
    gateway: typeof r.gateway === "string" ? r.gateway : null,
    dev: String(r.dev ?? ""),
    protocol: String(r.protocol ?? ""),
    pref: typeof r.pref === "string" ? r.pref : null,
  }));
}

/** A neighbour cache entry as `ip -j -6 neigh` shows it. */
export interface Neighbour {
  readonly dst: string;
  /** Lower-case MAC, or null when unresolved. */
  readonly lladdr: string | null;
  /** The entry's router flag (set by an NA with R, or an RA). */
  readonly router: boolean;
  readonly state: string[];
}

/** The IPv6 neighbour cache of `iface` in `ns`. */
export async function readNeighbours(ns: string, iface = "eth0"): Promise<Neighbour[]> {
  const entries = list(await runJson(["ip", "-j", "-6", "neigh", "show", "dev", iface], { ns }));
  return entries.map(record).map((n) => ({
    dst: String(n.dst ?? ""),
    lladdr: typeof n.lladdr === "string" ? n.lladdr.toLowerCase() : null,
    // `ip -j` prints a set flag as a key with a null value.
    router: "router" in n,
    state: list(n.state).map(String),
  }));
}

/** One Prefix Information option as rdisc6 prints it. */
export interface PrefixSeen {
  readonly prefix: string;
  readonly onLink: boolean;
  readonly autonomous: boolean;
}

/** A Router Advertisement as rdisc6 printed it. */
export interface AdvertSeen {
  /** The RA's source address. */
  readonly from: string;
  readonly managed: boolean;
  readonly otherConfig: boolean;
  readonly preference: string;
  readonly routerLifetime: number;
  /** Upper-case MAC from the source link-layer address option, or null. */
  readonly sourceLinkLayer: string | null;
  readonly mtu: number | null;
  readonly prefixes: PrefixSeen[];
  readonly dnsServers: string[];
  readonly searchDomains: string[];
}

/** One run of rdisc6. */
export interface Rdisc6Result {
  /** 0 when a router answered, 2 when none did. */
  readonly code: number;
  /** The first advertisement it printed, or null. */
  readonly advert: AdvertSeen | null;
  readonly output: string;
}

/** `key : value` of an rdisc6 line (the key trimmed), or null. */
function keyValue(line: string): [string, string] | null {
  const colon = line.indexOf(":");
  return colon < 0 ? null : [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
}

/** Parses rdisc6's report of the first RA it printed (ndisc6 1.0.x layout); null without one. */
export function parseRdisc6(output: string): AdvertSeen | null {
  const lines = output.split("\n");
  const start = lines.findIndex((l) => l.startsWith("Hop limit"));
  if (start < 0) return null;
  const fromAt = lines.findIndex((l, i) => i > start && /^ from /.test(l));
  const body = lines.slice(start, fromAt < 0 ? undefined : fromAt);
  const seen = {
    managed: false,
    otherConfig: false,
    preference: "",
    routerLifetime: -1,
    sourceLinkLayer: null as string | null,
    mtu: null as number | null,
    prefixes: [] as { prefix: string; onLink: boolean; autonomous: boolean }[],
    dnsServers: [] as string[],
    searchDomains: [] as string[],
  };
  for (const line of body) {
    const kv = keyValue(line);
    if (kv === null) continue;
    const [key, value] = kv;
    const yes = value === "Yes";
    const last = seen.prefixes.at(-1);
    if (key === "Stateful address conf.") seen.managed = yes;
    else if (key === "Stateful other conf.") seen.otherConfig = yes;
    else if (key === "Router preference") seen.preference = value;
    else if (key === "Router lifetime") seen.routerLifetime = parseInt(value, 10);
    else if (key === "Source link-layer address") seen.sourceLinkLayer = value;
    else if (key === "MTU") seen.mtu = parseInt(value, 10);
    else if (key === "Prefix") {
      seen.prefixes.push({ prefix: value, onLink: false, autonomous: false });
    } else if (key === "On-link" && last) last.onLink = yes;
    else if (key === "Autonomous address conf." && last) last.autonomous = yes;
    else if (key === "Recursive DNS server") seen.dnsServers.push(value);
    else if (key === "DNS search list") seen.searchDomains.push(...value.split(/\s+/));
  }
  const from = fromAt < 0 ? "" : (lines[fromAt] ?? "").replace(/^ from /, "").trim();
  return { from, ...seen, searchDomains: seen.searchDomains.filter((d) => d !== "") };
}

/** Runs `rdisc6 -1` on the VM's eth0: `tries` solicitations, `waitMs` apart. */
export async function runRdisc6(vm: Vm, tries = 3, waitMs = 1000): Promise<Rdisc6Result> {
  requireCommands(["rdisc6"]);
  const { code, stdout, stderr } = await run(
    ["rdisc6", "-1", "-r", `${tries}`, "-w", `${waitMs}`, vm.iface],
    { ns: vm.ns, allowFailure: true, timeoutMs: tries * waitMs + 5000 },
  );
  return { code, advert: parseRdisc6(stdout), output: `${stdout}${stderr}` };
}

/** One run of ndisc6. */
export interface Ndisc6Result {
  readonly code: number;
  /** Lower-case MAC of the answer's target link-layer address, or null without an answer. */
  readonly mac: string | null;
  /** The answer's source address, or null. */
  readonly from: string | null;
  readonly output: string;
}

/** Runs `ndisc6 -1 TARGET eth0` in the VM: one resolution, up to three solicitations. */
export async function runNdisc6(vm: Vm, target: string): Promise<Ndisc6Result> {
  requireCommands(["ndisc6"]);
  const { code, stdout, stderr } = await run(["ndisc6", "-1", target, vm.iface], {
    ns: vm.ns,
    allowFailure: true,
  });
  return {
    code,
    mac: /Target link-layer address: ([0-9A-Fa-f:]{17})/.exec(stdout)?.[1]?.toLowerCase() ?? null,
    from: /^ from (\S+)/m.exec(stdout)?.[1] ?? null,
    output: `${stdout}${stderr}`,
  };
}

/** Sends one `ping -6` (waiting at most a second for the echo); returns ping's exit code. */
export async function pingOnce(vm: Vm, target: string): Promise<number> {
  requireCommands(["ping"]);
  const { code } = await run(["ping", "-6", "-n", "-c", "1", "-W", "1", target], {
    ns: vm.ns,
    allowFailure: true,
  });
  return code;
}

/** One run of `dhclient -6` (reasons PREINIT6, BOUND6, RENEW6...; the interface read back while it ran). */
export interface Dhcp6Result extends Omit<RecordedRun, "answer"> {
  /** The environment of the script call that carried the server's answer, or null without one. */
  readonly vars: Readonly<Record<string, string>> | null;
  /** The lease file dhclient wrote (empty when it wrote none). */
  readonly leases: string;
}

/** For a lease, adds the address as dhclient-script does. */
const DHCP6_APPLY = `case "$reason" in
  BOUND6|RENEW6|REBIND6|REBOOT6)
    if [ -n "$new_ip6_address" ]; then
      ip -6 addr replace "$new_ip6_address/$new_ip6_prefixlen" dev "$interface"
    fi ;;
esac`;

/** Options for {@linkcode runDhclient6}. */
export interface Dhcp6RunOptions {
  /** `-S`: Information-Request only (stateless); else Solicit for an address (stateful). */
  readonly stateless: boolean;
  /** Give up after this many seconds without an answer (default 10). */
  readonly timeoutSec?: number;
  /** `-P`: ask for delegated prefixes (with `-N`, addresses too, unless stateless). */
  readonly prefixes?: boolean;
  /** More dhclient.conf statements (option definitions, `also request ...;`). */
  readonly conf?: string;
}

/**
 * Runs ISC `dhclient -6 -d` (with `-S` when stateless) on the VM's eth0 with its own lease file,
 * pid file, config and our recording script; waits (bounded) for the script call that carries
 * the answer (new_ip6_address when stateful, new_dhcp6_name_servers when stateless), reads the
 * interface back, then stops the client. The link-local must have finished DAD.
 */
export async function runDhclient6(
  lab: Lab,
  vm: Vm,
  options: Dhcp6RunOptions,
): Promise<Dhcp6Result> {
  const timeoutSec = options.timeoutSec ?? 10;
  const answered = options.stateless
    ? "new_dhcp6_name_servers"
    : options.prefixes
    ? "new_ip6_prefix"
    : "new_ip6_address";
  const mode = options.stateless ? ["-S"] : options.prefixes ? ["-N", "-P"] : [];
  let leaseFile = "";
  const { answer, ...run } = await runRecorded(lab, vm, {
    name: "dhclient6",
    apply: DHCP6_APPLY,
    cmd: ({ dir, script }) => {
      leaseFile = `${dir}/dhclient6.leases`;
      Deno.writeTextFileSync(
        `${dir}/dhclient6.conf`,
        `timeout ${timeoutSec};\n${options.conf ?? ""}`,
      );
      return [
        ...["dhclient", "-6", "-d", "-v", ...mode],
        ...["-cf", `${dir}/dhclient6.conf`, "-lf", leaseFile],
        ...["-pf", `${dir}/dhclient6.pid`, "-sf", script, vm.iface],
      ];
    },
    answered: (e) => answered in e.vars,
    timeoutSec,
  });
  const leases = await Deno.readTextFile(leaseFile).catch(() => "");
  return { vars: answer?.vars ?? null, leases, ...run };
}

/** A space-separated dhclient list variable, trailing dots of domain names removed. */
export function dhclientList(value: string | undefined): string[] {
  return (value ?? "").split(/\s+/).filter((w) => w !== "").map((w) => w.replace(/\.$/, ""));
}

/** The packet count of the first `ip6tables` rule of `chain` in the hypervisor that mentions `match`. */
export async function ip6tablesPackets(lab: Lab, chain: string, match: string): Promise<number> {
  const { stdout } = await lab.ip6tables(["-S", chain, "-v"]);
  const rule = stdout.split("\n").find((l) => l.startsWith(`-A ${chain} `) && l.includes(match));
  const count = rule === undefined ? undefined : / -c (\d+) \d+/.exec(rule)?.[1];
  if (count === undefined) throw new Error(`No ip6tables rule in ${chain} matches ${match}`);
  return Number(count);
}
