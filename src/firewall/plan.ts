/** Which requests the firewall must queue, and to which NFQUEUE, as the configuration says. */
import type { Config } from "../config/types.ts";

/** The requests nfdhcpd answers, one NFQUEUE each. */
export type RequestKind = "dhcp4" | "rs" | "ns" | "dhcp6";

/** One kind of request sent to one queue. */
export interface QueueRule {
  readonly kind: RequestKind;
  readonly queue: number;
}

/** The rules to generate: the queues in use, and whether bridged TAPs are served too. */
export interface FirewallPlan {
  readonly rules: readonly QueueRule[];
  /** Also queue DHCPv4 from TAPs in a bridge (iptables' physdev match; IPv6 is routed only). */
  readonly bridged: boolean;
}

/** The IP version each kind travels over. */
export const FAMILY_OF: Readonly<Record<RequestKind, 4 | 6>> = {
  dhcp4: 4,
  rs: 6,
  ns: 6,
  dhcp6: 6,
};

/** What each kind is called in comments. */
const NAME: Readonly<Record<RequestKind, string>> = {
  dhcp4: "DHCPv4",
  rs: "RS",
  ns: "NS",
  dhcp6: "DHCPv6",
};

/**
 * The queue rules of the services the configuration enables: DHCPv4 when `enable_dhcp`, and the
 * IPv6 queues its mode uses when `enable_ipv6` (a service that is off gets no rule, so that its
 * requests reach the host as if nfdhcpd did not exist).
 */
export function planFirewall(config: Config, bridged: boolean): FirewallPlan {
  const rules: QueueRule[] = [];
  if (config.dhcp.enable) rules.push({ kind: "dhcp4", queue: config.dhcp.queue });
  if (config.ipv6.enable) {
    const { rsQueue, nsQueue, dhcpv6Queue } = config.ipv6;
    if (rsQueue !== null) rules.push({ kind: "rs", queue: rsQueue });
    if (nsQueue !== null) rules.push({ kind: "ns", queue: nsQueue });
    if (dhcpv6Queue !== null) rules.push({ kind: "dhcp6", queue: dhcpv6Queue });
  }
  return { rules, bridged };
}

/** How the output was asked for, so that its comments show the commands that apply it. */
export interface RulesSource {
  /** `nfdhcpd rules` with the options that produced this output, less --format. */
  readonly command: string;
}

/** The plan in words (`DHCPv4 to 42, RS to 43`), for the first comment line of every format. */
export function describePlan(plan: FirewallPlan): string {
  if (plan.rules.length === 0) return "nothing (the configuration queues no request)";
  return plan.rules.map((r) => `${NAME[r.kind]} to ${r.queue}`).join(", ");
}
