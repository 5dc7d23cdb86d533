/** BOOTP/DHCPv4 messages (RFC 2131, RFC 3396): parse a request, build a reply from it, emit it. */
import {
  type Dhcp4Options,
  OPTION,
  OVERLOAD,
  overloadOf,
  readOptionArea,
} from "./dhcp4_options.ts";
import { guard, need, type Parsed } from "./parsed.ts";

export const DHCP4_SERVER_PORT = 67;
export const DHCP4_CLIENT_PORT = 68;
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
/** The broadcast bit of `flags` (RFC 2131 section 2, figure 2). */
export const FLAG_BROADCAST = 0x8000;
/** RFC 1542 section 2.1: relays and old clients drop BOOTP messages shorter than this. */
export const BOOTP_MIN_LENGTH = 300;

/** Byte offsets of the fixed BOOTP header, the magic cookie and the options. */
const FIELD = {
  op: 0,
  htype: 1,
  hlen: 2,
  hops: 3,
  xid: 4,
  secs: 8,
  flags: 10,
  ciaddr: 12,
  yiaddr: 16,
  siaddr: 20,
  giaddr: 24,
  chaddr: 28,
  sname: 44,
  file: 108,
  cookie: 236,
  options: 240,
} as const;

/** Where the transaction id sits in a message: a kept reply gets each request's patched in. */
export const DHCP4_XID_OFFSET = FIELD.xid;

const CHADDR_LENGTH = FIELD.sname - FIELD.chaddr;
const SNAME_LENGTH = FIELD.file - FIELD.sname;
const FILE_LENGTH = FIELD.cookie - FIELD.file;
/** 99.130.83.99 (RFC 2131 section 3). */
const MAGIC_COOKIE = 0x63825363;
const MAX_OPTION_CHUNK = 255;
/** Option 52 in the options field: code, length 1, value. */
const OVERLOAD_LENGTH = 3;

/** A DHCPv4 message. Parsed ones hold views of the input bytes, not copies. */
export interface Dhcp4Message {
  readonly op: number;
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  readonly xid: number;
  readonly secs: number;
  readonly flags: number;
  /** Addresses as unsigned 32-bit numbers. */
  readonly ciaddr: number;
  readonly yiaddr: number;
  readonly siaddr: number;
  readonly giaddr: number;
  /** The client hardware address: the first `hlen` bytes of the 16-byte field. */
  readonly chaddr: Uint8Array;
  /** The raw 64-byte and 128-byte fields (shorter on emit: the rest is zeroed). When
   * option 52 overloads them, they hold options, already merged into `options`. */
  readonly sname: Uint8Array;
  readonly file: Uint8Array;
  /** Options from the options field and, when overloaded, from `file` then `sname`. */
  readonly options: Dhcp4Options;
}

/** A reply being built: the same fields, still writable, and options in emit order. */
export type Dhcp4Draft =
  & { -readonly [K in Exclude<keyof Dhcp4Message, "options">]: Dhcp4Message[K] }
  & { options: Map<number, Uint8Array> }
  & Overloaded;

/**
 * A message that may carry options in `file` and `sname` (RFC 2132 section 9.3): `overload` is
 * option 52's value, written first in the options field, and those fields then hold option
 * areas already encoded (see `layoutOptions`). Absent or 0: no option 52 is written.
 */
export interface Overloaded {
  overload?: number;
}

/**
 * Parses a DHCP message (a UDP payload). Plain BOOTP (no magic cookie) and hlen beyond the
 * 16-byte chaddr field are rejected: we serve neither, and a longer chaddr cannot be read.
 */
export function parseDhcp4(bytes: Uint8Array): Parsed<Dhcp4Message> {
  return guard("DHCPv4 message", () => {
    need(
      bytes.length >= FIELD.cookie,
      `message of ${bytes.length} bytes is shorter than the ${FIELD.cookie}-byte BOOTP header`,
    );
    need(bytes.length > FIELD.cookie, "BOOTP message has no DHCP magic cookie");
    need(
      bytes.length >= FIELD.options,
      `magic cookie is cut after ${bytes.length - FIELD.cookie} bytes`,
    );
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const cookie = view.getUint32(FIELD.cookie);
    need(cookie === MAGIC_COOKIE, `magic cookie is 0x${cookie.toString(16)}, not 0x63825363`);
    const hlen = bytes[FIELD.hlen]!;
    need(hlen <= CHADDR_LENGTH, `hlen ${hlen} exceeds the ${CHADDR_LENGTH}-byte chaddr field`);
    const sname = bytes.subarray(FIELD.sname, FIELD.sname + SNAME_LENGTH);
    const file = bytes.subarray(FIELD.file, FIELD.file + FILE_LENGTH);
    const options = new Map<number, Uint8Array>();
    readOptionArea(bytes.subarray(FIELD.options), options, "options");
    // RFC 3396 section 7: the aggregate is options, then file, then sname.
    const overload = overloadOf(options);
    if (overload & OVERLOAD.file) readOptionArea(file, options, "file");
    if (overload & OVERLOAD.sname) readOptionArea(sname, options, "sname");
    return {
      op: bytes[FIELD.op]!,
      htype: bytes[FIELD.htype]!,
      hlen,
      hops: bytes[FIELD.hops]!,
      xid: view.getUint32(FIELD.xid),
      secs: view.getUint16(FIELD.secs),
      flags: view.getUint16(FIELD.flags),
      ciaddr: view.getUint32(FIELD.ciaddr),
      yiaddr: view.getUint32(FIELD.yiaddr),
      siaddr: view.getUint32(FIELD.siaddr),
      giaddr: view.getUint32(FIELD.giaddr),
      chaddr: bytes.subarray(FIELD.chaddr, FIELD.chaddr + hlen),
      sname,
      file,
      options,
    };
  });
}

