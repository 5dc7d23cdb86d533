/** Bench addressing plan: MACs and IPs, only ever used inside the namespaces the bench creates. */

/** Client I's MAC is this plus I. */
export const CLIENT_MAC_BASE = "02:cb:00:00:00:00";
/** TAP I's (hypervisor side) MAC is this plus I. */
export const HV_MAC_BASE = "02:ab:00:00:00:00";
/** The bridge's MAC. */
export const BR_MAC = "02:ab:ff:ff:ff:fe";
/** The IPv4 network of every client, as dnsmasq's `dhcp-range` wants it. */
export const NET = "10.200.0.0";
/** Its netmask. */
export const MASK = "255.255.0.0";
/** The same network in CIDR form, as binding files want it. */
export const SUBNET = "10.200.0.0/16";
/** Server identifier and gateway (on `br0`). */
export const SERVER_IP = "10.200.0.1";
/** Client I's IPv4 address is this plus I (10.200.0.16), as a number. */
export const CLIENT_IP_BASE: number = 10 * 2 ** 24 + 200 * 2 ** 16 + 16;
/** IPv4 name server handed out. */
export const DNS4 = "10.200.0.2";
/** The IPv6 prefix of every client. */
export const SUBNET6 = "2001:db8:200::/64";
/** The same prefix without its length, as the load generator wants it. */
export const PREFIX6 = "2001:db8:200::";
/** IPv6 name server handed out. */
export const DNS6 = "2001:db8:200::53";

/** Two-digit hex of a byte. */
function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/** `base` plus `i`, carrying over the low four bytes. */
function macPlus(base: string, i: number): string {
  const b = base.split(":").map((x) => parseInt(x, 16));
  const low = ((b[2]! << 24) >>> 0) + (b[3]! << 16) + (b[4]! << 8) + b[5]! + i;
  return [b[0]!, b[1]!, (low >>> 24) & 255, (low >>> 16) & 255, (low >>> 8) & 255, low & 255]
    .map(hex2).join(":");
}

/** Dotted-quad form of an IPv4 address held as a number. */
export function ip4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Client I's MAC (interface `cI`). */
export const clientMac = (i: number): string => macPlus(CLIENT_MAC_BASE, i);
/** TAP I's MAC (interface `tapI`). */
export const tapMac = (i: number): string => macPlus(HV_MAC_BASE, i);
/** Client I's IPv4 address. */
export const clientIp = (i: number): string => ip4(CLIENT_IP_BASE + i);
