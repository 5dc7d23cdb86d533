/** Integration harness: namespaces, TAP-named veths, binding files, config, iptables rules, tracked processes. */

/** What a finished command printed and how it ended. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@linkcode run}. */
export interface RunOptions {
  /** Run inside this network namespace (`ip netns exec NS ...`). */
  readonly ns?: string;
  /** Return a non-zero exit instead of throwing. */
  readonly allowFailure?: boolean;
  /** Kill the command after this long (default 20 s). */
  readonly timeoutMs?: number;
}

/** The repository root (the directory holding deno.json). */
export const REPO_ROOT: string = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** Prefixes of namespace names the harness creates; names look like `<prefix>-<pid>-<rand>-<role>`. */
export const NAMESPACE_PREFIXES: readonly string[] = ["nfdt", "nfdemo"];

/** Prefixes `cmd` with `ip netns exec NS` when `ns` is given. */
export function inNamespace(ns: string | undefined, cmd: readonly string[]): string[] {
  return ns === undefined ? [...cmd] : ["ip", "netns", "exec", ns, ...cmd];
}

/** Runs a command to completion, bounded in time; throws (with its output) on a non-zero exit. */
export async function run(
  cmd: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  const argv = inNamespace(options.ns, cmd);
  const [program, ...args] = argv;
  if (program === undefined) throw new Error("Cannot run a command: it is empty");
  const timeoutMs = options.timeoutMs ?? 20_000;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const child = new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
    }).spawn();
    const out = await child.output();
    const decoder = new TextDecoder();
    const result = {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
    if (abort.signal.aborted) {
      throw new Error(
        `Command timed out after ${timeoutMs} ms: ${argv.join(" ")}\n${result.stderr}`,
      );
    }
    if (result.code !== 0 && !options.allowFailure) {
      throw new Error(
        `Command failed with exit code ${result.code}: ${
          argv.join(" ")
        }\n${result.stderr}${result.stdout}`,
      );
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs an `ip -j` style command and returns its parsed JSON (an empty output is an empty array). */
export async function runJson(cmd: readonly string[], options: RunOptions = {}): Promise<unknown> {
  const { stdout } = await run(cmd, options);
  return stdout.trim() === "" ? [] : JSON.parse(stdout);
}

/** Resolves after `ms` milliseconds; only {@linkcode waitFor} uses it, as its poll interval. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Options for {@linkcode waitFor}. */
export interface WaitOptions {
  readonly timeoutMs: number;
  /** Poll interval (default 50 ms). */
  readonly intervalMs?: number;
}

/**
 * Polls `probe` until it returns something other than `undefined`, `null` or `false`, and returns that;
 * throws `Timed out after N ms waiting for <what>` at the deadline.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${options.timeoutMs} ms waiting for ${what}`);
    }
    await delay(Math.min(options.intervalMs ?? 50, Math.max(1, deadline - Date.now())));
  }
}

/** Finds `name` on PATH (or returns it when it is already a path to an executable file). */
export function findExecutable(name: string): string | null {
  const candidates = name.includes("/")
    ? [name]
    : (Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")
      .concat(["/usr/sbin", "/sbin"])
      .map((dir) => `${dir}/${name}`);
  for (const path of candidates) {
    try {
      const info = Deno.statSync(path);
      if (info.isFile && info.mode !== null && (info.mode & 0o111) !== 0) return path;
    } catch {
      // not here; try the next directory
    }
  }
  return null;
}

/** Throws a clear error unless running as root: the harness needs namespaces and iptables. */
export function requireRoot(): void {
  const uid = Deno.uid();
  if (uid !== 0) {
    throw new Error(
      `Integration harness needs root (uid is ${uid}): it creates network namespaces and iptables rules`,
    );
  }
}

/** Throws a clear error naming every command of `names` that is not installed. */
export function requireCommands(names: readonly string[]): void {
  const missing = names.filter((name) => findExecutable(name) === null);
  if (missing.length > 0) {
    throw new Error(
      `Integration harness needs these commands, which are not installed: ${missing.join(", ")}` +
        " (see the Makefile's package list)",
    );
  }
}

/** The deno binary for child processes: `deno` on PATH, else the repo's `.tools` copy, else this one. */
export function denoExecutable(): string {
  return findExecutable("deno") ??
    findExecutable(`${REPO_ROOT}/.tools/node_modules/.bin/deno`) ??
    Deno.execPath();
}

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

/** A long-running child process whose output is collected as it comes; stopped with {@linkcode Proc.stop}. */
export class Proc implements AsyncDisposable {
  readonly argv: readonly string[];
  readonly pid: number;
  readonly #child: Deno.ChildProcess;
  readonly #readers: Promise<void>[];
  #stdout = "";
  #stderr = "";
  #status: Deno.CommandStatus | null = null;
  readonly #statusPromise: Promise<Deno.CommandStatus>;
  readonly #echo: ((text: string) => void) | undefined;

  /** Spawns `cmd` (inside `ns` when given); `echo` sees stderr text as it arrives. */
  constructor(cmd: readonly string[], ns?: string, echo?: (text: string) => void) {
    this.argv = inNamespace(ns, cmd);
    const [program, ...args] = this.argv;
    if (program === undefined) throw new Error("Cannot spawn a command: it is empty");
    this.#echo = echo;
    this.#child = new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid;
    this.#readers = [
      this.#collect(this.#child.stdout, (t) => this.#stdout += t),
      this.#collect(this.#child.stderr, (t) => {
        this.#stderr += t;
        this.#echo?.(t);
      }),
    ];
    this.#statusPromise = this.#child.status.then((status) => this.#status = status);
  }

  async #collect(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) sink(text);
  }

  /** Everything written to stdout so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** Everything written to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** The exit status, or null while running. */
  get status(): Deno.CommandStatus | null {
    return this.#status;
  }

  /** Sends a signal; does nothing once the process has exited. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#status !== null) return;
    try {
      this.#child.kill(signal);
    } catch {
      // exited between the check and the kill
    }
  }

  /** Resolves with `promise`'s value, or with null after `timeoutMs`. */
  async #within<T>(promise: Promise<T>, timeoutMs: number): Promise<T | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) =>
      timer = setTimeout(() => resolve(null), timeoutMs)
    );
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Waits (bounded) for the process to exit on its own and its output to be read; null if it still
   * runs at the deadline. A child it left holding the pipes does not hold us up past the deadline.
   */
  async waitExit(timeoutMs: number): Promise<Deno.CommandStatus | null> {
    const deadline = Date.now() + timeoutMs;
    const status = await this.#within(this.#statusPromise, timeoutMs);
    if (status !== null) {
      await this.#within(Promise.all(this.#readers), Math.max(deadline - Date.now(), 500));
    }
    return status;
  }

  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves with the exit status once output is drained. */
  async stop(graceMs = 3000, signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    this.kill(signal);
    const status = await this.waitExit(graceMs);
    if (status !== null) return status;
    this.kill("SIGKILL");
    const killed = await this.#statusPromise;
    await this.#within(Promise.all(this.#readers), 1000);
    return killed;
  }

  /** Stops the process (see {@linkcode Proc.stop}). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
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

/** A binding file's keys (see REFERENCE.md); values are written as given, in this order. */
export interface BindingSpec {
  readonly HOSTNAME?: string;
  readonly INSTANCE?: string;
  readonly INDEV?: string;
  readonly MAC?: string;
  readonly IP?: string;
  readonly SUBNET?: string;
  readonly GATEWAY?: string;
  readonly SUBNET6?: string;
  readonly GATEWAY6?: string;
  readonly EUI64?: string;
  readonly MTU?: string | number;
  readonly PRIVATE?: string;
  readonly MACSPOOF?: string;
  readonly TAGS?: string;
}

