/** Integration harness: a real UDP listener in a namespace, and a summary of the DHCP messages it saw. */

import { hexByte, type Lab } from "./netns.ts";
import { denoExecutable, Proc, waitFor } from "./proc.ts";

/** The fields of a DHCPv4 message a listener test looks at. */
export interface DhcpSummary {
  readonly op: number;
  readonly xid: number;
  readonly chaddr: string;
  /** Option 53 (1 DISCOVER, 3 REQUEST, ...), or null when absent. */
  readonly messageType: number | null;
}

/** Reads op, xid, chaddr and the message type from a BOOTP/DHCP payload; null if it is not one. */
export function summarizeDhcp(payload: Uint8Array): DhcpSummary | null {
  if (payload.length < 240) return null;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (view.getUint32(236) !== 0x63825363) return null;
  const hlen = Math.min(payload[2] ?? 0, 16);
  const chaddr = [...payload.subarray(28, 28 + hlen)].map(hexByte).join(":");
  let messageType: number | null = null;
  for (let i = 240; i < payload.length;) {
    const code = payload[i] ?? 255;
    if (code === 255) break;
    if (code === 0) {
      i++;
      continue;
    }
    const len = payload[i + 1] ?? 0;
    if (code === 53 && len >= 1) messageType = payload[i + 2] ?? null;
    i += 2 + len;
  }
  return { op: payload[0] ?? 0, xid: view.getUint32(4), chaddr, messageType };
}

/** One datagram seen by a {@linkcode UdpListener}. */
export interface Datagram {
  readonly from: string;
  readonly payload: Uint8Array;
}

/** The listener's program for `deno eval`: prints `listening`, then one JSON line per datagram. */
const listenerSource = (port: number) => `
const port = ${port};
const socket = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port });
console.log("listening");
for await (const [data, addr] of socket) {
  console.log(JSON.stringify({ from: addr.hostname + ":" + addr.port, hex: Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("") }));
}
`;

/** A real UDP listener on 0.0.0.0:`port` inside a namespace: proves a request passed the NFQUEUE rule. */
export class UdpListener implements AsyncDisposable {
  readonly #proc: Proc;

  private constructor(proc: Proc) {
    this.#proc = proc;
  }

  /** Starts the listener in `ns` (tracked by `lab`) and waits (bounded) until its socket is bound. */
  static async start(lab: Lab, ns: string, port: number, timeoutMs = 10_000): Promise<UdpListener> {
    const proc = lab.spawn([denoExecutable(), "eval", "--unstable-net", listenerSource(port)], ns);
    await waitFor(`the UDP listener on port ${port} in ${ns}`, () => {
      if (proc.status !== null) {
        throw new Error(`UDP listener exited with code ${proc.status.code}: ${proc.stderr}`);
      }
      return proc.stdout.includes("listening");
    }, { timeoutMs });
    return new UdpListener(proc);
  }

  /** Datagrams received so far. */
  get datagrams(): Datagram[] {
    return this.#proc.stdout.split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => {
        const { from, hex } = JSON.parse(line) as { from: string; hex: string };
        const payload = new Uint8Array((hex.match(/../g) ?? []).map((pair) => parseInt(pair, 16)));
        return { from, payload };
      });
  }

  /** Waits (bounded) for a datagram matching `predicate`. */
  async waitFor(
    what: string,
    predicate: (d: Datagram) => boolean,
    timeoutMs: number,
  ): Promise<Datagram> {
    return await waitFor(what, () => this.datagrams.find(predicate), { timeoutMs });
  }

  /** Stops the listener. */
  async stop(): Promise<void> {
    await this.#proc.stop(1000);
  }

  /** Same as {@linkcode UdpListener.stop}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
