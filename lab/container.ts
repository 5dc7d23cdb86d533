/**
 * A Debian bookworm booted with systemd as PID 1 in a container of its own (systemd-nspawn --boot
 * --private-network): the root file system is made once by mmdebstrap and cached as a tarball,
 * unpacked afresh for every container, and commands run inside it through nsenter. Its network
 * namespace is its own, so whatever it sends stays inside it.
 */

import { type CommandResult, Proc, run, type RunOptions, waitFor } from "./proc.ts";

/**
 * What the root file system holds besides Debian's required packages: systemd, the clients and
 * tools the tests run inside, and the package's dependencies (the container has no network to
 * fetch them; the package's own files come only from the .deb).
 */
export const ROOTFS_PACKAGES: readonly string[] = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "iproute2",
  "iptables",
  "udhcpc",
  "ndisc6",
  "libnetfilter-queue1",
  "adduser",
  "procps",
];

/** Where rootfs tarballs are kept between runs (NFDHCPD_TEST_CACHE overrides it). */
export const ROOTFS_CACHE: string = Deno.env.get("NFDHCPD_TEST_CACHE") ??
  "/var/cache/nfdhcpd-test";

const SUITE = "bookworm";
const MIRROR = Deno.env.get("NFDHCPD_TEST_MIRROR") ?? "http://deb.debian.org/debian";
/** PATH inside the container: its own programs, never the host's. */
const PATH = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The rootfs tarball for {@link ROOTFS_PACKAGES}, made by mmdebstrap (a minute or two, from the
 * Debian mirror) when the cache has none; named after a hash of the suite, mirror and package
 * list, so that changing any of them makes a new one. Written beside its name and renamed into
 * place: an interrupted run leaves no half tarball to be taken for a whole one. Older ones go.
 */
export async function rootfsTarball(): Promise<string> {
  const recipe = JSON.stringify([SUITE, MIRROR, ROOTFS_PACKAGES]);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(recipe));
  const key = [...new Uint8Array(digest).slice(0, 6)]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const path = `${ROOTFS_CACHE}/${SUITE}-${key}.tar`;
  if (await Deno.stat(path).then(() => true, () => false)) return path;
  await Deno.mkdir(ROOTFS_CACHE, { recursive: true });
  const partial = `${path}.${Deno.pid}.partial`;
  try {
    await run([
      "mmdebstrap",
      "--quiet",
      "--variant=apt",
      "--format=tar",
      `--include=${ROOTFS_PACKAGES.join(",")}`,
      SUITE,
      partial,
      MIRROR,
    ], { timeoutMs: 900_000 });
    await Deno.rename(partial, path);
    // Older tarballs (of another package list) are never used again.
    for await (const entry of Deno.readDir(ROOTFS_CACHE)) {
      const old = `${ROOTFS_CACHE}/${entry.name}`;
      if (old !== path && /^[a-z]+-[0-9a-f]{12}\.tar$/.test(entry.name)) await Deno.remove(old);
    }
  } finally {
    await Deno.remove(partial).catch(() => {});
  }
  return path;
}

