/**
 * Every src/wire parser run on one fuzzed packet at each layer, and on the raw bytes where a
 * layer would have stopped. A parser returns a `Parsed` result; the throwing inner readers
 * (options, DUIDs) may throw only what `guard` turns into one. Anything else is a finding.
 */
import {
  BOOTP_MIN_LENGTH,
  dhcp4Length,
  emitDhcp4,
  parseDhcp4,
  replyFromRequest,
} from "../../src/wire/dhcp4.ts";
import {
  clientId,
  hostname,
  maxMessageSize,
  messageType,
  parameterList,
  readOptionArea,
  requestedIp,
  serverId,
} from "../../src/wire/dhcp4_options.ts";
import { dhcp6Length, emitDhcp6, parseDhcp6 } from "../../src/wire/dhcp6.ts";
import { parseDhcp6Options } from "../../src/wire/dhcp6_options.ts";
import { parseClientFqdn } from "../../src/wire/dhcp6_config_options.ts";
import { parseDomainNames } from "../../src/wire/dns_name.ts";
import { parseDuid } from "../../src/wire/duid.ts";
import { parseEthernet } from "../../src/wire/ethernet.ts";
import { parseIcmpv6 } from "../../src/wire/icmpv6.ts";
import { parseIpv4Packet } from "../../src/wire/ipv4.ts";
import { parseIpv6Packet } from "../../src/wire/ipv6.ts";
import { emitNdMessage, ndMessageLength, parseNdMessage } from "../../src/wire/ndp.ts";
import { guard, type Parsed } from "../../src/wire/parsed.ts";
import { parseUdp } from "../../src/wire/udp.ts";
import { layoutOf } from "./layout.ts";

/** Calls `parse` and checks it returned a well-formed `Parsed`; a throw propagates to the caller. */
function parsed<T>(what: string, parse: () => Parsed<T>): T | null {
  const result = parse();
  if (result.ok === true) return result.value;
  if (result.ok === false && typeof result.error === "string") return null;
  throw new Error(`${what} returned something that is not a Parsed result`);
}

/** The throwing readers, called the one way they are meant to be: inside `guard`. */
function guarded<T>(what: string, read: () => T): T | null {
  return parsed(what, () => guard(what, read));
}

/**
 * Runs every parser over `p` (an IP packet as NFQUEUE hands it over) and what they parse
 * out of it. Throws on the first parser that throws; the caller reports it with the input.
 */
export function runParsers(p: Uint8Array): void {
  parsed("parseEthernet", () => parseEthernet(p));
  const layout = layoutOf(p);
  const l4 = p.subarray(Math.min(layout.l4At, p.length));
  const v4 = parsed("parseIpv4Packet", () => parseIpv4Packet(p));
  const v6 = parsed("parseIpv6Packet", () => parseIpv6Packet(p));
  const udp = parsed("parseUdp", () => parseUdp(v4?.payload ?? v6?.payload ?? l4));
  const app = udp?.payload ?? l4.subarray(8);
  dhcp4Layer(app);
  dhcp6Layer(app);
  if (v6 !== null) {
    const icmp = parsed("parseIcmpv6", () => parseIcmpv6(v6));
    const nd = icmp === null ? null : parsed("parseNdMessage", () => parseNdMessage(icmp));
    if (nd !== null) emitNdMessage(nd, new Uint8Array(ndMessageLength(nd)));
  }
  // Raw views that no header walk would reach: the readers must cope with any bytes.
  const tail = app.subarray(4);
  guarded("parseDhcp6Options", () => parseDhcp6Options(tail));
  guarded("parseDuid", () => parseDuid(tail.subarray(0, 30)));
  parsed("parseClientFqdn", () => parseClientFqdn(tail.subarray(0, 64)));
  parsed("parseDomainNames", () => parseDomainNames(tail.subarray(0, 64)));
  parsed("parseDomainNames (padded)", () => parseDomainNames(tail.subarray(0, 64), true));
  guarded("readOptionArea", () => readOptionArea(app.subarray(240), new Map(), "options"));
}

function dhcp4Layer(app: Uint8Array): void {
  const dhcp = parsed("parseDhcp4", () => parseDhcp4(app));
  if (dhcp === null) return;
  for (const read of [messageType, requestedIp, serverId, hostname, parameterList, clientId]) {
    read(dhcp.options);
  }
  maxMessageSize(dhcp.options);
  // The responders build replies from requests: that must hold for any parsed request.
  const reply = replyFromRequest(dhcp);
  emitDhcp4(reply, new Uint8Array(dhcp4Length(reply, BOOTP_MIN_LENGTH)), 0, BOOTP_MIN_LENGTH);
}

function dhcp6Layer(app: Uint8Array): void {
  const dhcp = parsed("parseDhcp6", () => parseDhcp6(app));
  if (dhcp !== null) emitDhcp6(dhcp, new Uint8Array(dhcp6Length(dhcp)));
}
