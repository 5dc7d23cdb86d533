/** The Neighbor Advertisement responder: NS from a VM for its router's addresses → NA with INDEV's MAC. */
import type { Binding } from "../bindings/binding.ts";
import { formatIpv6, formatMac, ipv6InPrefix, sameMac } from "../address.ts";
import { newIcmpv6Frame } from "../wire/icmpv6.ts";
import {
  ALL_NODES_ADDRESS,
  type AllocateFrame,
  isMulticast,
  isUnspecified,
  macOfEui64,
  multicastMac,
  sameIpv6,
  solicitedNodeAddress,
} from "../wire/ipv6.ts";
import {
  emitNdMessage,
  ND_OPTION,
  ndMessageLength,
  type NeighbourAdvertisement,
} from "../wire/ndp.ts";
import { type Decision, type InterfaceInfo, type RefusalReason, refuse } from "./decision.ts";
import { hostLinkLocal, readNdRequest, vmAddresses } from "./ipv6_binding.ts";
import type { ReplyReport, RequestReport } from "./packet_report.ts";
import type { Responder } from "./responder.ts";
import { spoofedBy } from "./source_check.ts";

/**
 * NS → NA. Answered targets, as the original: the host's link-local and every address in
 * SUBNET6 (the host routes the whole prefix), with Router and Solicited set, Override clear,
 * and a target link-layer address option holding INDEV's MAC. The NA comes from the target
 * address itself, as its owner would send it, where the original sent it from the host's
 * link-local: ndisc6 ignores an NA for a global target from another address; kernels take both.
 *
 * Beyond the original: the VM's own addresses are never claimed (EUI64, and the SLAAC address
 * of its MAC, which it forms from an autonomous prefix even when EUI64 differs), and a DAD
 * probe (from `::`) is answered only for the router's own addresses (the host's link-local
 * and GATEWAY6), multicast to all nodes with Solicited clear (RFC 4861 section 7.2.4); any
 * other probe is the VM testing an address it wants (SLAAC, privacy, DHCPv6) and an answer
 * would make it give the address up. An NS without a source link-layer address option
 * (allowed for unicast probes) is answered at the binding's MAC, not ignored.
 *
 * Source checks (unless MACSPOOF): the frame's Ethernet source `hwSource` (when the queue
 * reports it) and the link-layer address option must be the binding's MAC, and the IPv6 source
 * must not be another VM's: `::` (DAD), the binding's EUI-64 link-local, its own addresses, or an
 * address whose identifier is not an EUI-64 one (stable-privacy and temporary addresses cannot
 * be told apart from the VM's own, and refusing them would cut such VMs off their router).
 *
 * Where INDEV is a bridge (INDEV is not the TAP), the VMs on it resolve each other: only the
 * router's addresses are answered with the bridge's MAC, and an NS for any other target is
 * passed on (`ignore`) for its owner to answer, once it passed the checks above. No setting
 * shapes an NA.
 */
export const neighbourSolicitationResponder: Responder = {
  answer: (packet, { binding, indev, hwSource, frames, report }) =>
    answerNeighbourSolicitation(
      packet,
      binding,
      indev,
      hwSource,
      (n) => frames.allocate(n),
      report,
    ),
};

/** Every NA we answer with: one option, the target link-layer address. */
const NA_WROTE: ReplyReport = Object.freeze({
  type: "NA",
  address: 0,
  options: Object.freeze([ND_OPTION.targetLinkLayer]),
});

function answerNeighbourSolicitation(
  packet: Uint8Array,
  binding: Binding,
  indev: InterfaceInfo,
  hwSource: Uint8Array | null,
  allocate: AllocateFrame,
  report: RequestReport,
): Decision {
  const request = readNdRequest(packet, "neighbourSolicitation");
  if ("kind" in request) return request;
  report.nd = request;
  const { ip, message: { target }, sourceMac } = request;
  const dad = isUnspecified(ip.src);
  const from = `${dad ? "DAD probe" : "NS"} for ${formatIpv6(target)} from ${
    formatIpv6(ip.src)
  } on ${binding.tap}`;
  const drop = (reason: RefusalReason, why: string) => refuse(reason, `${from}: ${why}`);
  if (isMulticast(target)) return drop("malformed", "multicast target");
  if (dad && !sameIpv6(ip.dst, solicitedNodeAddress(target))) {
    return drop("malformed", "sent from :: but not to the target's solicited-node group");
  }
  const spoofed = spoofedBy(binding, hwSource, sourceMac);
  if (spoofed !== null) return drop("spoofed-mac", spoofed);
  const foreign = foreignSource(binding, ip.src);
  if (foreign !== null) return drop("spoofed-address", foreign);
  const subnet = binding.subnet6;
  if (subnet === null) return drop("no-address", "the binding has no SUBNET6");
  const hostLl = hostLinkLocal(indev);
  const routers = binding.gateway6 === null ? [hostLl] : [hostLl, binding.gateway6];
  const isRouter = routers.some((a) => sameIpv6(a, target));
  if (!isRouter && binding.indev !== binding.tap) {
    return { kind: "ignore", why: `${from}: not the router's, left to its owner on ${indev.name}` };
  }
  if (vmAddresses(binding).some((own) => sameIpv6(target, own))) {
    return drop("not-ours", "the VM's own address, not answered");
  }
  if (dad && !isRouter) return drop("not-ours", "an address the VM may take, not answered");
  if (!isRouter && !ipv6InPrefix(target, subnet.prefix, subnet.prefixLength)) {
    return drop("not-ours", "neither the router's nor in SUBNET6");
  }
  const na: NeighbourAdvertisement = {
    kind: "neighbourAdvertisement",
    router: true,
    solicited: !dad,
    override: false,
    target,
    options: [{ kind: "targetLinkLayer", address: indev.mac }],
  };
  const frame = newIcmpv6Frame(
    {
      ethDst: dad ? multicastMac(ALL_NODES_ADDRESS) : sourceMac ?? binding.mac,
      ethSrc: indev.mac,
      // Sent from the target itself, as its owner would: some resolvers (ndisc6) insist on it.
      src: target,
      dst: dad ? ALL_NODES_ADDRESS : ip.src,
      hopLimit: 255,
    },
    ndMessageLength(na),
    (into, offset) => emitNdMessage(na, into, offset),
    allocate,
  );
  return { kind: "reply", frame, why: `${from}: NA with ${indev.name}'s MAC`, wrote: NA_WROTE };
}

/**
 * Why `src` is another VM's address, or null: an EUI-64 identifier made from another MAC than
 * the binding's, unless it is one of the binding's own addresses or the binding has MACSPOOF.
 */
function foreignSource(binding: Binding, src: Uint8Array): string | null {
  if (binding.macspoof || isUnspecified(src)) return null;
  const mac = macOfEui64(src);
  if (mac === null || sameMac(mac, binding.mac)) return null;
  // Only a source that looks like another VM's costs the list of the binding's own addresses.
  if (vmAddresses(binding).some((own) => sameIpv6(src, own))) return null;
  return `source address is ${formatMac(mac)}'s, not the binding's ${binding.macText}`;
}