/**
 * Whether `emitDhcp4` writes option `code` from the options map: 52 comes only from the
 * message's `overload`, so a parsed message's merged options are never declared overloaded.
 */
function emitted(code: number): boolean {
  return code !== OPTION.pad && code !== OPTION.end && code !== OPTION.overload;
}

/** Bytes `emitDhcp4` will write for `message`, padded to `minLength`. */
export function dhcp4Length(message: Dhcp4Message & Overloaded, minLength = 0): number {
  let length = FIELD.options + 1; // the END option
  if (message.overload) length += OVERLOAD_LENGTH;
  for (const [code, value] of message.options) {
    if (!emitted(code)) continue;
    // RFC 3396: a value over 255 bytes goes out as several options with the same code.
    const chunks = Math.max(1, Math.ceil(value.length / MAX_OPTION_CHUNK));
    length += 2 * chunks + value.length;
  }
  return Math.max(length, minLength);
}

/** Copies `value` into a field of `size` bytes at `at`, zeroing the rest (the buffer may hold junk). */
function putField(into: Uint8Array, at: number, size: number, value: Uint8Array): void {
  const n = Math.min(size, value.length);
  into.set(n === value.length ? value : value.subarray(0, n), at);
  into.fill(0, at + n, at + size);
}

/**
 * Writes `message` at `into[offset]`: header, cookie, option 52 when `overload` is set, options
 * in map order, END, then zeros up
 * to `minLength` (use `BOOTP_MIN_LENGTH` for replies). Returns the length written; throws
 * RangeError when `into` has no room (the caller sizes it with `dhcp4Length`).
 */
export function emitDhcp4(
  message: Dhcp4Message & Overloaded,
  into: Uint8Array,
  offset = 0,
  minLength = 0,
): number {
  const length = dhcp4Length(message, minLength);
  if (offset + length > into.length) {
    throw new RangeError(
      `Cannot emit DHCPv4 message of ${length} bytes: ${into.length - offset} bytes of room`,
    );
  }
  const out = into.subarray(offset, offset + length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint8(FIELD.op, message.op);
  view.setUint8(FIELD.htype, message.htype);
  view.setUint8(FIELD.hlen, message.hlen);
  view.setUint8(FIELD.hops, message.hops);
  view.setUint32(FIELD.xid, message.xid);
  view.setUint16(FIELD.secs, message.secs);
  view.setUint16(FIELD.flags, message.flags);
  view.setUint32(FIELD.ciaddr, message.ciaddr);
  view.setUint32(FIELD.yiaddr, message.yiaddr);
  view.setUint32(FIELD.siaddr, message.siaddr);
  view.setUint32(FIELD.giaddr, message.giaddr);
  putField(out, FIELD.chaddr, CHADDR_LENGTH, message.chaddr);
  putField(out, FIELD.sname, SNAME_LENGTH, message.sname);
  putField(out, FIELD.file, FILE_LENGTH, message.file);
  view.setUint32(FIELD.cookie, MAGIC_COOKIE);
  let at = FIELD.options;
  if (message.overload) {
    out[at] = OPTION.overload;
    out[at + 1] = 1;
    out[at + 2] = message.overload;
    at += OVERLOAD_LENGTH;
  }
  for (const [code, value] of message.options) {
    if (!emitted(code)) continue;
    let start = 0;
    do {
      const chunk = Math.min(MAX_OPTION_CHUNK, value.length - start);
      out[at] = code;
      out[at + 1] = chunk;
      // Most values are a few bytes: a loop beats set() and needs no subarray.
      for (let i = 0; i < chunk; i++) out[at + 2 + i] = value[start + i]!;
      at += 2 + chunk;
      start += chunk;
    } while (start < value.length);
  }
  out[at++] = OPTION.end;
  out.fill(0, at);
  return length;
}

const EMPTY = new Uint8Array(0);

/**
 * A BOOTREPLY to `request` (RFC 2131 table 3): xid, flags, giaddr, htype, hlen and chaddr
 * copied; every address zero and no options yet, so the caller adds them in the order it wants.
 */
export function replyFromRequest(
  request: Pick<Dhcp4Message, "htype" | "hlen" | "xid" | "flags" | "giaddr" | "chaddr">,
): Dhcp4Draft {
  return {
    op: BOOTREPLY,
    htype: request.htype,
    hlen: request.hlen,
    hops: 0,
    xid: request.xid,
    secs: 0,
    flags: request.flags,
    ciaddr: 0,
    yiaddr: 0,
    siaddr: 0,
    giaddr: request.giaddr,
    chaddr: request.chaddr,
    sname: EMPTY,
    file: EMPTY,
    options: new Map(),
  };
}

/** Appends the request's client identifier, if any: RFC 6842 says a server MUST echo it. */
export function echoClientId(reply: Dhcp4Draft, request: Dhcp4Message): Dhcp4Draft {
  const id = request.options.get(OPTION.clientId);
  if (id !== undefined) reply.options.set(OPTION.clientId, id);
  return reply;
}
