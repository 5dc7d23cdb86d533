/** A binding's HOSTNAME made into a name DNS allows, for DHCPv4 option 12 and DHCPv6 uses. */

/** The longest DNS name in text form (RFC 1035 section 2.3.4) and the longest label. */
const MAX_NAME = 253;
const MAX_LABEL = 63;
/** A name {@link dnsHostName} leaves as it is (its length checked apart). */
const HOST_NAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * `name` as a DNS host name (RFC 1123 section 2.1: labels of letters, digits and inner hyphens,
 * separated by dots): every other character becomes `-`, hyphens at either end of a label go,
 * empty labels go, a label is cut at 63 bytes and the name at 253 (whole labels). Null when
 * nothing is left. The original sent HOSTNAME as it was written; a guest's resolver or DHCP
 * client may reject or mangle such a name, so ours sends a clean one and says so in the log.
 */
export function dnsHostName(name: string): string | null {
  // Most names already are one: nothing to take apart.
  if (name.length <= MAX_NAME && HOST_NAME.test(name)) return name;
  const labels: string[] = [];
  let length = -1;
  for (const raw of name.split(".")) {
    const label = raw.replace(/[^A-Za-z0-9-]/g, "-").replace(/^-+|-+$/g, "").slice(0, MAX_LABEL)
      .replace(/-+$/, "");
    if (label === "") continue;
    if (length + 1 + label.length > MAX_NAME) break;
    length += 1 + label.length;
    labels.push(label);
  }
  return labels.length > 0 ? labels.join(".") : null;
}
