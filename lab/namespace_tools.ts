/**
 * Programs an integration test runs inside a namespace (`ip netns exec NS deno run ...`), where
 * the test's own process cannot go: the project's FFI edge used as a VM or a host would.
 *
 * - `send IFINDEX HEX...`: writes each whole Ethernet frame into interface IFINDEX through
 *   `PacketSocket`, in order; prints `sent N`.
 * - `interfaces NAME...`: prints one JSON line of what `InterfaceCache` says of each name
 *   (`byName`, and `nameOf` its index), `null` for a name it does not know.
 * - `listen IFINDEX...`: UDP 67 on 0.0.0.0 and UDP 547 on [::] joined to ff02::1:2 on each
 *   IFINDEX; prints `listening`, then one JSON line `{ port, from, hex }` per datagram.
 */
import { InterfaceCache } from "../ffi/interfaces.ts";
import { PacketSocket } from "../ffi/packet_socket.ts";

/** The path `deno run` takes for this file. */
export const NAMESPACE_TOOLS_PATH: string = new URL(import.meta.url).pathname;

/** What the `interfaces` command prints for one name. */
export interface InterfaceReport {
  readonly name: string;
  readonly ifindex: number;
  readonly mac: string;
  readonly mtu: number | null;
  /** `nameOf(ifindex)`: the cache's reverse lookup. */
  readonly nameOfIndex: string | null;
}

/** Bytes of a hex string (no separators). */
export function fromHex(hex: string): Uint8Array {
  return new Uint8Array((hex.match(/../g) ?? []).map((pair) => parseInt(pair, 16)));
}

/** A hex string of `bytes` (no separators). */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function send(ifindex: number, frames: readonly string[]): void {
  const socket = new PacketSocket();
  try {
    for (const hex of frames) {
      const error = socket.send(ifindex, fromHex(hex));
      if (error !== null) throw new Error(error);
    }
  } finally {
    socket.close();
  }
  console.log(`sent ${frames.length}`);
}

function interfaces(names: readonly string[]): void {
  const cache = new InterfaceCache();
  try {
    const report = names.map((name): InterfaceReport | null => {
      const entry = cache.byName(name);
      if (entry === undefined) return null;
      return {
        name: entry.name,
        ifindex: entry.ifindex,
        mac: Array.from(entry.mac, (b) => b.toString(16).padStart(2, "0")).join(":"),
        mtu: entry.mtu ?? null,
        nameOfIndex: cache.nameOf(entry.ifindex) ?? null,
      };
    });
    console.log(JSON.stringify(report));
  } finally {
    cache.close();
  }
}

async function listen(ifindexes: readonly number[]): Promise<void> {
  const v4 = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 67 });
  const v6 = Deno.listenDatagram({ transport: "udp", hostname: "::", port: 547 });
  for (const ifindex of ifindexes) await v6.joinMulticastV6("ff02::1:2", ifindex);
  console.log("listening");
  const print = async (port: number, socket: Deno.DatagramConn) => {
    for await (const [data, addr] of socket) {
      const from = addr.transport === "udp" ? `${addr.hostname}:${addr.port}` : "?";
      console.log(JSON.stringify({ port, from, hex: toHex(data) }));
    }
  };
  await Promise.all([print(67, v4), print(547, v6)]);
}

if (import.meta.main) {
  const [command, ...args] = Deno.args;
  if (command === "send") send(Number(args[0]), args.slice(1));
  else if (command === "interfaces") interfaces(args);
  else if (command === "listen") await listen(args.map(Number));
  else throw new Error(`Unknown command ${command}: use send, interfaces or listen`);
}
