/** Integration harness: binding files and nfdhcpd.conf as the tests write them. */

/** A binding file's keys (see REFERENCE.md); values are written as given, in this order. */
export interface BindingSpec {
  readonly HOSTNAME?: string;
  readonly INSTANCE?: string;
  readonly INDEV?: string;
  readonly MAC?: string;
  readonly IP?: string;
  readonly SUBNET?: string;
  readonly GATEWAY?: string;
  readonly SUBNET6?: string;
  readonly GATEWAY6?: string;
  readonly EUI64?: string;
  readonly MTU?: string | number;
  readonly PRIVATE?: string;
  readonly MACSPOOF?: string;
  readonly TAGS?: string;
  readonly ROUTES?: string;
  readonly NAMESERVERS?: string;
  readonly NAMESERVERS6?: string;
  readonly DOMAIN?: string;
  readonly DOMAIN_SEARCH?: string;
  readonly NTP?: string;
  readonly IP6?: string;
  readonly PREFIX6?: string;
  readonly BOOT_URL6?: string;
  /** OPTION6_<n> and OPTION6_<n>! (the `!` is part of the key). */
  readonly [option: `OPTION6_${string}`]: string | undefined;
  readonly NEXT_SERVER?: string;
  readonly BOOT_FILE?: string;
  readonly LEASE?: string | number;
  /** `OPTION_252`, `OPTION_252!`: any DHCPv4 option. */
  readonly [option: `OPTION_${number}` | `OPTION_${number}!`]: string;
}

/** One INI value: booleans become yes/no, lists are comma-separated. */
export type IniValue = string | number | boolean | readonly string[];

/** An INI file as sections of keys. */
export type IniSections = Readonly<Record<string, Readonly<Record<string, IniValue>>>>;

/** Renders INI sections the way nfdhcpd.conf is written. */
export function formatIni(sections: IniSections): string {
  const lines: string[] = [];
  for (const [section, keys] of Object.entries(sections)) {
    lines.push(`[${section}]`);
    for (const [key, value] of Object.entries(keys)) {
      const text = typeof value === "boolean"
        ? (value ? "yes" : "no")
        : Array.isArray(value)
        ? value.join(", ")
        : String(value);
      lines.push(`${key} = ${text}`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

/** Renders a binding file (`KEY=VALUE` lines). */
export function formatBinding(binding: BindingSpec): string {
  return Object.entries(binding)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${value}\n`)
    .join("");
}
