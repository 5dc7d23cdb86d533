/** `nfdhcpd rules`: prints the firewall rules that send the configured requests to the queues. */
import { usageError } from "./usage_error.ts";
import { parseArgs } from "./args.ts";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../config/config.ts";
import { errorMessage } from "../error_message.ts";
import { fermRules } from "../firewall/ferm.ts";
import { iptablesRules } from "../firewall/iptables.ts";
import { nftLimitRules, nftRules } from "../firewall/nft.ts";
import { type FirewallPlan, planFirewall, type RulesSource } from "../firewall/plan.ts";

export const RULES_USAGE = `Usage: nfdhcpd rules [-c FILE] [--format FORMAT] [--bridged]

Prints the firewall rules that send the VMs' requests to the NFQUEUEs of the configuration
(dhcp_queue, rs_queue, ns_queue, dhcpv6_queue; only the services it enables). Starts nothing;
needs no privileges. Each output says in its comments how to load it; loading it again replaces
the rules rather than adding copies.

Options:
  -c, --config FILE   configuration file (default ${DEFAULT_CONFIG_PATH})
      --format FORMAT iptables   iptables-restore input (IPv4), in the mangle chain NFDHCPD
                      ip6tables  ip6tables-restore input (IPv6), likewise
                      ferm       a ferm file (IPv4 and IPv6)
                      nft        nftables: the queue table and the per-TAP rate limit
                      nft-limit  nftables: the per-TAP rate limit alone (beside iptables or ferm)
                      (default iptables)
      --bridged       also serve DHCPv4 to TAPs in a bridge (iptables' physdev match; not nft)
  -h, --help          show this help
`;

const FORMATS: Readonly<Record<string, (plan: FirewallPlan, source: RulesSource) => string>> = {
  iptables: (plan, source) => iptablesRules(plan, 4, source),
  ip6tables: (plan, source) => iptablesRules(plan, 6, source),
  ferm: fermRules,
  nft: nftRules,
  "nft-limit": nftLimitRules,
};

/** Parses the arguments, reads the configuration and prints the rules; returns the exit code. */
export async function rulesCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c" },
        format: { type: "string", default: "iptables" },
        bridged: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: false,
    });
  } catch (e) {
    return usageError("nfdhcpd rules", errorMessage(e), RULES_USAGE);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(RULES_USAGE);
    return 0;
  }
  const generate = Object.hasOwn(FORMATS, values.format) ? FORMATS[values.format] : undefined;
  if (generate === undefined) {
    return usageError(
      "nfdhcpd rules",
      `unknown format: ${JSON.stringify(values.format)}`,
      RULES_USAGE,
    );
  }
  if (values.format === "nft" && values.bridged) {
    return usageError(
      "nfdhcpd rules",
      "nftables cannot match the bridge port of a bridged packet (iptables' physdev): use " +
        "--format iptables or ferm with --bridged, and --format nft-limit --bridged for the limit",
      RULES_USAGE,
    );
  }
  const configPath = values.config ?? DEFAULT_CONFIG_PATH;
  const loaded = await loadConfig(configPath);
  if (!loaded.ok) {
    for (const error of loaded.errors) console.error(error);
    return 1;
  }
  for (const warning of loaded.warnings) console.error(`warning: ${warning}`);
  const command = ["nfdhcpd rules", ...(values.config === undefined ? [] : ["-c", configPath])];
  const plan = planFirewall(loaded.config, values.bridged);
  console.log(generate(plan, { command: command.join(" ") }).trimEnd());
  return 0;
}
