/** The data of DHCPv6 configuration options carried as raw bytes: NTP server (56), client FQDN (39), information refresh time (32), boot file URL (59). */
import { domainNameError, domainNamesLength, emitDomainNames } from "./dns_name.ts";
import { guard, need, type Parsed } from "./parsed.ts";

/** The codes of the options this module encodes. */
export const DHCP6_CONFIG_OPTION = {
  /** RFC 8415 section 21.23. */
  informationRefreshTime: 32,
  /** RFC 4704. */
  clientFqdn: 39,
  /** RFC 5908. */
  ntpServer: 56,
  /** RFC 5970 section 3.1. */
  bootFileUrl: 59,
} as const;

/** The NTP server suboption we send (RFC 5908 section 4): a server's address. */
export const NTP_SUBOPTION = { serverAddress: 1 } as const;

/** Option 56's data: one NTP_SUBOPTION_SRV_ADDR per server, each a 16-byte address (RFC 5908 section 4.1). */
export function encodeNtpServers(servers: readonly Uint8Array[]): Uint8Array {
  const data = new Uint8Array(servers.length * 20);
  servers.forEach((server, i) => {
    const at = i * 20;
    data[at + 1] = NTP_SUBOPTION.serverAddress;
    data[at + 3] = 16;
    data.set(server, at + 4);
  });
  return data;
}

/** The flags of option 39 (RFC 4704 section 4.1). */
export const FQDN_FLAG = {
  /** The server performs the AAAA updates. */
  s: 0x1,
  /** The server overrode the client's S bit. */
  o: 0x2,
  /** The server performs no DNS update at all. */
  n: 0x4,
} as const;

/** Option 39 taken apart: a fully qualified name, or a partial one (no root label). */
export interface ClientFqdn {
  readonly flags: number;
  /** The name without a trailing dot; "" when the option carries none. */
  readonly name: string;
  readonly partial: boolean;
}

/**
 * Option 39's data: the flags byte, then the name in DNS wire format without compression; a
 * partial name (RFC 4704 section 4.2) lacks the final zero-length label. Throws RangeError for
 * a name DNS cannot carry.
 */
export function encodeClientFqdn(fqdn: ClientFqdn): Uint8Array {
  if (fqdn.name === "") return Uint8Array.of(fqdn.flags);
  const error = domainNameError(fqdn.name);
  if (error !== null) throw new RangeError(`Cannot encode client FQDN: ${error}`);
  const full = new Uint8Array(1 + domainNamesLength([fqdn.name]));
  full[0] = fqdn.flags;
  emitDomainNames([fqdn.name], full, 1);
  return fqdn.partial ? full.subarray(0, full.length - 1) : full;
}

/** Parses option 39's data (a client's or a server's). */
export function parseClientFqdn(data: Uint8Array): Parsed<ClientFqdn> {
  return guard("client FQDN option", () => {
    need(data.length >= 1, "no flags byte");
    need((data[0]! & 0xf8) === 0, `reserved flag bits set: ${data[0]}`);
    return { flags: data[0]!, ...readName(data.subarray(1)) };
  });
}

const ascii = new TextDecoder("ascii");

/** An uncompressed name filling `bytes`: partial when it does not end with the root label. */
function readName(bytes: Uint8Array): { name: string; partial: boolean } {
  const labels: string[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = bytes[at]!;
    if (length === 0) {
      need(at === bytes.length - 1, "bytes after the root label");
      return { name: labels.join("."), partial: false };
    }
    need(length <= 63, `label of ${length} bytes (compression is not allowed)`);
    need(at + 1 + length <= bytes.length, "label overruns the option");
    labels.push(ascii.decode(bytes.subarray(at + 1, at + 1 + length)));
    at += 1 + length;
  }
  return { name: labels.join("."), partial: labels.length > 0 };
}

/** A 32-bit number in network order: option 32's data (seconds; 0xffffffff is infinity). */
export function encodeUint32(value: number): Uint8Array {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, value);
  return data;
}
