/** One AF_PACKET raw socket that writes whole Ethernet frames into any interface by ifindex. */
import {
  AF_PACKET,
  SO_SNDBUF,
  SO_SNDBUFFORCE,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_SOCKET,
} from "./libc.ts";
import { callError, errno, errnoText, libc } from "./native.ts";

const SOCKADDR_LL_SIZE = 20;

/** Sends frames; the socket has protocol 0, so it never receives anything. */
export class PacketSocket {
  #fd: number;
  #addr = new Uint8Array(SOCKADDR_LL_SIZE);
  #view = new DataView(this.#addr.buffer);
  #closed = false;

  constructor() {
    this.#fd = libc().socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (this.#fd < 0) throw callError("socket(AF_PACKET, SOCK_RAW) (needs CAP_NET_RAW)");
    const size = new Int32Array([4 << 20]);
    if (libc().setsockopt(this.#fd, SOL_SOCKET, SO_SNDBUFFORCE, size, 4) !== 0) {
      libc().setsockopt(this.#fd, SOL_SOCKET, SO_SNDBUF, size, 4);
    }
    this.#view.setUint16(0, AF_PACKET, true);
    this.#addr[11] = 6; // sll_halen
  }

  /** Writes `frame` (Ethernet header included) into interface `ifindex`; returns an error text or null. */
  send(ifindex: number, frame: Uint8Array): string | null {
    const v = this.#view;
    v.setUint16(2, (frame[12]! << 8) | frame[13]!, false); // sll_protocol, network order
    v.setInt32(4, ifindex, true);
    this.#addr.set(frame.subarray(0, 6), 12);
    const n = libc().sendto(this.#fd, frame, BigInt(frame.length), 0, this.#addr, SOCKADDR_LL_SIZE);
    if (Number(n) === frame.length) return null;
    const code = errno();
    return `Cannot send ${frame.length}-byte frame on ifindex ${ifindex}: ${errnoText(code)}`;
  }

  /** Closes the socket; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc().close(this.#fd);
  }
}
