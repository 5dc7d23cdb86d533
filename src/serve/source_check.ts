/** The source check every responder makes: the MACs a request carries must be its binding's. */
import type { Binding } from "../bindings/binding.ts";
import { formatMac, sameMac } from "../address.ts";

/**
 * Why a request whose sender shows `macs` is a spoofing attempt, or null when it is not: MACSPOOF
 * is set, or every MAC known is the binding's. Each protocol passes what it has: the frame's
 * Ethernet source (null when the queue gave none) and what the packet carries (chaddr, a
 * link-layer address option), null where it carries none. A DHCPv6 DUID is no source: it names
 * the client, not the link (RFC 8415 section 11).
 */
export function spoofedBy(binding: Binding, ...macs: (Uint8Array | null)[]): string | null {
  if (binding.macspoof) return null;
  for (const mac of macs) {
    if (mac !== null && !sameMac(mac, binding.mac)) {
      return `spoofed MAC ${formatMac(mac)}, the binding's MAC is ${binding.macText}`;
    }
  }
  return null;
}
