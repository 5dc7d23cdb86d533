/**
 * What a DHCPv4 reply is built from, read out of the request once: the reply builder sees these
 * facts and never the request, so the memo key made from them covers everything a reply depends on.
 */
import { formatMac } from "../address.ts";
import type { Dhcp4Message } from "../wire/dhcp4.ts";
import {
  maxMessageSize,
  messageType,
  messageTypeName,
  OPTION,
  parameterList,
  requestedIp,
  serverId,
} from "../wire/dhcp4_options.ts";

/** The kinds of value a fact may hold; `matchesDhcp4Key` compares each of them. */
type FactValue = number | null | Uint8Array;

/**
 * Every request field a reply depends on (a type alias, not an interface, so that a field of a
 * kind the memo key cannot compare fails to compile where the key is made).
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
  /** Option 55: which options the client wants, in the order it wants them first. */
  readonly prl: Uint8Array | null;
  /** Option 57: the largest message the client takes, or null. */
  readonly maxSize: number | null;
  /** The request's UDP source port: the reply goes back to it, as the original's did. */
  readonly clientPort: number;
};

/**
 * The facts of a parsed request (views of its bytes, valid while the packet is) that came from
 * UDP port `clientPort`.
 */
export function readDhcp4Facts(message: Dhcp4Message, clientPort: number): Dhcp4Facts {
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
    prl: parameterList(options),
    maxSize: maxMessageSize(options),
    clientPort,
  };
}

/** Where a memo key holds the xid: any xid matches (a kept reply gets the request's patched in). */
const ANY_XID = Symbol("any xid");

/** The memo key of a request: its fact values in order, bytes copied, the xid a wildcard. */
export type Dhcp4MemoKey = readonly (FactValue | typeof ANY_XID)[];

/** The values of `facts` in their (fixed) order, as `matchesDhcp4Key` compares them. */
export function dhcp4FactValues(facts: Readonly<Record<string, FactValue>>): FactValue[] {
  return Object.values(facts);
}

/**
 * The memo key of a request: every fact but the xid, whatever facts there are, so a fact added
 * later is in the key without anyone remembering to add it. The one place that says what a kept
 * reply depends on; `matchesDhcp4Key` compares exactly what this kept.
 */
export function dhcp4MemoKey(facts: Readonly<Record<string, FactValue>>): Dhcp4MemoKey {
  const key: (FactValue | typeof ANY_XID)[] = [];
  for (const name in facts) {
    const value = facts[name] as FactValue;
    key.push(name === "xid" ? ANY_XID : value instanceof Uint8Array ? value.slice() : value);
  }
  return key;
}

/**
 * Whether a request's fact values (`dhcp4FactValues`) agree with `key` wherever the key holds a
 * fact: the hit path, so values are compared in order, with no lookup by name.
 */
export function matchesDhcp4Key(key: Dhcp4MemoKey, values: readonly FactValue[]): boolean {
  if (key.length !== values.length) return false;
  for (let j = 0; j < key.length; j++) {
    const kept = key[j];
    const value = values[j];
    if (kept === value || kept === ANY_XID) continue;
    if (!(kept instanceof Uint8Array) || !(value instanceof Uint8Array)) return false;
    if (kept.length !== value.length) return false;
    for (let i = 0; i < kept.length; i++) if (kept[i] !== value[i]) return false;
  }
  return true;
}

/** "DHCPDISCOVER from 52:54:00:77:00:10 on tap0": how the refusals name a request. */
export function describeDhcp4Request(facts: Dhcp4Facts, tap: string): string {
  const name = facts.type === null ? "BOOTP request" : messageTypeName(facts.type);
  return `${name} from ${formatMac(facts.chaddr)} on ${tap}`;
}
