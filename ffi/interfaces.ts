/** Interface names, indexes and MACs, cached and forgotten whenever the kernel reports a link change. */
import {
  AF_NETLINK,
  AF_UNIX,
  IFNAMSIZ,
  MSG_DONTWAIT,
  NETLINK_ROUTE,
  RTMGRP_LINK,
  SIOCGIFHWADDR,
  SIOCGIFMTU,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_RAW,
} from "./libc.ts";
import { callError, cString, libc } from "./native.ts";
import type { Poller } from "./poller.ts";

/** What we know of one interface. */
export interface InterfaceEntry {
  readonly name: string;
  readonly ifindex: number;
  readonly mac: Uint8Array;
  /** The interface's MTU (SIOCGIFMTU); undefined when the kernel would not tell it. */
  readonly mtu?: number;
}

const decoder = new TextDecoder();

/**
 * Resolves interfaces with ioctl/if_indextoname (no file reads) and caches the answers. A netlink
 * socket subscribed to link events clears the cache on any change (a TAP created or deleted, a
 * bridge whose MAC changed as ports joined), so the packet path never sees stale data for long.
 */
export class InterfaceCache {
  #byIndex = new Map<number, string>();
  #byName = new Map<string, InterfaceEntry | null>();
  #ioctlFd: number;
  #rtnlFd: number;
  #nameBuf = new Uint8Array(IFNAMSIZ);
  #ifreq = new Uint8Array(40);
  #drainBuf = new Uint8Array(16384);
  #poller: Poller | null = null;
  #listeners: (() => void)[] = [];
  #closed = false;

  constructor() {
    const c = libc();
    // Interface ioctls work on a socket of any family; a unix one lets the systemd unit forbid
    // AF_INET and AF_INET6 altogether.
    this.#ioctlFd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (this.#ioctlFd < 0) throw callError("socket(AF_UNIX, SOCK_DGRAM)");
    this.#rtnlFd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (this.#rtnlFd < 0) throw callError("socket(AF_NETLINK, NETLINK_ROUTE)");
    const addr = new Uint8Array(12);
    const view = new DataView(addr.buffer);
    view.setUint16(0, AF_NETLINK, true);
    view.setUint32(8, RTMGRP_LINK, true);
    if (c.bind(this.#rtnlFd, addr, 12) !== 0) throw callError("bind(NETLINK_ROUTE, RTMGRP_LINK)");
  }

  /** Follows link events through `poller`. */
  attach(poller: Poller): void {
    this.#poller = poller;
    poller.watch(this.#rtnlFd, () => this.#onLinkEvents());
  }

  /** Calls `listener` after each batch of link changes (e.g. to retry bindings whose TAP appeared). */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** The name of interface `ifindex`, or undefined if there is none. */
  nameOf(ifindex: number): string | undefined {
    const cached = this.#byIndex.get(ifindex);
    if (cached !== undefined) return cached;
    const p = libc().if_indextoname(ifindex, this.#nameBuf);
    if (p === null) return undefined;
    const end = this.#nameBuf.indexOf(0);
    const name = decoder.decode(this.#nameBuf.subarray(0, end < 0 ? IFNAMSIZ : end));
    this.#byIndex.set(ifindex, name);
    return name;
  }

  /** Index, MAC and MTU of interface `name`, or undefined if it does not exist (also cached). */
  byName(name: string): InterfaceEntry | undefined {
    const cached = this.#byName.get(name);
    if (cached !== undefined) return cached ?? undefined;
    const entry = this.#lookup(name);
    this.#byName.set(name, entry);
    return entry ?? undefined;
  }

  /** Forgets everything cached. */
  clear(): void {
    this.#byIndex.clear();
    this.#byName.clear();
  }

  /** Releases both sockets; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#poller?.unwatch(this.#rtnlFd);
    libc().close(this.#rtnlFd);
    libc().close(this.#ioctlFd);
  }

  #lookup(name: string): InterfaceEntry | null {
    const c = libc();
    const cname = cString(name);
    if (cname.length > IFNAMSIZ) return null;
    const ifindex = c.if_nametoindex(cname);
    if (ifindex === 0) return null;
    this.#ifreq.fill(0);
    this.#ifreq.set(cname, 0);
    if (c.ioctl(this.#ioctlFd, BigInt(SIOCGIFHWADDR), this.#ifreq) !== 0) return null;
    // struct ifreq: name[16], then sockaddr { sa_family u16, sa_data[14] } holding the MAC.
    const mac = this.#ifreq.slice(18, 24);
    const mtu = this.#mtuOf(cname);
    return mtu === undefined ? { name, ifindex, mac } : { name, ifindex, mac, mtu };
  }

  /** The MTU of `cname` (a NUL-terminated name); the dispatcher caps replies to it. */
  #mtuOf(cname: Uint8Array): number | undefined {
    this.#ifreq.fill(0);
    this.#ifreq.set(cname, 0);
    if (libc().ioctl(this.#ioctlFd, BigInt(SIOCGIFMTU), this.#ifreq) !== 0) return undefined;
    // struct ifreq: name[16], then int ifr_mtu in host byte order.
    const mtu = new DataView(this.#ifreq.buffer).getInt32(IFNAMSIZ, true);
    return mtu > 0 ? mtu : undefined;
  }

  #onLinkEvents(): void {
    while (
      Number(
        libc().recv(this.#rtnlFd, this.#drainBuf, BigInt(this.#drainBuf.length), MSG_DONTWAIT),
      ) > 0
    ) {
      // Any link message invalidates the cache; their contents are not needed.
    }
    this.clear();
    for (const listener of this.#listeners) listener();
  }
}
