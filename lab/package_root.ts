/**
 * A throw-away view of this host for installing packages: a mount namespace (kept by a sleeping
 * process) where an overlay with a tmpfs upper layer covers /, entered by chroot. dpkg, adduser
 * and the maintainer scripts change only the tmpfs; the host's files and package database stay as
 * they were, and everything vanishes with the namespace.
 */

import { type CommandResult, Proc, run, type RunOptions } from "./proc.ts";

export class ThrowAwayRoot implements AsyncDisposable {
  readonly #holder: Proc;
  /** The host directory the namespace mounts its tmpfs on (empty on the host). */
  readonly #base: string;
  /** Where the merged view is, inside the namespace. */
  readonly merged: string;
  /** The overlay's upper layer: every file the installation wrote, inside the namespace. */
  readonly upper: string;

  private constructor(holder: Proc, base: string) {
    this.#holder = holder;
    this.#base = base;
    this.merged = `${base}/merged`;
    this.upper = `${base}/upper`;
  }

  /** Mounts the overlay in a new mount namespace, on `base` (a new host directory it creates). */
  static async create(base: string): Promise<ThrowAwayRoot> {
    await Deno.mkdir(base);
    const holder = new Proc(["unshare", "--mount", "--propagation", "private", "sleep", "3600"]);
    const root = new ThrowAwayRoot(holder, base);
    const m = root.merged;
    const setup = [
      `mount -t tmpfs -o mode=0755 nfdhcpd-pkg-test ${base}`,
      `mkdir ${base}/upper ${base}/work ${m}`,
      `mount -t overlay -o lowerdir=/,upperdir=${base}/upper,workdir=${base}/work overlay ${m}`,
      `mount -t proc proc ${m}/proc`,
      `mount --rbind /dev ${m}/dev`,
      `mount --rbind /sys ${m}/sys`,
      `mount -t tmpfs -o mode=0755 run ${m}/run`,
      `mount -t tmpfs -o mode=1777 tmp ${m}/tmp`,
    ].join(" && ");
    try {
      await root.#enter(["sh", "-ec", setup]);
    } catch (error) {
      await root.dispose();
      throw error;
    }
    return root;
  }

  /** The command prefix that runs a program in the namespace (not yet chrooted). */
  #nsenter(): string[] {
    return ["nsenter", `--target=${this.#holder.pid}`, "--mount", "--"];
  }

  #enter(cmd: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return run([...this.#nsenter(), ...cmd], options);
  }

  /** The argv that runs `cmd` inside the throw-away root (for a long-running process). */
  argv(cmd: readonly string[]): string[] {
    return [...this.#nsenter(), "chroot", this.merged, ...cmd];
  }

  /** Runs `cmd` inside the throw-away root (in network namespace `options.ns` when given). */
  exec(cmd: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return run(this.argv(cmd), options);
  }

  /** Runs `cmd` in the namespace outside the chroot (to look at the upper layer). */
  outside(cmd: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return this.#enter(cmd, options);
  }

  /** Ends the namespace (its mounts go with it) and removes the empty host directory. */
  async dispose(): Promise<void> {
    await this.#holder.stop(1000);
    await Deno.remove(this.#base, { recursive: true }).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
