/** Builds capture files byte by byte, in either byte order, for the reader and replay tests. */

/** A record of a classic pcap file. */
export interface Record {
  readonly seconds: number;
  /** Microseconds, or nanoseconds in a nanosecond file. */
  readonly fraction: number;
  readonly data: Uint8Array;
}

/** Writes 32-bit and 16-bit numbers in one byte order. */
class Writer {
  readonly #bytes: number[] = [];
  constructor(readonly little: boolean) {}
  u8(...values: number[]): this {
    this.#bytes.push(...values);
    return this;
  }
  u16(value: number): this {
    const b = [(value >>> 8) & 0xff, value & 0xff];
    return this.u8(...(this.little ? b.reverse() : b));
  }
  u32(value: number): this {
    const b = [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
    return this.u8(...(this.little ? b.reverse() : b));
  }
  bytes(data: Uint8Array): this {
    return this.u8(...data);
  }
  pad4(): this {
    while (this.#bytes.length % 4 !== 0) this.#bytes.push(0);
    return this;
  }
  get length(): number {
    return this.#bytes.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

/** A classic pcap file of `records`, little- or big-endian, micro- or nanosecond stamps. */
export function classicPcap(
  options: { little: boolean; nano?: boolean; linkType: number },
  records: readonly Record[],
): Uint8Array {
  const w = new Writer(options.little)
    .u32(options.nano ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(262144)
    .u32(options.linkType);
  for (const r of records) {
    w.u32(r.seconds).u32(r.fraction).u32(r.data.length).u32(r.data.length).bytes(r.data);
  }
  return w.done();
}

/** A pcapng interface description. */
export interface PcapngInterface {
  readonly linkType: number;
  readonly snapLength?: number;
  /** The if_tsresol option's byte, when present. */
  readonly tsresol?: number;
}

/** A pcapng block after the section header. */
export type PcapngBlock =
  | { readonly kind: "interface"; readonly iface: PcapngInterface }
  | {
    readonly kind: "enhanced";
    readonly interfaceId: number;
    readonly ticks: bigint;
    readonly data: Uint8Array;
    /** Claimed captured length, when a test lies about it. */
    readonly capturedLength?: number;
  }
  | { readonly kind: "simple"; readonly data: Uint8Array; readonly originalLength?: number }
  | { readonly kind: "other"; readonly type: number; readonly body: Uint8Array };

function block(little: boolean, type: number, body: Uint8Array): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const total = 12 + padded;
  return new Writer(little).u32(type).u32(total).bytes(body).pad4().u32(total).done();
}

function blockBody(little: boolean, b: PcapngBlock): [number, Uint8Array] {
  const w = new Writer(little);
  switch (b.kind) {
    case "interface": {
      w.u16(b.iface.linkType).u16(0).u32(b.iface.snapLength ?? 0);
      if (b.iface.tsresol !== undefined) w.u16(9).u16(1).u8(b.iface.tsresol).pad4();
      w.u16(0).u16(0);
      return [1, w.done()];
    }
    case "enhanced":
      w.u32(b.interfaceId).u32(Number(b.ticks >> 32n)).u32(Number(b.ticks & 0xffffffffn))
        .u32(b.capturedLength ?? b.data.length).u32(b.data.length).bytes(b.data).pad4();
      return [6, w.done()];
    case "simple":
      w.u32(b.originalLength ?? b.data.length).bytes(b.data).pad4();
      return [3, w.done()];
    case "other":
      return [b.type, b.body];
  }
}

/** One pcapng section: its byte order and its blocks after the section header. */
export function pcapngSection(little: boolean, blocks: readonly PcapngBlock[]): Uint8Array {
  const header = new Writer(little).u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff)
    .u32(0xffffffff).done();
  const parts = [block(little, 0x0a0d0d0a, header)];
  for (const b of blocks) parts.push(block(little, ...blockBody(little, b)));
  return concat(...parts);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A Linux cooked (SLL, 16 bytes) header before `ip`, from `mac` over Ethernet. */
export function sll(packetType: number, mac: Uint8Array, ip: Uint8Array): Uint8Array {
  const w = new Writer(false).u16(packetType).u16(1).u16(6).bytes(mac).u8(0, 0);
  return concat(w.u16(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800).done(), ip);
}

/** A Linux cooked v2 (SLL2, 20 bytes) header before `ip`, from `mac` over Ethernet. */
export function sll2(packetType: number, mac: Uint8Array, ip: Uint8Array): Uint8Array {
  const w = new Writer(false).u16(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800).u16(0).u32(3).u16(1)
    .u8(packetType, 6).bytes(mac).u8(0, 0);
  return concat(w.done(), ip);
}
