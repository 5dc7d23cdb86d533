/** Reuses a binding's last OFFER or ACK frame when only the request's xid differs (memoization). */
import type { Binding } from "../bindings/binding.ts";
import type { DhcpConfig } from "../config/types.ts";
import { sameMac } from "../wire/address.ts";
import { updateChecksum } from "../wire/checksum.ts";
import type { Dhcp4Message } from "../wire/dhcp4.ts";
import { OPTION } from "../wire/dhcp4_options.ts";
import { allocateFrame } from "../wire/ethernet.ts";
import type { Decision } from "./decision.ts";

/** Where the UDP checksum and the xid sit in an OFFER/ACK frame (Ethernet, 20-byte IPv4, UDP). */
const UDP_CHECKSUM_AT = 14 + 20 + 6;
const XID_AT = 14 + 20 + 8 + 4;

/** A reply frame and everything of the request and settings it was built from, but the xid. */
interface CachedReply {
  readonly type: number;
  readonly config: DhcpConfig;
  readonly indevMac: Uint8Array;
  readonly flags: number;
  readonly ciaddr: number;
  readonly giaddr: number;
  readonly htype: number;
  readonly hlen: number;
  readonly chaddr: Uint8Array;
  readonly clientId: Uint8Array | null;
  readonly frame: Uint8Array;
  readonly why: string;
}

/** Per binding, the last reply of each type (a client alternates OFFER and ACK). */
const cache = new WeakMap<Binding, CachedReply[]>();

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The reply to `request` from the cached frame for the same binding, type, settings and request
 * fields, with the request's xid patched in and the UDP checksum updated; null on a miss.
 */
export function cachedReply(
  binding: Binding,
  config: DhcpConfig,
  indevMac: Uint8Array,
  type: number,
  request: Dhcp4Message,
): Decision | null {
  const entries = cache.get(binding);
  if (entries === undefined) return null;
  for (const c of entries) {
    if (
      c.type === type && c.config === config && c.flags === request.flags &&
      c.ciaddr === request.ciaddr && c.giaddr === request.giaddr && c.htype === request.htype &&
      c.hlen === request.hlen && sameMac(c.indevMac, indevMac) &&
      sameBytes(c.chaddr, request.chaddr) &&
      sameBytes(c.clientId, request.options.get(OPTION.clientId) ?? null)
    ) {
      const frame = allocateFrame(c.frame.length);
      frame.set(c.frame);
      let checksum = (frame[UDP_CHECKSUM_AT]! << 8) | frame[UDP_CHECKSUM_AT + 1]!;
      const xid = request.xid;
      checksum = updateChecksum(checksum, (frame[XID_AT]! << 8) | frame[XID_AT + 1]!, xid >>> 16);
      checksum = updateChecksum(
        checksum,
        (frame[XID_AT + 2]! << 8) | frame[XID_AT + 3]!,
        xid & 0xffff,
      );
      frame[XID_AT] = xid >>> 24;
      frame[XID_AT + 1] = xid >>> 16;
      frame[XID_AT + 2] = xid >>> 8;
      frame[XID_AT + 3] = xid;
      frame[UDP_CHECKSUM_AT] = checksum >>> 8;
      frame[UDP_CHECKSUM_AT + 1] = checksum;
      return { kind: "reply", frame, why: c.why };
    }
  }
  return null;
}

/** Remembers `decision` (a reply of `type` to `request`) for the next request of its kind. */
export function rememberReply(
  binding: Binding,
  config: DhcpConfig,
  indevMac: Uint8Array,
  type: number,
  request: Dhcp4Message,
  decision: Decision,
): Decision {
  if (decision.kind !== "reply") return decision;
  const entry: CachedReply = {
    type,
    config,
    indevMac: indevMac.slice(),
    flags: request.flags,
    ciaddr: request.ciaddr,
    giaddr: request.giaddr,
    htype: request.htype,
    hlen: request.hlen,
    chaddr: request.chaddr.slice(),
    clientId: request.options.get(OPTION.clientId)?.slice() ?? null,
    frame: decision.frame.slice(),
    why: decision.why,
  };
  const others = (cache.get(binding) ?? []).filter((c) => c.type !== type);
  cache.set(binding, [...others, entry]);
  return decision;
}
