/** libnetfilter_queue as a safe API: bound queues, a drain-per-wake-up receive loop, one verdict per packet. */
import {
  NF_ACCEPT,
  NF_DROP,
  NFQA_CFG_F_FAIL_OPEN,
  NFQNL_COPY_PACKET,
} from "./libnetfilter_queue.ts";
import {
  EAGAIN,
  EINTR,
  ENOBUFS,
  MSG_DONTWAIT,
  NETLINK_NO_ENOBUFS,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SOL_NETLINK,
  SOL_SOCKET,
} from "./libc.ts";
import { callError, errno, errnoText, libc, nfq } from "./native.ts";
import { hwaddrAt, type QueueMessage, readQueueMessages } from "./nfqueue_message.ts";
import type { Poller } from "./poller.ts";

/** One queued packet, as the core sees it. `payload` is valid only during the handler call. */
export interface QueuedPacket {
  readonly queue: number;
  readonly id: number;
  /** The IP packet (no Ethernet header). */
  readonly payload: Uint8Array;
  /** ifindex of the in-device (the bridge when bridged); 0 if unknown. */
  readonly indev: number;
  /** ifindex of the physical in-device (the bridge port); 0 when not bridged. */
  readonly physindev: number;
  /** Source MAC from the link layer, or null when the kernel gave none (read on demand). */
  hwSource(): Uint8Array | null;
}

export type Verdict = "accept" | "drop";

/**
 * Decides a packet; must not throw. A throw is logged, counted (`handlerErrors`) and answered with
 * DROP, unless `NfQueueOptions.served` says the packet's interface is none of ours (then ACCEPT).
 */
export type PacketHandler = (packet: QueuedPacket) => Verdict;

export interface NfQueueOptions {
  readonly queues: readonly number[];
  /** Kernel queue length (packets waiting for a verdict). */
  readonly maxLength?: number;
  /** Let packets through instead of dropping them when the queue is full. */
  readonly failOpen?: boolean;
  /** Socket receive buffer in bytes. */
  readonly receiveBuffer?: number;
  /** Called for errors that do not stop the loop (handler throws, ENOBUFS). */
  readonly onError?: (message: string) => void;
  /**
   * Whether packets from interface `ifindex` (the bridge port when bridged, else the in-device)
   * are the handler's to answer: a packet the handler fails on is dropped when they are (or when
   * this throws, or is not given), and passed on when they are not, as the handler would have.
   */
  readonly served?: (ifindex: number) => boolean;
}

/** Counters since start. */
export interface NfQueueStats {
  packets: number;
  accepted: number;
  dropped: number;
  handlerErrors: number;
  enobufs: number;
}

const RECV_BUFFER = 0x10000 + 4096;

/** A bound queue and the highest packet id whose DROP verdict is still to be sent (-1: none). */
interface BoundQueue {
  readonly num: number;
  readonly qh: Deno.PointerObject;
  pendingDrop: number;
  pendingCount: number;
}

/** Most messages one drain() handles; the poller calls it again while more are waiting. */
const MAX_PER_DRAIN = 256;
/** Most drain() calls drainAll() makes: 256 × 256 messages. */
const DRAIN_ALL_ROUNDS = 256;
/** Most DROP verdicts held back for one nfq_set_verdict_batch(). */
const DROP_BATCH = 16;
const RECV_SIZE = BigInt(RECV_BUFFER);

/**
 * The verdict for a packet from `ifindex` that the handler failed on: DROP (fail closed) unless
 * `served` says plainly that the interface is not one the handler answers for.
 */
export function verdictOnFailure(
  served: ((ifindex: number) => boolean) | undefined,
  ifindex: number,
): Verdict {
  if (served === undefined) return "drop";
  try {
    return served(ifindex) ? "drop" : "accept";
  } catch {
    return "drop";
  }
}

