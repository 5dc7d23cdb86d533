/**
 * A DHCPv4 reply's options in the client's order and within its size: the client's maximum
 * message size (option 57, never below 576) and the link's MTU; option overload into `file` and
 * `sname` when they are free, then options left out from the end of the order.
 */
import type { Dhcp4Draft } from "../wire/dhcp4.ts";
import { layoutOptions } from "../wire/dhcp4_layout.ts";
import { OPTION } from "../wire/dhcp4_options.ts";
import { IPV4_HEADER_LENGTH } from "../wire/ipv4.ts";
import { UDP_HEADER_LENGTH } from "../wire/udp.ts";

/** RFC 2131 section 2: every client takes a message of 576 bytes; option 57 is never less. */
const MIN_MAX_MESSAGE = 576;
/** Where the options field starts: the BOOTP header and the magic cookie. */
const OPTIONS_AT = 240;
/** A value's share of an option area: 2 bytes a 255-byte instance, and the value (RFC 3396). */
const instanceBytes = (value: Uint8Array) =>
  2 * Math.max(1, Math.ceil(value.length / 255)) +
  value.length;

/**
 * Never left out: subnet mask, router, lease time, message type and server identifier (without
 * which the reply is no lease), and the client identifier, without which RFC 6842 has the client
 * drop the reply.
 */
const KEPT: readonly number[] = [
  OPTION.subnetMask,
  OPTION.router,
  OPTION.leaseTime,
  OPTION.messageType,
  OPTION.serverId,
  OPTION.clientId,
];

/**
 * `parts` in the order RFC 2131 section 4.3.1 asks for: those the client's parameter request
 * list names, in its order, then the others in ours. Nothing is left out for not being asked
 * for: mask, router, lease time, server identifier and message type are needed whether
 * requested or not.
 */
export function inClientOrder(
  parts: readonly (readonly [number, Uint8Array])[],
  prl: Uint8Array | null,
): (readonly [number, Uint8Array])[] {
  if (prl === null) return [...parts];
  const out: (readonly [number, Uint8Array])[] = [];
  for (const code of prl) {
    const part = parts.find(([c]) => c === code);
    if (part !== undefined && !out.includes(part)) out.push(part);
  }
  for (const part of parts) if (!out.includes(part)) out.push(part);
  return out;
}

/** The largest DHCP message a reply may be: the client's limit and the link's, less IP and UDP. */
export function messageLimit(maxSize: number | null, linkMtu: number): number {
  const client = Math.max(maxSize ?? MIN_MAX_MESSAGE, MIN_MAX_MESSAGE);
  return Math.min(client, linkMtu) - IPV4_HEADER_LENGTH - UDP_HEADER_LENGTH;
}

/** What fitting did: the options left out (last asked first), and whether it overloaded. */
export interface Fitted {
  readonly leftOut: readonly number[];
  readonly overload: number;
}

/**
 * Puts `ordered` into `reply` within `limit` bytes of DHCP message: all in the options field
 * when they fit; else overloading `file` (when `fileFree`: it holds no boot file name, or the
 * name also travels in option 67) and `sname`; else leaving out options from the end of the
 * order (the client asked for them last, or not at all), never those in KEPT or `keep`, until
 * the rest fits; then each one left out is taken back if it fits after all (a long option asked
 * for last may have been all that was in the way). Null when even the kept options do not fit.
 */
export function fitOptions(
  reply: Dhcp4Draft,
  ordered: readonly (readonly [number, Uint8Array])[],
  limit: number,
  fileFree: boolean,
  keep: readonly number[] = [],
): Fitted | null {
  const room = limit - OPTIONS_AT;
  let size = 1; // END
  for (const [, value] of ordered) size += instanceBytes(value);
  if (size <= room) {
    for (const [code, value] of ordered) reply.options.set(code, value);
    return { leftOut: [], overload: 0 };
  }
  const roomy = { options: room, file: fileFree, sname: true };
  let kept = [...ordered];
  let layout = layoutOptions(kept, roomy);
  const dropped: (readonly [number, Uint8Array])[] = [];
  while (layout === null) {
    const last = kept.findLastIndex(([code]) => !KEPT.includes(code) && !keep.includes(code));
    if (last < 0) return null;
    dropped.push(kept[last]!);
    kept.splice(last, 1);
    layout = layoutOptions(kept, roomy);
  }
  // What went last may have made room for what went before it (a long option asked for last
  // and a shorter one before it): each is tried again, first asked first.
  const leftOut: number[] = [];
  for (const part of dropped.toReversed()) {
    const tried = ordered.filter((p) => p === part || kept.includes(p));
    const again = layoutOptions(tried, roomy);
    if (again === null) leftOut.push(part[0]);
    else [kept, layout] = [tried, again];
  }
  for (const [code, value] of layout.options) reply.options.set(code, value);
  reply.overload = layout.overload;
  if (layout.file !== null) reply.file = layout.file;
  if (layout.sname !== null) reply.sname = layout.sname;
  return { leftOut: leftOut.toReversed(), overload: layout.overload };
}

/** The debug line's words for what fitting did, or undefined when it did nothing. */
export function describeFit(fitted: Fitted, limit: number): string | undefined {
  const { leftOut, overload } = fitted;
  if (leftOut.length === 0 && overload === 0) return undefined;
  const fields = ["", "file", "sname", "file and sname"][overload];
  const parts = [
    ...(overload === 0 ? [] : [`options overloaded into ${fields}`]),
    ...(leftOut.length === 0
      ? []
      : [`left out option${leftOut.length > 1 ? "s" : ""} ${leftOut.join(", ")}`]),
  ];
  return `${parts.join("; ")} to fit ${limit + IPV4_HEADER_LENGTH + UDP_HEADER_LENGTH} bytes`;
}