/** One INI value: booleans become yes/no, lists are comma-separated. */
export type IniValue = string | number | boolean | readonly string[];

/** An INI file as sections of keys. */
export type IniSections = Readonly<Record<string, Readonly<Record<string, IniValue>>>>;

/** Renders INI sections the way nfdhcpd.conf is written. */
export function formatIni(sections: IniSections): string {
  const lines: string[] = [];
  for (const [section, keys] of Object.entries(sections)) {
    lines.push(`[${section}]`);
    for (const [key, value] of Object.entries(keys)) {
      const text = typeof value === "boolean"
        ? (value ? "yes" : "no")
        : Array.isArray(value)
        ? value.join(", ")
        : String(value);
      lines.push(`${key} = ${text}`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

/** Renders a binding file (`KEY=VALUE` lines). */
export function formatBinding(binding: BindingSpec): string {
  return Object.entries(binding)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${value}\n`)
    .join("");
}

/** Two-digit hex of `n` (0..255). */
function hexByte(n: number): string {
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
    await run([
      "ip",
      "-n",
      this.hv,
      "link",
      "add",
      "br0",
      "address",
      "fe:ff:ff:ff:ff:00",
      "type",
      "bridge",
    ]);
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
    const match = this.bridged ? ["-m", "physdev", "--physdev-in", "tap+"] : ["-i", "tap+"];
    const rule = this.bridged
      ? ["-p", "udp", ...match, "--dport", "67"]
      : [...match, "-p", "udp", "--dport", "67"];
    await this.iptables([
      "-t",
      "mangle",
      "-A",
      "PREROUTING",
      ...rule,
      "-j",
      "NFQUEUE",
      "--queue-num",
      `${queue}`,
    ]);
  }

  /** Adds the IPv6 NFQUEUE rules of REFERENCE.md (RS, NS, DHCPv6) for the queues given. */
  async addIpv6Rules(
    queues: { rs?: number; ns?: number; dhcpv6?: number } = { rs: 43, ns: 44, dhcpv6: 45 },
  ): Promise<void> {
    const head = ["-t", "mangle", "-A", "PREROUTING", "-i", "tap+"];
    const icmp = (type: string, queue: number) =>
      this.ip6tables([
        ...head,
        "-p",
        "icmpv6",
        "--icmpv6-type",
        type,
        "-j",
        "NFQUEUE",
        "--queue-num",
        `${queue}`,
      ]);
    if (queues.rs !== undefined) await icmp("router-solicitation", queues.rs);
    if (queues.ns !== undefined) await icmp("neighbour-solicitation", queues.ns);
    if (queues.dhcpv6 !== undefined) {
      await this.ip6tables([
        ...head,
        "-p",
        "udp",
        "--dport",
        "547",
        "-j",
        "NFQUEUE",
        "--queue-num",
        `${queues.dhcpv6}`,
      ]);
    }
  }

  /** Adds an address to a hypervisor-side interface (e.g. for a listener on an unbound tap). */
  async addHostAddress(dev: string, cidr: string): Promise<void> {
    await run(["ip", "-n", this.hv, "addr", "add", cidr, "dev", dev]);
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

/** The fields of a DHCPv4 message a listener test looks at. */
export interface DhcpSummary {
  readonly op: number;
  readonly xid: number;
  readonly chaddr: string;
  /** Option 53 (1 DISCOVER, 3 REQUEST, ...), or null when absent. */
  readonly messageType: number | null;
}

/** Reads op, xid, chaddr and the message type from a BOOTP/DHCP payload; null if it is not one. */
export function summarizeDhcp(payload: Uint8Array): DhcpSummary | null {
  if (payload.length < 240) return null;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (view.getUint32(236) !== 0x63825363) return null;
  const hlen = Math.min(payload[2] ?? 0, 16);
  const chaddr = [...payload.subarray(28, 28 + hlen)].map(hexByte).join(":");
  let messageType: number | null = null;
  for (let i = 240; i < payload.length;) {
    const code = payload[i] ?? 255;
    if (code === 255) break;
    if (code === 0) {
      i++;
      continue;
    }
    const len = payload[i + 1] ?? 0;
    if (code === 53 && len >= 1) messageType = payload[i + 2] ?? null;
    i += 2 + len;
  }
  return { op: payload[0] ?? 0, xid: view.getUint32(4), chaddr, messageType };
}

/** One datagram seen by a {@linkcode UdpListener}. */
export interface Datagram {
  readonly from: string;
  readonly payload: Uint8Array;
}

/** The listener's program for `deno eval`: prints `listening`, then one JSON line per datagram. */
const listenerSource = (port: number) => `
const port = ${port};
const socket = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port });
console.log("listening");
for await (const [data, addr] of socket) {
  console.log(JSON.stringify({ from: addr.hostname + ":" + addr.port, hex: Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("") }));
}
`;

/** A real UDP listener on 0.0.0.0:`port` inside a namespace: proves a request passed the NFQUEUE rule. */
export class UdpListener implements AsyncDisposable {
  readonly #proc: Proc;

  private constructor(proc: Proc) {
    this.#proc = proc;
  }

  /** Starts the listener in `ns` (tracked by `lab`) and waits (bounded) until its socket is bound. */
  static async start(lab: Lab, ns: string, port: number, timeoutMs = 10_000): Promise<UdpListener> {
    const proc = lab.spawn([denoExecutable(), "eval", "--unstable-net", listenerSource(port)], ns);
    await waitFor(`the UDP listener on port ${port} in ${ns}`, () => {
      if (proc.status !== null) {
        throw new Error(`UDP listener exited with code ${proc.status.code}: ${proc.stderr}`);
      }
      return proc.stdout.includes("listening");
    }, { timeoutMs });
    return new UdpListener(proc);
  }

  /** Datagrams received so far. */
  get datagrams(): Datagram[] {
    return this.#proc.stdout.split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => {
        const { from, hex } = JSON.parse(line) as { from: string; hex: string };
        const payload = new Uint8Array((hex.match(/../g) ?? []).map((pair) => parseInt(pair, 16)));
        return { from, payload };
      });
  }

  /** Waits (bounded) for a datagram matching `predicate`. */
  async waitFor(
    what: string,
    predicate: (d: Datagram) => boolean,
    timeoutMs: number,
  ): Promise<Datagram> {
    return await waitFor(what, () => this.datagrams.find(predicate), { timeoutMs });
  }

  /** Stops the listener. */
  async stop(): Promise<void> {
    await this.#proc.stop(1000);
  }

  /** Same as {@linkcode UdpListener.stop}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