/** One nfq handle with any number of queues on it, drained by a `Poller`. */
export class NfQueue {
  #h: Deno.PointerObject;
  #fd: number;
  #queues = new Map<number, BoundQueue>();
  #handler: PacketHandler;
  #onError: (message: string) => void;
  #recvBuf = new Uint8Array(RECV_BUFFER);
  #poller: Poller | null = null;
  #options: NfQueueOptions;
  #closed = false;
  readonly stats: NfQueueStats = {
    packets: 0,
    accepted: 0,
    dropped: 0,
    handlerErrors: 0,
    enobufs: 0,
  };

  constructor(options: NfQueueOptions, handler: PacketHandler) {
    this.#handler = handler;
    this.#options = options;
    this.#onError = options.onError ?? (() => {});
    const lib = nfq();
    const h = lib.nfq_open();
    if (h === null) throw callError("nfq_open() (needs CAP_NET_ADMIN)");
    this.#h = h;
    this.#fd = lib.nfq_fd(h);
    try {
      // Older kernels need the protocol families bound; newer ones ignore this.
      lib.nfq_bind_pf(h, 2);
      lib.nfq_bind_pf(h, 10);
      for (const num of options.queues) this.#bind(num, options);
      this.#setSockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1);
      const rcvbuf = options.receiveBuffer ?? 8 << 20;
      if (!this.#setSockopt(SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf)) {
        this.#setSockopt(SOL_SOCKET, SO_RCVBUF, rcvbuf);
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Starts receiving through `poller`: every wake-up drains all pending messages. */
  attach(poller: Poller): void {
    this.#poller = poller;
    poller.watch(this.#fd, () => this.drain());
  }

  /**
   * Receives and handles the messages that are waiting, without blocking: at most
   * MAX_PER_DRAIN, so a flood cannot keep the event loop (timers, signals, file watches)
   * waiting. Returns true when it stopped at that bound with more possibly waiting.
   */
  drain(): boolean {
    const c = libc();
    for (let i = 0; i < MAX_PER_DRAIN; i++) {
      const n = Number(c.recv(this.#fd, this.#recvBuf, RECV_SIZE, MSG_DONTWAIT));
      if (n < 0) {
        const code = errno();
        if (code === EINTR) continue;
        if (code === ENOBUFS) {
          // Only without NETLINK_NO_ENOBUFS: the kernel counts the lost packets as user_dropped.
          this.stats.enobufs++;
          this.#onError("NFQUEUE socket overran: the kernel dropped queue messages (ENOBUFS)");
          continue;
        }
        if (code !== EAGAIN) this.#onError(callError("recv() on the NFQUEUE socket", code).message);
        this.#flushDrops();
        return false;
      }
      if (n === 0) {
        this.#flushDrops();
        return false;
      }
      readQueueMessages(this.#recvBuf, n, this.#onMessage, this.#onNetlinkError);
    }
    this.#flushDrops();
    return true;
  }

  /**
   * Before releasing queues: drains until nothing is waiting (bounded, in case packets keep
   * arriving), so each packet already queued to us gets our verdict rather than the kernel's.
   */
  drainAll(): void {
    for (let rounds = 0; rounds < DRAIN_ALL_ROUNDS && this.drain(); rounds++) { /* more */ }
  }

  /** The queue numbers bound now. */
  get queues(): number[] {
    return [...this.#queues.values()].map((q) => q.num).sort((a, b) => a - b);
  }

  /** Binds the queues in `wanted` that are not bound yet and releases the others (on reload). */
  setQueues(wanted: readonly number[]): void {
    this.drainAll();
    for (const [key, { num, qh }] of this.#queues) {
      if (!wanted.includes(num)) {
        // drain() above sent every pending verdict of this queue.
        nfq().nfq_destroy_queue(qh);
        this.#queues.delete(key);
      }
    }
    const bound = this.queues;
    for (const num of wanted) if (!bound.includes(num)) this.#bind(num, this.#options);
  }

  /** Destroys the queues and the handle; idempotent. Pending packets already had their verdicts. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#poller?.unwatch(this.#fd);
    this.#flushDrops();
    const lib = nfq();
    for (const { qh } of this.#queues.values()) lib.nfq_destroy_queue(qh);
    this.#queues.clear();
    lib.nfq_close(this.#h);
  }

  #bind(num: number, options: NfQueueOptions): void {
    const lib = nfq();
    // No callback: drain() reads the packet messages itself instead of nfq_handle_packet().
    const qh = lib.nfq_create_queue(this.#h, num, null, null);
    if (qh === null) {
      throw callError(`nfq_create_queue(${num}) (is another process bound to queue ${num}?)`);
    }
    this.#queues.set(num, { num, qh, pendingDrop: -1, pendingCount: 0 });
    if (lib.nfq_set_mode(qh, NFQNL_COPY_PACKET, 0xffff) < 0) {
      throw callError(`nfq_set_mode(${num}, COPY_PACKET)`);
    }
    if (options.maxLength !== undefined && lib.nfq_set_queue_maxlen(qh, options.maxLength) < 0) {
      throw callError(`nfq_set_queue_maxlen(${num}, ${options.maxLength})`);
    }
    if (options.failOpen !== undefined) {
      const flags = options.failOpen ? NFQA_CFG_F_FAIL_OPEN : 0;
      if (lib.nfq_set_queue_flags(qh, NFQA_CFG_F_FAIL_OPEN, flags) < 0) {
        throw callError(`nfq_set_queue_flags(${num}, FAIL_OPEN)`);
      }
    }
  }

  #setSockopt(level: number, name: number, value: number): boolean {
    return libc().setsockopt(this.#fd, level, name, new Int32Array([value]), 4) === 0;
  }

  /**
   * Runs the handler for one packet. DROP verdicts are batched: the highest dropped id waits and
   * one nfq_set_verdict_batch() covers it and every earlier one (at the end of the drain, or every
   * DROP_BATCH packets), saving a netlink message per packet. Ids rise in queue order, so before
   * an ACCEPT the pending DROPs of that queue are sent first: every packet gets one verdict.
   */
  #onMessage = (m: QueueMessage): void => {
    const queue = this.#queues.get(m.queue);
    if (queue === undefined) return; // a queue released on reload: the kernel flushed it
    const buf = this.#recvBuf;
    const hwAt = m.hwaddrAt;
    let verdict: Verdict = "accept";
    try {
      this.stats.packets++;
      verdict = this.#handler({
        queue: m.queue,
        id: m.id,
        payload: m.payload,
        indev: m.indev,
        physindev: m.physindev,
        hwSource: () => hwaddrAt(buf, hwAt),
      });
    } catch (e) {
      this.stats.handlerErrors++;
      verdict = verdictOnFailure(this.#options.served, m.physindev || m.indev);
      this.#onError(
        `Packet ${m.id} on queue ${m.queue}: handler failed (${verdict}): ${
          e instanceof Error ? e.stack : e
        }`,
      );
    }
    if (verdict === "drop") {
      this.stats.dropped++;
      queue.pendingDrop = m.id;
      // Under steady load a drain may not end for a while: packets held for their verdict count
      // against the kernel queue's length, so send the batch every few packets too.
      if (++queue.pendingCount >= DROP_BATCH) this.#flushQueue(queue);
      return;
    }
    this.stats.accepted++;
    this.#flushQueue(queue);
    if (nfq().nfq_set_verdict(queue.qh, m.id, NF_ACCEPT, 0, null) < 0) {
      this.#onError(callError(`nfq_set_verdict(${m.queue}, ${m.id}, ACCEPT)`).message);
    }
  };

  #onNetlinkError = (code: number): void => {
    this.#onError(`NFQUEUE netlink error: ${errnoText(code)} (errno ${code})`);
  };

  #flushQueue(queue: BoundQueue): void {
    if (queue.pendingDrop < 0) return;
    const id = queue.pendingDrop;
    queue.pendingDrop = -1;
    queue.pendingCount = 0;
    if (nfq().nfq_set_verdict_batch(queue.qh, id, NF_DROP) < 0) {
      this.#onError(callError(`nfq_set_verdict_batch(${queue.num}, ${id}, DROP)`).message);
    }
  }

  #flushDrops(): void {
    for (const queue of this.#queues.values()) this.#flushQueue(queue);
  }
}
