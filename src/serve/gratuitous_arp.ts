/** The gratuitous ARP that tells a VM that just arrived where its IPv4 router is now. */
import type { Binding } from "../bindings/binding.ts";
import type { DhcpConfig } from "../config/types.ts";
import { ARP_LENGTH, ARP_OPERATION, emitArp, ETHERTYPE_ARP } from "../wire/arp.ts";
import { BROADCAST_MAC, emitEthernetHeader, ETHERNET_HEADER_LENGTH } from "../wire/ethernet.ts";
import type { InterfaceInfo } from "./decision.ts";
import { serverAddress } from "./dhcp4_binding_options.ts";

const ZERO_MAC = new Uint8Array(6);

/**
 * The router address a VM talks to over IPv4: its GATEWAY (unless PRIVATE, which gets no router),
 * else the server address its lease names (`serverAddress`); null when it has neither, or no IP
 * at all (nothing of IPv4 is served to it).
 */
export function routerAddressOf(binding: Binding, config: DhcpConfig): number | null {
  if (binding.ip === null) return null;
  if (binding.gateway !== null && !binding.private) return binding.gateway;
  return serverAddress(binding, config);
}

/**
 * An ARP announcement (RFC 5227 section 2.3: a request whose sender and target address are both
 * the router's) from the router's address at INDEV's MAC: the MAC every reply of ours comes from
 * and the unsolicited NAs name, the TAP's own when it is routed. A VM that migrated from another
 * host still has the old host's MAC for its gateway; Linux replaces a neighbour entry on such an
 * ARP at once (it is a gratuitous one, so the lock time does not hold it back), where it would
 * otherwise keep sending to the old MAC until the entry times out. Sent at the binding's MAC, as
 * the RA and NAs are (broadcast with MACSPOOF, where the VM may use another); null when there is
 * no router address (see `routerAddressOf`).
 */
export function gratuitousArp(
  binding: Binding,
  config: DhcpConfig,
  indev: InterfaceInfo,
): Uint8Array | null {
  const router = routerAddressOf(binding, config);
  if (router === null) return null;
  const frame = new Uint8Array(ETHERNET_HEADER_LENGTH + ARP_LENGTH);
  const dst = binding.macspoof ? BROADCAST_MAC : binding.mac;
  emitEthernetHeader({ dst, src: indev.mac, etherType: ETHERTYPE_ARP }, frame);
  emitArp(
    {
      operation: ARP_OPERATION.request,
      senderMac: indev.mac,
      senderIp: router,
      targetMac: ZERO_MAC,
      targetIp: router,
    },
    frame,
    ETHERNET_HEADER_LENGTH,
  );
  return frame;
}
