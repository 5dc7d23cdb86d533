/** Unsolicited Neighbor Advertisements: the router's addresses announced to a VM that just arrived. */
import type { Binding } from "../bindings/binding.ts";
import { newIcmpv6Frame } from "../wire/icmpv6.ts";
import {
  ALL_NODES_ADDRESS,
  type AllocateFrame,
  multicastMac,
  ownFrame,
  sameIpv6,
} from "../wire/ipv6.ts";
import { emitNdMessage, ndMessageLength, type NeighbourAdvertisement } from "../wire/ndp.ts";
import type { InterfaceInfo } from "./decision.ts";
import { hostLinkLocal } from "./ipv6_binding.ts";

/**
 * The NAs (RFC 4861 section 7.2.6) that tell a VM where its router is now: one for the host's
 * link-local address (the RA's source, the VM's default router) and one for GATEWAY6 when the
 * binding has it, each to all nodes, from the target itself, with Router and Override set,
 * Solicited clear, and INDEV's MAC as target link-layer address. A VM that migrated from
 * another host still has the old host's MAC in its neighbour cache for these addresses, and
 * without them it would keep sending there until neighbour unreachability detection gives up
 * (tens of seconds); the Override flag makes it take the new MAC at once. Empty without
 * SUBNET6 (no IPv6 served). Like the RA, the frame goes to the binding's MAC (all nodes' MAC with
 * MACSPOOF, where the VM may use another).
 */
export function unsolicitedNeighbourAdverts(
  binding: Binding,
  indev: InterfaceInfo,
  allocate: AllocateFrame = ownFrame,
): Uint8Array[] {
  if (binding.subnet6 === null) return [];
  const hostLl = hostLinkLocal(indev);
  const targets = [hostLl];
  if (binding.gateway6 !== null && !sameIpv6(binding.gateway6, hostLl)) {
    targets.push(binding.gateway6);
  }
  const ethDst = binding.macspoof ? multicastMac(ALL_NODES_ADDRESS) : binding.mac;
  return targets.map((target) => {
    const na: NeighbourAdvertisement = {
      kind: "neighbourAdvertisement",
      router: true,
      solicited: false,
      override: true,
      target,
      options: [{ kind: "targetLinkLayer", address: indev.mac }],
    };
    return newIcmpv6Frame(
      { ethDst, ethSrc: indev.mac, src: target, dst: ALL_NODES_ADDRESS, hopLimit: 255 },
      ndMessageLength(na),
      (into, offset) => emitNdMessage(na, into, offset),
      allocate,
    );
  });
}
