/**
 * Where a DHCPv4 reply's options go when the options field alone cannot hold them: option
 * overload into `file` and `sname` (RFC 2132 section 9.3), values split into instances of at
 * most 255 bytes (RFC 3396) and kept in the order the client joins them again.
 */
import { OPTION } from "./dhcp4_options.ts";

/** Bytes of the `file` and `sname` fields (RFC 2131 section 2). */
const FILE_FIELD_LENGTH = 128;
const SNAME_FIELD_LENGTH = 64;
/** The longest value one option instance carries. */
const MAX_INSTANCE = 255;
/** Option 52 itself: code, length, value. */
const OVERLOAD_OPTION_LENGTH = 3;

/** The room a reply has for options. */
export interface OptionRoom {
  /** Bytes of the options field, its END included (the message's limit less the 240 before it). */
  readonly options: number;
  /** Whether `file` may carry options (it holds no boot file name). */
  readonly file: boolean;
  /** Whether `sname` may carry options (it holds no server name). */
  readonly sname: boolean;
}

/** The options placed: what the options field holds, and what `file` and `sname` hold, if any. */
export interface OptionLayout {
  /** Option 52's value: 0 (no overload), 1 (`file`), 2 (`sname`) or 3 (both). */
  readonly overload: number;
  /**
   * The options field's share, in order: each value whole when it fits there, else its first
   * instances (whole multiples of 255 bytes), which `emitDhcp4` splits the same way again.
   */
  readonly options: readonly (readonly [number, Uint8Array])[];
  /** The `file` field as an option area ending with END, or null when it carries none. */
  readonly file: Uint8Array | null;
  readonly sname: Uint8Array | null;
}

/**
 * Places `entries` (code and value, in the order they should appear) into the options field
 * and, only when that is not enough, into the free `file` and `sname` fields (see `place`).
 * No instance goes to an area before the one its code's previous instance went to, so that a
 * client joining the instances in the order options, file, sname (RFC 3396 section 7) gets each
 * value back. Null when they do not fit.
 */
export function layoutOptions(
  entries: readonly (readonly [number, Uint8Array])[],
  room: OptionRoom,
): OptionLayout | null {
  const plain = place(entries, [room.options - 1]);
  if (plain !== null) return { overload: 0, options: plain[0]!, file: null, sname: null };
  if (!room.file && !room.sname) return null;
  const sizes = [room.options - 1 - OVERLOAD_OPTION_LENGTH];
  if (room.file) sizes.push(FILE_FIELD_LENGTH - 1);
  if (room.sname) sizes.push(SNAME_FIELD_LENGTH - 1);
  const areas = place(entries, sizes);
  if (areas === null) return null;
  const file = room.file ? encodeArea(areas[1]!) : null;
  const sname = room.sname ? encodeArea(areas[room.file ? 2 : 1]!) : null;
  // An extra field left empty is not declared: the client then reads it as a name, and empty.
  const overload = (file !== null && file.length > 1 ? 1 : 0) |
    (sname !== null && sname.length > 1 ? 2 : 0);
  if (overload === 0) return { overload: 0, options: areas[0]!, file: null, sname: null };
  return {
    overload,
    options: areas[0]!,
    file: overload & 1 ? file : null,
    sname: overload & 2 ? sname : null,
  };
}

/** One instance of an option: its code, its bytes, and where it stands in the order. */
interface Instance {
  readonly code: number;
  readonly bytes: Uint8Array;
  /** Its position among all instances, in the order they should appear. */
  readonly order: number;
}

/**
 * The entries spread over areas of `sizes` bytes (END excluded), or null if they do not fit.
 * With one area, instances go in order. With more, the message type is placed first, in the
 * options field, then the largest first, each in the first area with room (so that small
 * options do not take the room a long one needs), never in an area before its code's previous
 * instance; then each area lists its instances in order.
 */
function place(
  entries: readonly (readonly [number, Uint8Array])[],
  sizes: readonly number[],
): [number, Uint8Array][][] | null {
  const instances: Instance[] = [];
  for (const [code, value] of entries) {
    let start = 0;
    do {
      const length = Math.min(MAX_INSTANCE, value.length - start);
      instances.push({
        code,
        bytes: value.subarray(start, start + length),
        order: instances.length,
      });
      start += length;
    } while (start < value.length);
  }
  const left = [...sizes];
  const areaOf = new Array<number>(instances.length);
  const lastArea = new Map<number, number>();
  // A stable sort: equal lengths (a code's 255-byte instances) keep their order.
  const bySize = sizes.length === 1
    ? instances
    : [...instances].sort((a, b) =>
      Number(b.code === OPTION.messageType) - Number(a.code === OPTION.messageType) ||
      b.bytes.length - a.bytes.length
    );
  for (const instance of bySize) {
    let area = lastArea.get(instance.code) ?? 0;
    while (area < left.length && left[area]! < 2 + instance.bytes.length) area++;
    // The message type stays in the options field, where every client looks for it first.
    if (area === left.length || (area > 0 && instance.code === OPTION.messageType)) return null;
    left[area]! -= 2 + instance.bytes.length;
    areaOf[instance.order] = area;
    lastArea.set(instance.code, area);
  }
  const areas: [number, Uint8Array][][] = sizes.map(() => []);
  for (const instance of instances) {
    const area = areaOf[instance.order]!;
    const parts = areas[area]!;
    const last = parts[parts.length - 1];
    // Consecutive instances in the options field stay one value: emitDhcp4 splits it at 255
    // again. In file and sname each instance is a part of its own.
    if (area === 0 && last !== undefined && last[0] === instance.code) {
      last[1] = join(last[1], instance.bytes);
    } else parts.push([instance.code, instance.bytes]);
  }
  return areas;
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** An option area: each part as one instance (parts here are at most 255 bytes), then END. */
function encodeArea(parts: readonly (readonly [number, Uint8Array])[]): Uint8Array {
  let length = 1;
  for (const [, value] of parts) length += 2 + value.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const [code, value] of parts) {
    out[at] = code;
    out[at + 1] = value.length;
    out.set(value, at + 2);
    at += 2 + value.length;
  }
  out[at] = OPTION.end;
  return out;
}
