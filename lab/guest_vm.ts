/**
 * A VM inside a booted container (lab/container.ts): a network namespace of its own behind a veth
 * whose host end is the TAP, its binding file, the shipped firewall rules, and the clients (udhcpc,
 * rdisc6) run in it. Every address involved lives in namespaces the container made.
 */

import type { Container } from "./container.ts";
import { type AdvertSeen, parseRdisc6 } from "./ipv6_clients.ts";
import { waitFor } from "./proc.ts";

/** The VM's identity and the binding the daemon serves it from. */
export interface GuestVm {
  readonly ns: string;
  readonly tap: string;
  readonly mac: string;
  readonly ip: string;
  readonly subnet: string;
  readonly gateway: string;
  readonly subnet6: string;
  readonly gateway6: string;
  readonly hostname: string;
}

/** The one VM the systemd tests serve. */
export const VM1: GuestVm = {
  ns: "vm1",
  tap: "tap0",
  mac: "52:54:00:12:34:01",
  ip: "10.7.0.10",
  subnet: "10.7.0.0/24",
  gateway: "10.7.0.1",
  subnet6: "2001:db8:7::/64",
  gateway6: "2001:db8:7::1",
  hostname: "vm1.example.org",
};

/**
 * Makes the VM's namespace and link (its side without DAD, so its link-local is usable at once),
 * and loads the package's shipped iptables and ip6tables rules, as the README's install says.
 */
export async function plugVm(container: Container, vm: GuestVm): Promise<void> {
  const inVm = `ip netns exec ${vm.ns}`;
  await container.sh([
    `ip netns add ${vm.ns}`,
    `ip link add ${vm.tap} type veth peer name eth0 netns ${vm.ns}`,
    `${inVm} sh -c 'echo 0 > /proc/sys/net/ipv6/conf/eth0/accept_dad'`,
    `${inVm} ip link set eth0 address ${vm.mac}`,
    `${inVm} ip link set lo up`,
    `${inVm} ip link set eth0 up`,
    `ip link set ${vm.tap} up`,
    "iptables-restore --noflush < /usr/share/nfdhcpd/firewall/nfdhcpd.rules.v4",
    "ip6tables-restore --noflush < /usr/share/nfdhcpd/firewall/nfdhcpd.rules.v6",
  ].join("\n"));
}

/** Writes the VM's binding file into `datapath` by rename, as the hooks do. */
export async function bindVm(container: Container, vm: GuestVm, datapath: string): Promise<void> {
  const text = [
    `HOSTNAME=${vm.hostname}`,
    `MAC=${vm.mac}`,
    `IP=${vm.ip}`,
    `SUBNET=${vm.subnet}`,
    `GATEWAY=${vm.gateway}`,
    `SUBNET6=${vm.subnet6}`,
    `GATEWAY6=${vm.gateway6}`,
    "",
  ].join("\n");
  await container.write(`${datapath}/.${vm.tap}.new`, text);
  await container.exec(["mv", `${datapath}/.${vm.tap}.new`, `${datapath}/${vm.tap}`]);
}

/** What udhcpc said of its lease, or null without one. */
export interface GuestLease {
  readonly address: string;
  readonly server: string;
  readonly leaseSeconds: number;
}

/** One udhcpc run in the VM (up to 4 DISCOVERs, 2 s apart), quitting once leased. */
export async function leaseUdhcpc(
  container: Container,
  vm: GuestVm,
): Promise<{ lease: GuestLease | null; output: string }> {
  const r = await container.exec(
    ["ip", "netns", "exec", vm.ns, "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "4", "-T", "2"]
      .concat(["-s", "/bin/true"]),
    { allowFailure: true, timeoutMs: 30_000 },
  );
  const output = `${r.stdout}${r.stderr}`;
  const m = /lease of (\S+) obtained from (\S+), lease time (\d+)/.exec(output);
  const lease = m ? { address: m[1]!, server: m[2]!, leaseSeconds: Number(m[3]) } : null;
  return { lease, output };
}

/** Runs udhcpc until it gets the VM's address (bounded: 90 s); returns that lease. */
export async function waitLease(container: Container, vm: GuestVm): Promise<GuestLease> {
  return await waitFor(`udhcpc to get ${vm.ns}'s lease`, async () => {
    const { lease } = await leaseUdhcpc(container, vm);
    return lease?.address === vm.ip ? lease : undefined;
  }, { timeoutMs: 90_000, intervalMs: 500 });
}

/** One rdisc6 run in the VM (3 solicitations, a second apart); the first RA it printed. */
export async function solicitRouter(
  container: Container,
  vm: GuestVm,
): Promise<{ advert: AdvertSeen | null; output: string }> {
  const r = await container.exec(
    ["ip", "netns", "exec", vm.ns, "rdisc6", "-1", "-r", "3", "-w", "1000", "eth0"],
    { allowFailure: true, timeoutMs: 20_000 },
  );
  return { advert: parseRdisc6(r.stdout), output: `${r.stdout}${r.stderr}` };
}
