/** Runs systemd-networkd in a VM namespace without systemd as PID 1, with its own configuration and state directories. */

import type { Lab, Vm } from "./netns.ts";
import type { Proc } from "./proc.ts";
import { requireCommands } from "./proc.ts";

/** Where Debian's systemd package installs the daemon. */
export const NETWORKD = "/lib/systemd/systemd-networkd";

/** A running networkd and where to read what it configured. */
export interface Networkd {
  readonly proc: Proc;
  /** Its /run/systemd: netif/links/<ifindex> holds each link's state (DNS=, NTP=...). */
  readonly runDir: string;
}

/**
 * Starts systemd-networkd in `vm`'s namespace with `files` (name → text) as its only .network
 * and .netdev files. It runs in mount and UTS namespaces of its own (`unshare -m -u`, private
 * propagation, so nothing it mounts reaches the host, and a host name a DHCPv6 client FQDN gives
 * it could only be set there): the lab's directories are bound over
 * /etc/systemd/network and /run/systemd, and /sys is made read-only there, which is how networkd
 * 252 tells that no udev will announce the links (without it every link stays "pending udev
 * initialization"). It needs no D-Bus and no systemd PID 1: what it cannot reach it logs and
 * skips. The lab stops it on dispose.
 */
export async function startNetworkd(
  lab: Lab,
  vm: Vm,
  files: Readonly<Record<string, string>>,
): Promise<Networkd> {
  requireCommands(["unshare", "mount", NETWORKD]);
  const base = await Deno.makeTempDir({ dir: lab.dir, prefix: `${vm.name}-networkd-` });
  const config = `${base}/network`;
  const runDir = `${base}/run`;
  await Deno.mkdir(config);
  await Deno.mkdir(runDir);
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${config}/${name}`, text);
  }
  const setup = [
    `mount --bind '${config}' /etc/systemd/network`,
    `mount --bind '${runDir}' /run/systemd`,
    "mount -o remount,bind,ro /sys",
    `exec ${NETWORKD}`,
  ].join(" && ");
  const proc = lab.spawn(
    [
      "env",
      "-i",
      "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
      "SYSTEMD_LOG_LEVEL=debug",
      "unshare",
      "-m",
      "-u",
    ]
      .concat(["--propagation", "private", "sh", "-c", setup]),
    vm.ns,
  );
  return { proc, runDir };
}

/** The `KEY=value` lines of networkd's state file for the link `ifindex` (empty before it writes one). */
export async function readLinkState(
  networkd: Networkd,
  ifindex: number,
): Promise<Record<string, string>> {
  const text = await Deno.readTextFile(`${networkd.runDir}/netif/links/${ifindex}`).catch(() => "");
  const state: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0 && !line.startsWith("#")) state[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return state;
}
