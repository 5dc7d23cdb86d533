/** The typed, validated configuration the daemon runs with. */
import type { StaticRoute4 } from "../dhcp_values.ts";
import type { CustomOption4 } from "../dhcp4_custom_options.ts";
import type { CustomOption6 } from "../dhcp6_custom_options.ts";

/** IPv6 service modes: which of RA-only, RA+DHCPv6 or stateful DHCPv6 we offer. */
export type Ipv6Mode = "slaac" | "slaac+dhcpv6" | "dhcpv6";

export interface GeneralConfig {
  readonly pidfile: string;
  readonly datapath: string;
  readonly logdir: string;
  /** Unprivileged user to run as, or null to stay as started. */
  readonly user: string | null;
  /** The control socket's path (`nfdhcpd status`...), or null for none. */
  readonly controlSocket: string | null;
  /** Where to write the Prometheus metrics (node_exporter's textfile collector), or null. */
  readonly metricsFile: string | null;
  /** Seconds between two writes of the metrics file. */
  readonly metricsInterval: number;
}

export interface DhcpConfig {
  readonly enable: boolean;
  readonly leaseLifetime: number;
  readonly leaseRenewal: number;
  /** server_ip as an unsigned 32-bit number, or null. */
  readonly serverIp: number | null;
  readonly serverOnLink: boolean;
  readonly queue: number;
  /** IPv4 nameservers as unsigned 32-bit numbers. */
  readonly nameservers: readonly number[];
  readonly domain: string | null;
  // The keys below are optional so that hand-built configs (tests, tools) need not name them;
  // parseConfig sets each only when the file gives it.
  /** Classless static routes (options 121 and 249). */
  readonly routes?: readonly StaticRoute4[];
  /** Domain search list (option 119). */
  readonly domainSearch?: readonly string[];
  /** NTP servers (option 42). */
  readonly ntpServers?: readonly number[];
  /** IPv6-only preferred wait in seconds (option 108, RFC 8925); absent: not offered. */
  readonly ipv6OnlyPreferred?: number;
  /** next_server: siaddr of a network boot (and option 66); a binding's NEXT_SERVER replaces it. */
  readonly nextServer?: number;
  /** boot_file: the `file` field (and option 67); a binding's BOOT_FILE replaces it. */
  readonly bootFile?: string;
  /** lease_without_subnet: lease a binding with IP but no SUBNET (the original answered none). */
  readonly leaseWithoutSubnet?: boolean;
  /** option_<n> of [dhcp]: options for every VM, in code order. */
  readonly options?: readonly CustomOption4[];
  /** The `[host MAC]` sections' options, by lowercase MAC text. */
  readonly hosts?: ReadonlyMap<string, readonly CustomOption4[]>;
}

export interface Ipv6Config {
  readonly enable: boolean;
  /** The mode in force (`auto` already resolved from the configured queues). */
  readonly mode: Ipv6Mode;
  readonly raPeriod: number;
  readonly rsQueue: number | null;
  readonly nsQueue: number | null;
  readonly dhcpv6Queue: number | null;
  readonly nameservers: readonly Uint8Array[];
  /** Search domains; empty means "the hostname's domain". */
  readonly domains: readonly string[];
  // Optional, as in DhcpConfig: set only when the file gives them.
  /** The NAT64 prefix advertised in PREF64 (RFC 8781). */
  readonly nat64Prefix?: { readonly prefix: Uint8Array; readonly prefixLength: number };
  /** DHCPv6 address lifetime, seconds; absent: [dhcp] lease_lifetime. */
  readonly dhcpv6LeaseLifetime?: number;
  /** DHCPv6 T1, seconds; absent: [dhcp] lease_renewal. */
  readonly dhcpv6LeaseRenewal?: number;
  /** Boot file URL (DHCPv6 option 59, RFC 5970), sent when asked for; a binding's BOOT_URL6 replaces it. */
  readonly bootUrl?: string;
  /** NTP servers (DHCPv6 option 56, RFC 5908), sent when asked for. */
  readonly ntpServers?: readonly Uint8Array[];
  /** Information refresh time in replies to Information-request (option 32), seconds; absent: 86400. */
  readonly informationRefreshTime?: number;
  /** Preferred and valid lifetimes of delegated prefixes (IA_PD); absent: the address lifetime. */
  readonly prefixPreferredLifetime?: number;
  readonly prefixValidLifetime?: number;
  /** option6_<n> of [ipv6]: DHCPv6 options for every VM, in the file's order. */
  readonly options?: readonly CustomOption6[];
  /** The `[host MAC]` sections' option6_<n>, by lowercase MAC text. */
  readonly hosts?: ReadonlyMap<string, readonly CustomOption6[]>;
}

export interface Config {
  readonly general: GeneralConfig;
  readonly dhcp: DhcpConfig;
  readonly ipv6: Ipv6Config;
}
