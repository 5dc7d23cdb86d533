/** Which requests the firewall must queue, and to which NFQUEUE, as the configuration says. */
import type { Config } from "../config/types.ts";
import { service, type ServiceName, serviceQueues } from "../serve/services.ts";

/** The requests nfdhcpd answers, one NFQUEUE each: the services of src/serve/services.ts. */
export type RequestKind = ServiceName;

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

/** The IP version `kind` travels over. */
export function familyOf(kind: RequestKind): 4 | 6 {
  return service(kind).answers.ipVersion;
}

/**
 * The queue rules of the services the configuration enables: DHCPv4 when `enable_dhcp`, and the
 * IPv6 queues its mode uses when `enable_ipv6` (a service that is off gets no rule, so that its
 * requests reach the host as if nfdhcpd did not exist).
 */
export function planFirewall(config: Config, bridged: boolean): FirewallPlan {
  const rules = serviceQueues(config).map((q) => ({ kind: q.service.name, queue: q.queue }));
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
  return plan.rules.map((r) => `${service(r.kind).label} to ${r.queue}`).join(", ");
}
