/** Integration harness: namespaces, TAP-named veths, iptables rules; removes what it made, even after a crash. */

import { type BindingSpec, formatBinding, formatIni, type IniSections } from "./lab_files.ts";
import { type CommandResult, Proc, requireCommands, requireRoot, run } from "./proc.ts";

/** Prefixes of namespace names the harness creates; names look like `<prefix>-<pid>-<rand>-<role>`. */
export const NAMESPACE_PREFIXES: readonly string[] = ["nfdt", "nfdemo"];

/** True when a process with this id exists. */
function processExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Names of all network namespaces. */
export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run(["ip", "netns", "list"]);
  return stdout.split("\n").map((line) => line.split(" ")[0] ?? "").filter((name) => name !== "");
}

/** Kills what still runs in namespace `ns` (only ever one of ours) and deletes it. */
async function deleteNamespace(ns: string): Promise<void> {
  const { stdout } = await run(["ip", "netns", "pids", ns], { allowFailure: true });
  for (const pid of stdout.split("\n").map(Number).filter((pid) => pid > 0)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await run(["ip", "netns", "del", ns], { allowFailure: true });
  if ((await listNamespaces()).includes(ns)) {
    throw new Error(`Cannot delete network namespace ${ns}`);
  }
}

/** The directory Deno.makeTempDir uses. */
function tempRoot(): string {
  return Deno.env.get("TMPDIR") ?? "/tmp";
}

/** True when `name` starts with a harness prefix whose process is gone (not this one, not a live one). */
function isStale(name: string): boolean {
  const pid = Number(
    new RegExp(`^(?:${NAMESPACE_PREFIXES.join("|")})-(\\d+)-`).exec(name)?.[1] ?? "0",
  );
  return pid > 0 && pid !== Deno.pid && !processExists(pid);
}

/**
 * Removes what earlier harness runs left when they were killed (SIGKILL skips every finally):
 * their namespaces, with what still runs in them, and their temp dirs. Returns what it removed.
 */
export async function removeStaleLabs(): Promise<string[]> {
  const stale = (await listNamespaces()).filter(isStale);
  for (const ns of stale) await deleteNamespace(ns);
  for await (const entry of Deno.readDir(tempRoot())) {
    if (entry.isDirectory && isStale(entry.name)) {
      await Deno.remove(`${tempRoot()}/${entry.name}`, { recursive: true });
      stale.push(`${tempRoot()}/${entry.name}`);
    }
  }
  return stale;
}
/** A VM: its own namespace behind a TAP-named veth end in the hypervisor namespace. */
export interface Vm {
  /** Short name given by the test, e.g. `vm1`. */
  readonly name: string;
  /** The VM's network namespace. */
  readonly ns: string;
  /** The hypervisor side of the veth (the binding file's name). */
  readonly tap: string;
  /** MAC of the hypervisor side. */
  readonly tapMac: string;
  /** The VM's interface, always `eth0`. */
  readonly iface: string;
  /** MAC of the VM's `eth0`. */
  readonly mac: string;
}

/** What {@linkcode Lab.addVm} needs; MACs default to per-index locally administered addresses. */
export interface VmSpec {
  readonly name: string;
  readonly tap: string;
  readonly mac?: string;
  readonly tapMac?: string;
}

/** Options for {@linkcode Lab.create}. */
export interface LabOptions {
  /** First part of namespace and temp dir names (default `nfdt`; must be one of {@linkcode NAMESPACE_PREFIXES}). */
  readonly tag?: string;
  /** Enslave the taps to a bridge `br0` in the hypervisor namespace (no IP on it). */
  readonly bridged?: boolean;
  /** VMs to create now; more can be added with {@linkcode Lab.addVm}. */
  readonly vms?: readonly VmSpec[];
  /** Give hypervisor-side interfaces a kernel IPv6 link-local address (default false: no IP at all). */
  readonly hostLinkLocal?: boolean;
}
/** The target of an NFQUEUE rule. */
function toQueue(queue: number): string[] {
  return ["-j", "NFQUEUE", "--queue-num", `${queue}`];
}

/** Two-digit hex of `n` (0..255). */
export function hexByte(n: number): string {
  return (n & 0xff).toString(16).padStart(2, "0");
}

/**
 * A test network: a hypervisor namespace with `tapN` veth ends (no IP), one namespace per VM,
 * a temp dir with the datapath and config, and a LIFO list of cleanups run by {@linkcode Lab.dispose}.
 */
export class Lab implements AsyncDisposable {
  /** Unique prefix of everything this lab names, e.g. `nfdt-1234-ab12`. */
  readonly prefix: string;
  /** The hypervisor namespace. */
  readonly hv: string;
  /** Temp directory holding the datapath, config, client files; removed on dispose. */
  readonly dir: string;
  /** The binding directory (`datapath`). */
  readonly datapath: string;
  /** Whether taps are enslaved to `br0`. */
  readonly bridged: boolean;
  readonly #hostLinkLocal: boolean;
  readonly #vms = new Map<string, Vm>();
  readonly #cleanups: { what: string; fn: () => Promise<void> | void }[] = [];
  #disposed: Promise<void> | null = null;

  private constructor(prefix: string, dir: string, options: LabOptions) {
    this.prefix = prefix;
    this.hv = `${prefix}-hv`;
    this.dir = dir;
    this.datapath = `${dir}/datapath`;
    this.bridged = options.bridged ?? false;
    this.#hostLinkLocal = options.hostLinkLocal ?? false;
  }

  /** Builds a lab; on any failure tears down what was built and rethrows. */
  static async create(options: LabOptions = {}): Promise<Lab> {
    requireRoot();
    requireCommands(["ip", "iptables"]);
    const tag = options.tag ?? "nfdt";
    if (!NAMESPACE_PREFIXES.includes(tag)) {
      throw new Error(`Cannot create a lab: unknown tag ${tag}`);
    }
    await removeStaleLabs();
    const rand = crypto.getRandomValues(new Uint8Array(2));
    const prefix = `${tag}-${Deno.pid}-${hexByte(rand[0] ?? 0)}${hexByte(rand[1] ?? 0)}`;
    const dir = await Deno.makeTempDir({ prefix: `${prefix}-` });
    const lab = new Lab(prefix, dir, options);
    lab.defer(`remove ${dir}`, () => Deno.remove(dir, { recursive: true }));
    try {
      await Deno.mkdir(lab.datapath);
      await lab.#addNamespace(lab.hv);
      if (lab.bridged) await lab.#addBridge();
      for (const spec of options.vms ?? []) await lab.addVm(spec);
    } catch (error) {
      await lab.dispose().catch((cleanupError) => console.error(cleanupError));
      throw error;
    }
    return lab;
  }

  /** Registers a cleanup; cleanups run in reverse order on dispose. */
  defer(what: string, fn: () => Promise<void> | void): void {
    this.#cleanups.push({ what, fn });
  }

  /** Spawns a long-running process (in `ns` when given) that dispose stops if it still runs. */
  spawn(cmd: readonly string[], ns?: string, echo?: (text: string) => void): Proc {
    const proc = new Proc(cmd, ns, echo);
    this.defer(`stop ${proc.argv.join(" ")}`, async () => {
      await proc.stop(1000);
    });
    return proc;
  }

  /** The VM named `name`; throws if there is none. */
  vm(name: string): Vm {
    const vm = this.#vms.get(name);
    if (vm === undefined) throw new Error(`Lab ${this.prefix} has no VM ${name}`);
    return vm;
  }

  /** All VMs, in creation order. */
  get vms(): Vm[] {
    return [...this.#vms.values()];
  }

  async #addNamespace(ns: string): Promise<void> {
    await run(["ip", "netns", "add", ns]);
    this.defer(`delete namespace ${ns}`, () => deleteNamespace(ns));
    await run(["ip", "-n", ns, "link", "set", "lo", "up"]);
  }

  async #addBridge(): Promise<void> {
    requireCommands(["sysctl"]);
    const bridge = ["br0", "address", "fe:ff:ff:ff:ff:00", "type", "bridge"];
    await run(["ip", "-n", this.hv, "link", "add", ...bridge]);
    if (!this.#hostLinkLocal) {
      await run(["ip", "-n", this.hv, "link", "set", "br0", "addrgenmode", "none"]);
    }
    await run(["ip", "-n", this.hv, "link", "set", "br0", "up"]);
    const sysctl = "/proc/sys/net/bridge/bridge-nf-call-iptables";
    const hasSysctl = async () =>
      (await run(["test", "-e", sysctl], { ns: this.hv, allowFailure: true })).code === 0;
    if (!(await hasSysctl())) {
      await run(["modprobe", "br_netfilter"], { allowFailure: true });
      if (!(await hasSysctl())) {
        throw new Error(
          "Bridged setup needs the br_netfilter kernel module (modprobe br_netfilter failed): " +
            `${sysctl} is missing`,
        );
      }
    }
    await run(["sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=1"], { ns: this.hv });
    await run(["sysctl", "-q", "-w", "net.bridge.bridge-nf-call-ip6tables=1"], { ns: this.hv });
  }

  /** Adds a VM: its namespace, a veth `tap` (hypervisor, up, no IP) ↔ `eth0` (VM, up, chosen MAC). */
  async addVm(spec: VmSpec): Promise<Vm> {
    if (this.#vms.has(spec.name)) throw new Error(`Lab ${this.prefix} already has VM ${spec.name}`);
    const index = this.#vms.size + 1;
    const vm: Vm = {
      name: spec.name,
      ns: `${this.prefix}-${spec.name}`,
      tap: spec.tap,
      tapMac: spec.tapMac ?? `fe:ff:ff:00:00:${hexByte(index)}`,
      iface: "eth0",
      mac: spec.mac ?? `52:54:00:12:34:${hexByte(index)}`,
    };
    await this.#addNamespace(vm.ns);
    this.#vms.set(vm.name, vm);
    const hv = ["ip", "-n", this.hv];
    await run([
      ...hv,
      ...["link", "add", vm.tap, "address", vm.tapMac, "type", "veth"],
      ...["peer", "name", vm.iface, "address", vm.mac, "netns", vm.ns],
    ]);
    if (!this.#hostLinkLocal) await run([...hv, "link", "set", vm.tap, "addrgenmode", "none"]);
    if (this.bridged) await run([...hv, "link", "set", vm.tap, "master", "br0"]);
    await run([...hv, "link", "set", vm.tap, "up"]);
    await run(["ip", "-n", vm.ns, "link", "set", vm.iface, "up"]);
    return vm;
  }

  /** Writes `datapath/<tap>` in one open-write-close (what the daemon's inotify watch expects). */
  async writeBinding(tap: string, binding: BindingSpec): Promise<string> {
    const path = `${this.datapath}/${tap}`;
    await Deno.writeTextFile(path, formatBinding(binding));
    return path;
  }

  /** Deletes `datapath/<tap>`. */
  async removeBinding(tap: string): Promise<void> {
    await Deno.remove(`${this.datapath}/${tap}`);
  }

  /** Writes `name` (default nfdhcpd.conf) in the lab dir and returns its path. */
  async writeConfig(sections: IniSections, name = "nfdhcpd.conf"): Promise<string> {
    const path = `${this.dir}/${name}`;
    await Deno.writeTextFile(path, formatIni(sections));
    return path;
  }

  /** Runs `iptables ARGS` in the hypervisor namespace. */
  async iptables(args: readonly string[]): Promise<CommandResult> {
    return await run(["iptables", ...args], { ns: this.hv });
  }

  /** Runs `ip6tables ARGS` in the hypervisor namespace. */
  async ip6tables(args: readonly string[]): Promise<CommandResult> {
    return await run(["ip6tables", ...args], { ns: this.hv });
  }

  /** Adds the DHCPv4 NFQUEUE rule of REFERENCE.md: `-i tap+` when routed, `--physdev-in tap+` when bridged. */
  async addDhcp4Rule(queue = 42): Promise<void> {
    const rule = this.bridged
      ? ["-p", "udp", "-m", "physdev", "--physdev-in", "tap+", "--dport", "67"]
      : ["-i", "tap+", "-p", "udp", "--dport", "67"];
    await this.iptables(["-t", "mangle", "-A", "PREROUTING", ...rule, ...toQueue(queue)]);
  }

  /** Adds the IPv6 NFQUEUE rules of REFERENCE.md (RS, NS, DHCPv6) for the queues given. */
  async addIpv6Rules(
    queues: { rs?: number; ns?: number; dhcpv6?: number } = { rs: 43, ns: 44, dhcpv6: 45 },
  ): Promise<void> {
    const rules: [number | undefined, string[]][] = [
      [queues.rs, ["-p", "icmpv6", "--icmpv6-type", "router-solicitation"]],
      [queues.ns, ["-p", "icmpv6", "--icmpv6-type", "neighbour-solicitation"]],
      [queues.dhcpv6, ["-p", "udp", "--dport", "547"]],
    ];
    const head = ["-t", "mangle", "-A", "PREROUTING", "-i", "tap+"];
    for (const [queue, match] of rules) {
      if (queue !== undefined) await this.ip6tables([...head, ...match, ...toQueue(queue)]);
    }
  }

  /** Adds an address to a hypervisor-side interface (e.g. for a listener on an unbound tap). */
  async addHostAddress(dev: string, cidr: string): Promise<void> {
    await run(["ip", "-n", this.hv, "addr", "add", cidr, "dev", dev]);
  }

  /** What of this lab is still there: its namespaces and its temp dir (after dispose: nothing). */
  async leftovers(): Promise<string[]> {
    const namespaces = (await listNamespaces()).filter((ns) => ns.startsWith(`${this.prefix}-`));
    const dir = await Deno.stat(this.dir).then(() => [this.dir], () => []);
    return [...namespaces, ...dir];
  }

  /** Runs every cleanup (LIFO) once, even after earlier ones fail; throws one error listing the failures. */
  dispose(): Promise<void> {
    this.#disposed ??= this.#runCleanups();
    return this.#disposed;
  }

  async #runCleanups(): Promise<void> {
    const failures: string[] = [];
    for (const { what, fn } of this.#cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (failures.length > 0) {
      throw new Error(`Cannot clean up lab ${this.prefix}:\n${failures.join("\n")}`);
    }
  }

  /** Same as {@linkcode Lab.dispose}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/**
 * Runs `body` in a fresh lab, then disposes of it and checks that none of its namespaces or
 * files is left (that failure is reported when `body` itself passed).
 */
export async function withLab<T>(options: LabOptions, body: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await Lab.create(options);
  let result: T;
  try {
    result = await body(lab);
  } finally {
    await lab.dispose();
  }
  const left = await lab.leftovers();
  if (left.length > 0) throw new Error(`Lab ${lab.prefix} left behind: ${left.join(", ")}`);
  return result;
}
