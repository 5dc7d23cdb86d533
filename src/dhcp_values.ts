/**
 * Values an operator writes for DHCP options, read the same way in binding files and in
 * nfdhcpd.conf: classless static routes, domain names and address lists.
 */
import { formatIpv4, ipv4Mask, parseIpv4, parseIpv6 } from "./address.ts";

/** One classless static route (RFC 3442): `destination/prefixLength` via `router` (0: on-link). */
export interface StaticRoute4 {
  readonly destination: number;
  readonly prefixLength: number;
  readonly router: number;
}

/**
 * One route as written: `DEST/LEN ROUTER` (white space between), e.g. `10.1.0.0/16 10.0.0.1`;
 * a bare DEST is a /32 and ROUTER `0.0.0.0` means on-link. The reason it is not one otherwise.
 */
export function parseStaticRoute4(text: string): StaticRoute4 | string {
  const parts = text.trim().split(/\s+/);
  const [target = "", router = "", ...rest] = parts;
  if (parts.length !== 2 || rest.length > 0) {
    return `not "DEST/LEN ROUTER": ${JSON.stringify(text)}`;
  }
  const [address = "", length, ...more] = target.split("/");
  const destination = parseIpv4(address);
  const prefixLength = length === undefined ? 32 : /^\d{1,2}$/.test(length) ? Number(length) : -1;
  if (destination === null || prefixLength < 0 || prefixLength > 32 || more.length > 0) {
    return `not an IPv4 destination (address/length): ${JSON.stringify(target)}`;
  }
  const mask = ipv4Mask(prefixLength);
  if ((destination & ~mask) >>> 0 !== 0) {
    const fixed = `${formatIpv4((destination & mask) >>> 0)}/${prefixLength}`;
    return `destination has host bits set: ${JSON.stringify(target)} (is it ${fixed}?)`;
  }
  const via = parseIpv4(router);
  if (via === null) return `router is not an IPv4 address: ${JSON.stringify(router)}`;
  return { destination, prefixLength, router: via };
}

/** Routes separated by commas (`10.1.0.0/16 10.0.0.1, 0.0.0.0/0 10.0.0.1`), or why not. */
export function parseStaticRoutes4(text: string): StaticRoute4[] | string {
  const routes: StaticRoute4[] = [];
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const route = parseStaticRoute4(part);
    if (typeof route === "string") return route;
    routes.push(route);
  }
  return routes;
}

/** `a.b.c.d, e.f.g.h` (commas or white space between) as addresses, or null if one is not. */
export function parseIpv4List(text: string): number[] | null {
  const addresses: number[] = [];
  for (const word of splitList(text)) {
    const address = parseIpv4(word);
    if (address === null) return null;
    addresses.push(address);
  }
  return addresses;
}

/** IPv6 addresses separated by commas or white space, or null if one is not. */
export function parseIpv6List(text: string): Uint8Array[] | null {
  const addresses: Uint8Array[] = [];
  for (const word of splitList(text)) {
    const address = parseIpv6(word);
    if (address === null) return null;
    addresses.push(address);
  }
  return addresses;
}

/** Domain names separated by commas or white space, or null if one is not a domain name. */
export function parseDomainList(text: string): string[] | null {
  const names = splitList(text);
  return names.every(isDomainName) ? names : null;
}

function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter((word) => word !== "");
}

/** True for `example.com`-like names: labels of 1-63 letters, digits, `-` or `_`; 253 at most. */
export function isDomainName(name: string): boolean {
  const bare = name.endsWith(".") ? name.slice(0, -1) : name;
  if (bare === "" || bare.length > 253) return false;
  return bare.split(".").every((label) => /^[A-Za-z0-9_-]{1,63}$/.test(label));
}
