/** Shared setup of the DHCPv6 responder tests: captured requests, the expected options, reply decoding. */
import assert from "node:assert/strict";
import type { Ipv6Config } from "../../src/config/types.ts";
import { serverDuid } from "../../src/serve/dhcp6.ts";
import { formatIpv6 } from "../../src/address.ts";
import { type Dhcp6Message, parseDhcp6 } from "../../src/wire/dhcp6.ts";
import { type Dhcp6Option, findDhcp6Option } from "../../src/wire/dhcp6_options.ts";
import { parseIpv6Packet } from "../../src/wire/ipv6.ts";
import { parseUdp } from "../../src/wire/udp.ts";
import {
  BINDING,
  CONFIG,
  decodeDhcp6Frame,
  GUEST_LL,
  GUEST_SLAAC,
  hex,
  HOST_LL,
  INDEV,
  packet,
  v6,
} from "./ipv6_setup.ts";
import { answerDhcp6, DEFAULT_DHCP6_LIFETIMES, type Dhcp6Lifetimes } from "./context.ts";

/** The stateful captures: Solicit 1, Request 7, Renew 14, Release 20; Confirm 1, Renew 7, Rebind 10. */
export const STATEFUL = "dhclient6_stateful_solicit_request_renew_release.pcap";
export const CONFIRM = "dhclient6_confirm_renew_rebind.pcap";
export { packet };

/** The DHCPv6 message of a captured frame. */
export function request(file: string, frame: number): Dhcp6Message {
  const ip = parseIpv6Packet(packet(file, frame));
  if (!ip.ok) throw new Error(ip.error);
  const udp = parseUdp(ip.value.payload);
  if (!udp.ok) throw new Error(udp.error);
  const m = parseDhcp6(udp.value.payload);
  if (!m.ok || m.value.kind !== "message") throw new Error("not a message");
  return m.value;
}

/** The mode that leases addresses (RA M flag): the stateful captures need it. */
export const STATEFUL_CONFIG: Ipv6Config = { ...CONFIG, mode: "dhcpv6" };

/** `answerDhcp6` on INDEV, with BINDING, CONFIG and the default lifetimes unless told otherwise. */
export const answer = (
  bytes: Uint8Array,
  b = BINDING,
  c = STATEFUL_CONFIG,
  lifetimes: Dhcp6Lifetimes = DEFAULT_DHCP6_LIFETIMES,
) => answerDhcp6(bytes, b, c, INDEV, lifetimes);

/** The reply message after checking every field of the frame around it. */
export function reply(
  frame: Uint8Array,
  msgType: number,
  transactionId: number,
  dst = GUEST_LL,
): Dhcp6Message {
  const { eth, ip, udp, dhcp } = decodeDhcp6Frame(frame);
  assert.equal(hex(eth.dst), "525400770010");
  assert.equal(hex(eth.src), "fe5400770001");
  assert.equal(ip.trafficClass, 0xc0);
  assert.equal(ip.flowLabel, 0);
  assert.equal(ip.hopLimit, 64);
  assert.equal(formatIpv6(ip.src), HOST_LL);
  assert.equal(formatIpv6(ip.dst), dst);
  assert.equal(udp.srcPort, 547);
  assert.equal(udp.dstPort, 546);
  assert.equal(dhcp.msgType, msgType);
  assert.equal(dhcp.transactionId, transactionId);
  return dhcp;
}

/** Our server identifier, and the DNS options every Reply and Advertise to BINDING and CONFIG holds. */
export const SERVER_ID: Dhcp6Option = { kind: "serverId", duid: serverDuid(INDEV) };
export const DNS: Dhcp6Option = { kind: "dnsServers", servers: [v6("2001:db8::53")] };
export const DOMAINS: Dhcp6Option = { kind: "domainList", domains: ["example.test"] };
/** The client identifier of a request, which the reply must echo. */
export const clientId = (m: Dhcp6Message) => findDhcp6Option(m.options, "clientId")!;
/** An IA address option with equal preferred and valid lifetimes. */
export const address = (text: string, lifetime: number): Dhcp6Option => ({
  kind: "iaAddress",
  address: v6(text),
  preferredLifetime: lifetime,
  validLifetime: lifetime,
  options: [],
});
/** The IA_NA of the VM's address with the default lifetimes: T1 600, T2 0.8 × 604800. */
export const leased = (iaid: number, ...more: Dhcp6Option[]): Dhcp6Option => ({
  kind: "iaNa",
  iaid,
  t1: 600,
  t2: 483840,
  options: [address(GUEST_SLAAC, 604800), ...more],
});
/** A status code option. */
export const status = (code: number, message: string): Dhcp6Option => ({
  kind: "statusCode",
  status: code,
  message,
});
/**
 * Option 39 to a client that sent one, for BINDING's dotless HOSTNAME testvm: flags N (we update
 * no DNS; N and O, 0x06, to a client that asked us to with S), then the partial name (RFC 4704
 * section 4.2: labels without the root), written out.
 */
export const fqdn = (flags = 0x04): Dhcp6Option => ({
  kind: "unknown",
  code: 39,
  data: Uint8Array.of(flags, 6, 0x74, 0x65, 0x73, 0x74, 0x76, 0x6d),
});
/** Option 32 of every reply to an Information-request: the default, 86400 s (0x00015180). */
export const REFRESH: Dhcp6Option = {
  kind: "unknown",
  code: 32,
  data: Uint8Array.of(0x00, 0x01, 0x51, 0x80),
};
