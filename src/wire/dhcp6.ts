/** DHCPv6 messages (RFC 8415 sections 8-9): client/server and relay formats, parse and emit. */
import {
  type Dhcp6Option,
  dhcp6OptionsLength,
  emitDhcp6Options,
  parseDhcp6Options,
} from "./dhcp6_options.ts";
import { guard, need, type Parsed } from "./parsed.ts";

export const DHCP6_CLIENT_PORT = 546;
export const DHCP6_SERVER_PORT = 547;

/** Message types. */
export const DHCP6_MESSAGE = {
  solicit: 1,
  advertise: 2,
  request: 3,
  confirm: 4,
  renew: 5,
  rebind: 6,
  reply: 7,
  release: 8,
  decline: 9,
  reconfigure: 10,
  informationRequest: 11,
  relayForward: 12,
  relayReply: 13,
} as const;

/** Byte offsets of both formats. */
const FIELD = {
  message: { msgType: 0, transactionId: 1, options: 4 },
  relay: { msgType: 0, hopCount: 1, linkAddress: 2, peerAddress: 18, options: 34 },
} as const;

/** A client/server message. */
export interface Dhcp6Message {
  readonly kind: "message";
  readonly msgType: number;
  /** The 24-bit transaction ID. */
  readonly transactionId: number;
  readonly options: readonly Dhcp6Option[];
}

/** A Relay-forward or Relay-reply message (its Relay Message option is kept as an unknown option). */
export interface Dhcp6Relay {
  readonly kind: "relay";
  readonly msgType: number;
  readonly hopCount: number;
  readonly linkAddress: Uint8Array;
  readonly peerAddress: Uint8Array;
  readonly options: readonly Dhcp6Option[];
}

/** Parses a DHCPv6 message (the UDP payload). */
export function parseDhcp6(bytes: Uint8Array): Parsed<Dhcp6Message | Dhcp6Relay> {
  return guard("DHCPv6 message", () => {
    need(bytes.length >= 1, "message is empty");
    const msgType = bytes[0]!;
    if (msgType === DHCP6_MESSAGE.relayForward || msgType === DHCP6_MESSAGE.relayReply) {
      const f = FIELD.relay;
      need(
        bytes.length >= f.options,
        `relay message of ${bytes.length} bytes is shorter than ${f.options}`,
      );
      return {
        kind: "relay",
        msgType,
        hopCount: bytes[f.hopCount]!,
        linkAddress: bytes.subarray(f.linkAddress, f.linkAddress + 16),
        peerAddress: bytes.subarray(f.peerAddress, f.peerAddress + 16),
        options: parseDhcp6Options(bytes.subarray(f.options)),
      };
    }
    const f = FIELD.message;
    need(
      bytes.length >= f.options,
      `message of ${bytes.length} bytes is shorter than ${f.options}`,
    );
    return {
      kind: "message",
      msgType,
      transactionId: (bytes[f.transactionId]! << 16) | (bytes[f.transactionId + 1]! << 8) |
        bytes[f.transactionId + 2]!,
      options: parseDhcp6Options(bytes.subarray(f.options)),
    };
  });
}

/** The wire length of a message. */
export function dhcp6Length(message: Dhcp6Message | Dhcp6Relay): number {
  const fixed = message.kind === "relay" ? FIELD.relay.options : FIELD.message.options;
  return fixed + dhcp6OptionsLength(message.options);
}

/** Writes `message` at `into[offset]`; returns its length. Throws RangeError when there is no room. */
export function emitDhcp6(
  message: Dhcp6Message | Dhcp6Relay,
  into: Uint8Array,
  offset = 0,
): number {
  const length = dhcp6Length(message);
  if (offset + length > into.length) {
    throw new RangeError(
      `Cannot emit DHCPv6 message: ${into.length - offset} bytes of room, ${length} needed`,
    );
  }
  into[offset] = message.msgType;
  if (message.kind === "relay") {
    const f = FIELD.relay;
    into[offset + f.hopCount] = message.hopCount;
    into.set(message.linkAddress, offset + f.linkAddress);
    into.set(message.peerAddress, offset + f.peerAddress);
    emitDhcp6Options(message.options, into, offset + f.options);
  } else {
    const f = FIELD.message;
    into[offset + f.transactionId] = (message.transactionId >> 16) & 0xff;
    into[offset + f.transactionId + 1] = (message.transactionId >> 8) & 0xff;
    into[offset + f.transactionId + 2] = message.transactionId & 0xff;
    emitDhcp6Options(message.options, into, offset + f.options);
  }
  return length;
}
