/** Starts and stops the nfdhcpd daemon inside a lab's hypervisor namespace, capturing its stderr. */

import type { IniSections, IniValue } from "./lab_files.ts";
import type { Lab } from "./netns.ts";
import { denoExecutable, Proc, REPO_ROOT, waitFor } from "./proc.ts";

/** The bundled daemon the integration tests run (built by `make bundle`). */
export const BUNDLE_PATH = `${REPO_ROOT}/bin/nfdhcpd.js`;

/**
 * The command that starts the daemon, without its flags: env `NFDHCPD_CMD` split on spaces when set,
 * else `deno run -A <repo>/bin/nfdhcpd.js`; throws a clear error when the bundle is missing.
 */
export function daemonCommand(): string[] {
  const fromEnv = Deno.env.get("NFDHCPD_CMD")?.trim();
  if (fromEnv) return fromEnv.split(/\s+/);
  try {
    Deno.statSync(BUNDLE_PATH);
  } catch {
    throw new Error(`Cannot start nfdhcpd: ${BUNDLE_PATH} is missing (run \`make bundle\` first)`);
  }
  return [denoExecutable(), "run", "-A", BUNDLE_PATH];
}

/** What {@linkcode daemonConfig} puts in a lab's nfdhcpd.conf. */
export interface DaemonConfigOptions {
  /** `[dhcp] server_ip`. */
  readonly serverIp: string;
  /** `[dhcp] nameservers`. */
  readonly nameservers: readonly string[];
  /** `[dhcp] domain`. */
  readonly domain: string;
  /** `[dhcp] dhcp_queue` (default 42). */
  readonly dhcpQueue?: number;
  /** The `[ipv6]` section (default `enable_ipv6 = no`). */
  readonly ipv6?: Readonly<Record<string, IniValue>>;
}

/** The config for a daemon serving `lab`: its datapath, pid and log files in the lab dir, DHCPv4 on. */
export function daemonConfig(lab: Lab, options: DaemonConfigOptions): IniSections {
  return {
    general: {
      datapath: lab.datapath,
      pidfile: `${lab.dir}/nfdhcpd.pid`,
      logdir: lab.dir,
      // Each lab's own: parallel test daemons must not share /run/nfdhcpd/control.sock.
      control_socket: `${lab.dir}/control.sock`,
    },
    dhcp: {
      enable_dhcp: true,
      server_ip: options.serverIp,
      dhcp_queue: options.dhcpQueue ?? 42,
      nameservers: options.nameservers,
      domain: options.domain,
    },
    ipv6: options.ipv6 ?? { enable_ipv6: false },
  };
}

/** Options for {@linkcode Daemon.start}. */
export interface DaemonOptions {
  /** Path of the config file (`-c`). */
  readonly config: string;
  /** Namespace to run in (default: the lab's hypervisor namespace). */
  readonly ns?: string;
  /** How long to wait for the `ready` line (default 20 s). */
  readonly readyTimeoutMs?: number;
  /** Echo the daemon's stderr to ours as it comes (default: when env NFDHCPD_TEST_VERBOSE is set). */
  readonly echo?: boolean;
  /** Log every packet decision (`-d`; default true). */
  readonly debug?: boolean;
}

/** A running nfdhcpd: `-f [-d] -c CONFIG` in the hypervisor namespace, its stderr collected. */
export class Daemon implements AsyncDisposable {
  readonly #proc: Proc;
  #stopped: Promise<Deno.CommandStatus> | null = null;

  private constructor(proc: Proc) {
    this.#proc = proc;
  }

  /** Starts the daemon and waits (bounded) for `ready` on its stderr; the lab stops it on dispose. */
  static async start(lab: Lab, options: DaemonOptions): Promise<Daemon> {
    const echo = options.echo ?? Deno.env.get("NFDHCPD_TEST_VERBOSE") !== undefined;
    const debug = options.debug ?? true ? ["-d"] : [];
    const cmd = [...daemonCommand(), "-f", ...debug, "-c", options.config];
    const proc = lab.spawn(
      cmd,
      options.ns ?? lab.hv,
      echo ? (t) => Deno.stderr.writeSync(new TextEncoder().encode(t)) : undefined,
    );
    const daemon = new Daemon(proc);
    lab.defer("stop nfdhcpd", async () => {
      await daemon.stop();
    });
    const timeoutMs = options.readyTimeoutMs ?? 20_000;
    try {
      await waitFor("nfdhcpd to print `ready`", () => {
        if (/\bready\b/i.test(proc.stderr)) return true;
        if (proc.status !== null) {
          throw new Error(`nfdhcpd exited with code ${proc.status.code} before it was ready`);
        }
        return false;
      }, { timeoutMs });
    } catch (error) {
      await daemon.stop();
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${reason}\ncommand: ${proc.argv.join(" ")}\nnfdhcpd stderr:\n${proc.stderr}`,
      );
    }
    return daemon;
  }

  /** The daemon's process id (the same after it re-executes itself). */
  get pid(): number {
    return this.#proc.pid;
  }

  /** Everything the daemon wrote to stderr so far (its log). */
  get log(): string {
    return this.#proc.stderr;
  }

  /** The exit status, or null while it runs. */
  get status(): Deno.CommandStatus | null {
    return this.#proc.status;
  }

  /** Sends a signal (e.g. SIGUSR1 to log its client table). */
  signal(signal: Deno.Signal): void {
    this.#proc.kill(signal);
  }

  /** Waits (bounded) until the log, from character `since` on, matches `pattern`; returns the matching text. */
  async waitForLog(pattern: RegExp, timeoutMs: number, since = 0): Promise<string> {
    return await waitFor(`nfdhcpd to log ${pattern}`, () => {
      const match = pattern.exec(this.log.slice(since));
      return match?.[0] ?? null;
    }, { timeoutMs });
  }

  /** SIGTERM, wait up to `graceMs` (then SIGKILL); resolves with the exit status. Idempotent. */
  stop(graceMs = 5000): Promise<Deno.CommandStatus> {
    this.#stopped ??= this.#proc.stop(graceMs);
    return this.#stopped;
  }

  /** Same as {@linkcode Daemon.stop}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
