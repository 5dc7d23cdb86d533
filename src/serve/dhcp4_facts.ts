/**
 * What a DHCPv4 reply is built from, read out of the request once: the reply builder sees these
 * facts and never the request, so the memo key made from them covers everything a reply depends on.
 */
import { formatMac } from "../wire/address.ts";
import type { Dhcp4Message } from "../wire/dhcp4.ts";
import {
  messageType,
  messageTypeName,
  OPTION,
  requestedIp,
  serverId,
} from "../wire/dhcp4_options.ts";

/** The kinds of value a fact may hold; `dhcp4FactsKey` encodes each of them. */
type FactValue = number | null | Uint8Array;

/**
 * Every request field a reply depends on (a type alias, not an interface, so that a field of a
 * kind `dhcp4FactsKey` cannot encode fails to compile where the key is made).
 */
export type Dhcp4Facts = {
  readonly op: number;
  /** Option 53, or null for plain BOOTP. */
  readonly type: number | null;
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  /** Not part of the memo key: patched into a kept reply. */
  readonly xid: number;
  readonly flags: number;
  readonly ciaddr: number;
  readonly giaddr: number;
  readonly chaddr: Uint8Array;
  /** Option 61, echoed in the reply (RFC 6842). */
  readonly clientId: Uint8Array | null;
  /** Option 50. */
  readonly requestedIp: number | null;
  /** Option 54. */
  readonly serverId: number | null;
};

/** The facts of a parsed request (views of its bytes, valid while the packet is). */
export function readDhcp4Facts(message: Dhcp4Message): Dhcp4Facts {
  const { options } = message;
  return {
    op: message.op,
    type: messageType(options),
    htype: message.htype,
    hlen: message.hlen,
    hops: message.hops,
    xid: message.xid,
    flags: message.flags,
    ciaddr: message.ciaddr,
    giaddr: message.giaddr,
    chaddr: message.chaddr,
    clientId: options.get(OPTION.clientId) ?? null,
    requestedIp: requestedIp(options),
    serverId: serverId(options),
  };
}

/**
 * The memo key of a request: every fact but the xid, whatever facts there are, so a fact added
 * later is in the key without anyone remembering to add it. Facts always come from
 * `readDhcp4Facts`, so their order is fixed and values alone (each self-delimiting) suffice.
 */
export function dhcp4FactsKey(facts: Readonly<Record<string, FactValue>>): string {
  let key = "";
  for (const name in facts) {
    if (name === "xid") continue;
    const value = facts[name] as FactValue;
    if (value === null) key += "-";
    else if (typeof value === "number") key += `${value},`;
    else {
      key += `${value.length}:`;
      for (let i = 0; i < value.length; i++) key += String.fromCharCode(value[i]!);
    }
  }
  return key;
}

/** "DHCPDISCOVER from 52:54:00:77:00:10 on tap0": how the refusals name a request. */
export function describeDhcp4Request(facts: Dhcp4Facts, tap: string): string {
  const name = facts.type === null ? "BOOTP request" : messageTypeName(facts.type);
  return `${name} from ${formatMac(facts.chaddr)} on ${tap}`;
}
