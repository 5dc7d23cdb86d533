/** Reads nfnetlink_queue packet messages straight from the received netlink buffer (pure, no FFI). */

/** nlmsghdr type of a queued packet: NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_PACKET. */
const NFQNL_MSG_PACKET_TYPE = (3 << 8) | 0;
const NLMSG_ERROR = 2;
const NLMSG_HEADER = 16;
const NFGENMSG = 4;
const NLA_TYPE_MASK = 0x3fff;

/** Attribute types of a queued-packet message (linux/netfilter/nfnetlink_queue.h). */
const NFQA = {
  packetHdr: 1,
  indev: 5,
  physindev: 7,
  hwaddr: 9,
  payload: 10,
} as const;

/** One queued packet; `payload` and `hwaddr` are views into the received buffer. */
export interface QueueMessage {
  /** The queue number (nfgenmsg res_id). */
  readonly queue: number;
  readonly id: number;
  readonly indev: number;
  readonly physindev: number;
  readonly payload: Uint8Array;
  /** Offset of NFQA_HWADDR's value in the buffer, or -1 when absent. */
  readonly hwaddrAt: number;
}

/** A reusable record, so reading a packet allocates only the payload view. */
interface MutableMessage {
  queue: number;
  id: number;
  indev: number;
  physindev: number;
  payload: Uint8Array;
  hwaddrAt: number;
}

const EMPTY = new Uint8Array(0);

/**
 * Calls `onPacket` for each queued-packet message in `buf[0, length)` (a netlink datagram may hold
 * several) and returns how many other messages it skipped; a netlink error message's code goes to
 * `onError`. The message passed to `onPacket` is reused: copy what must outlive the call.
 */
export function readQueueMessages(
  buf: Uint8Array,
  length: number,
  onPacket: (message: QueueMessage) => void,
  onError: (code: number) => void,
): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const message: MutableMessage = {
    queue: 0,
    id: 0,
    indev: 0,
    physindev: 0,
    payload: EMPTY,
    hwaddrAt: -1,
  };
  let skipped = 0;
  let at = 0;
  while (at + NLMSG_HEADER <= length) {
    const len = view.getUint32(at, true);
    if (len < NLMSG_HEADER || at + len > length) break; // truncated: nothing more to trust
    const type = view.getUint16(at + 4, true);
    if (type === NFQNL_MSG_PACKET_TYPE && len >= NLMSG_HEADER + NFGENMSG) {
      if (readPacket(view, buf, at, len, message)) onPacket(message);
      else skipped++;
    } else if (type === NLMSG_ERROR && len >= NLMSG_HEADER + 4) {
      const code = -view.getInt32(at + NLMSG_HEADER, true);
      if (code !== 0) onError(code);
    } else {
      skipped++;
    }
    at += (len + 3) & ~3;
  }
  return skipped;
}

/** Fills `m` from one packet message; false when it lacks the packet header. */
function readPacket(
  view: DataView,
  buf: Uint8Array,
  start: number,
  len: number,
  m: MutableMessage,
): boolean {
  m.queue = view.getUint16(start + NLMSG_HEADER + 2, false);
  m.indev = 0;
  m.physindev = 0;
  m.payload = EMPTY;
  m.hwaddrAt = -1;
  let haveId = false;
  const end = start + len;
  let at = start + NLMSG_HEADER + NFGENMSG;
  while (at + 4 <= end) {
    const alen = view.getUint16(at, true);
    if (alen < 4 || at + alen > end) break;
    const value = at + 4;
    const vlen = alen - 4;
    switch (view.getUint16(at + 2, true) & NLA_TYPE_MASK) {
      case NFQA.packetHdr:
        if (vlen >= 4) {
          m.id = view.getUint32(value, false);
          haveId = true;
        }
        break;
      case NFQA.indev:
        if (vlen >= 4) m.indev = view.getUint32(value, false);
        break;
      case NFQA.physindev:
        if (vlen >= 4) m.physindev = view.getUint32(value, false);
        break;
      case NFQA.hwaddr:
        if (vlen >= 12) m.hwaddrAt = value;
        break;
      case NFQA.payload:
        m.payload = buf.subarray(value, value + vlen);
        break;
    }
    at += (alen + 3) & ~3;
  }
  return haveId;
}

/** The 6-byte source MAC of NFQA_HWADDR at `at` (struct nfqnl_msg_packet_hw), or null. */
export function hwaddrAt(buf: Uint8Array, at: number): Uint8Array | null {
  if (at < 0) return null;
  const addrlen = (buf[at]! << 8) | buf[at + 1]!;
  return addrlen === 6 ? buf.slice(at + 4, at + 10) : null;
}