/** The children of process `pid` (from /proc), empty when it has none or is gone. */
async function childrenOf(pid: number): Promise<number[]> {
  const text = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`).catch(() => "");
  return text.trim() === "" ? [] : text.trim().split(/\s+/).map(Number);
}

/** A booted container: its systemd, its journal, commands run inside it. */
export class Container implements AsyncDisposable {
  readonly #nspawn: Proc;
  /** The container's root directory, on the host. */
  readonly root: string;
  /** The container's PID 1 (its systemd), as the host sees it. */
  #init = 0;

  private constructor(nspawn: Proc, root: string) {
    this.#nspawn = nspawn;
    this.root = root;
  }

  /**
   * Unpacks `tarball` into a new directory and boots it: returns once systemd inside reports the
   * system up (running or degraded), within `timeoutMs`. On any failure the container is stopped
   * and its directory removed before the error is thrown.
   */
  static async boot(name: string, tarball: string, timeoutMs = 120_000): Promise<Container> {
    const root = await Deno.makeTempDir({ dir: "/var/tmp", prefix: `${name}-` });
    let container: Container | undefined;
    try {
      await run(["tar", "-xf", tarball, "-C", root], { timeoutMs: 300_000 });
      const nspawn = new Proc([
        "systemd-nspawn",
        "--quiet",
        "--boot",
        "--register=no",
        "--keep-unit",
        "--private-network",
        `--machine=${name}`,
        `--directory=${root}`,
      ]);
      container = new Container(nspawn, root);
      const deadline = Date.now() + timeoutMs;
      container.#init = await waitFor("the container's systemd to start", async () => {
        if (nspawn.status !== null) throw new Error(`systemd-nspawn exited:\n${nspawn.stderr}`);
        const [init] = await childrenOf(nspawn.pid);
        const comm = init === undefined
          ? ""
          : await Deno.readTextFile(`/proc/${init}/comm`).catch(() => "");
        if (comm.trim() !== "systemd") return undefined;
        // Its private socket, which systemctl uses before D-Bus is up, as seen through it.
        const socket = await Deno.stat(`/proc/${init}/root/run/systemd/private`).catch(() => null);
        return socket?.isSocket ? init : undefined;
      }, { timeoutMs, intervalMs: 100 });
      const state = await container.exec(["systemctl", "is-system-running", "--wait"], {
        allowFailure: true,
        timeoutMs: Math.max(deadline - Date.now(), 1000),
      });
      if (!/^(running|degraded)$/.test(state.stdout.trim())) {
        throw new Error(`The container did not boot: ${state.stdout}${state.stderr}`);
      }
      return container;
    } catch (error) {
      if (container) await container.dispose();
      else await Deno.remove(root, { recursive: true }).catch(() => {});
      throw error;
    }
  }

  /** The argv that runs `cmd` inside the container, with its PATH and an empty environment. */
  argv(cmd: readonly string[]): string[] {
    return [
      "nsenter",
      `--target=${this.#init}`,
      "--mount",
      "--uts",
      "--ipc",
      "--net",
      "--pid",
      "--cgroup",
      "--root",
      "--wd",
      "--",
      "env",
      "-i",
      PATH,
      "LANG=C.UTF-8",
      ...cmd,
    ];
  }

  /** Runs `cmd` inside the container (default limit 60 s). */
  exec(cmd: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return run(this.argv(cmd), { timeoutMs: 60_000, ...options });
  }

  /** Runs a shell script inside the container (`sh -ec`). */
  sh(script: string, options: RunOptions = {}): Promise<CommandResult> {
    return this.exec(["sh", "-ec", script], options);
  }

  /** Copies a host file to `path` inside the container (through its root directory). */
  async copyIn(hostPath: string, path: string): Promise<void> {
    await Deno.copyFile(hostPath, `${this.root}${path}`);
  }

  /** Writes `text` to `path` inside the container. */
  async write(path: string, text: string): Promise<void> {
    await Deno.writeTextFile(`${this.root}${path}`, text);
  }

  /** The container's whole journal (for a failure's report), or why it cannot be read. */
  async journal(): Promise<string> {
    const r = await this.exec(["journalctl", "--no-pager", "-b", "-o", "short-precise"], {
      allowFailure: true,
    }).catch((e) => ({ stdout: "", stderr: String(e) }));
    return `${r.stdout}${r.stderr}`;
  }

  /**
   * Stops the container: nspawn turns SIGTERM into an orderly poweroff; after 30 s it is killed,
   * and the PID namespace with it. Then its directory is removed.
   */
  async dispose(): Promise<void> {
    await this.#nspawn.stop(30_000);
    await Deno.remove(this.root, { recursive: true }).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
