/** nfdhcpd.conf's DHCPv4 keys of network boot, custom options (option_<n>) and leases without SUBNET. */
import { parseIpv4 } from "../address.ts";
import {
  bootFileProblem,
  type CustomOption4,
  parseOptionKey,
  parseOptionValue,
} from "../dhcp4_custom_options.ts";
import type { SectionReader } from "./section_reader.ts";
import type { DhcpConfig } from "./types.ts";

/** The key prefix of the options an operator gives in nfdhcpd.conf. */
const OPTION_PREFIX = "option_";

type Extras = Pick<
  DhcpConfig,
  "nextServer" | "bootFile" | "leaseWithoutSubnet" | "options"
>;

/** [dhcp] next_server, boot_file, lease_without_subnet and option_<n>, each only when given. */
export function readDhcp4Extras(r: SectionReader): Extras {
  const out: { -readonly [K in keyof Extras]: Extras[K] } = {};
  const next = r.optional("next_server");
  if (next !== null) {
    const address = parseIpv4(next);
    if (address === null) r.error("next_server", `not an IPv4 address: ${JSON.stringify(next)}`);
    else out.nextServer = address;
  }
  const boot = r.optional("boot_file");
  if (boot !== null) {
    const problem = bootFileProblem(boot);
    if (problem !== null) r.error("boot_file", problem);
    else out.bootFile = boot;
  }
  if (r.boolean("lease_without_subnet", false)) out.leaseWithoutSubnet = true;
  const options = readOptionKeys(r);
  if (options.length > 0) out.options = options;
  return out;
}

/** Every `option_<n>` and `option_<n>!` key of the section, by code; bad ones are errors. */
export function readOptionKeys(r: SectionReader): CustomOption4[] {
  return r.options(OPTION_PREFIX, parseOptionKey, parseOptionValue)
    .map(({ code, bytes, always }) => ({ code, value: bytes, always }))
    .sort((a, b) => a.code - b.code);
}
