/** DHCP Unique Identifiers (RFC 8415 section 11, RFC 6355): every type, parse and emit. */
import { need } from "./parsed.ts";

/** DUID type codes. */
const DUID_TYPE = { llt: 1, en: 2, ll: 3, uuid: 4 } as const;

/** Hardware type of Ethernet (IANA ARP parameters). */
export const HARDWARE_TYPE_ETHERNET = 1;

/** Byte offsets inside a DUID, per type. */
const FIELD = {
  type: 0,
  llt: { hardwareType: 2, time: 4, address: 8 },
  en: { enterprise: 2, identifier: 6 },
  ll: { hardwareType: 2, address: 4 },
  uuid: { uuid: 2, end: 18 },
  unknown: { data: 2 },
} as const;

/** A DHCP Unique Identifier; unknown types keep their bytes. `time` is seconds since 2000-01-01 UTC. */
export type Duid =
  | {
    readonly type: "llt";
    readonly hardwareType: number;
    readonly time: number;
    readonly linkLayerAddress: Uint8Array;
  }
  | { readonly type: "en"; readonly enterpriseNumber: number; readonly identifier: Uint8Array }
  | { readonly type: "ll"; readonly hardwareType: number; readonly linkLayerAddress: Uint8Array }
  | { readonly type: "uuid"; readonly uuid: Uint8Array }
  | { readonly type: "unknown"; readonly code: number; readonly data: Uint8Array };

/** Parses a DUID (the whole data of a client or server identifier option). Throws MalformedPacket. */
export function parseDuid(d: Uint8Array): Duid {
  need(d.length >= 2, `DUID of ${d.length} bytes has no type`);
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const code = view.getUint16(FIELD.type);
  const atLeast = (n: number, what: string) =>
    need(d.length >= n, `${what} of ${d.length} bytes is shorter than ${n}`);
  switch (code) {
    case DUID_TYPE.llt:
      atLeast(FIELD.llt.address, "DUID-LLT");
      return {
        type: "llt",
        hardwareType: view.getUint16(FIELD.llt.hardwareType),
        time: view.getUint32(FIELD.llt.time),
        linkLayerAddress: d.subarray(FIELD.llt.address),
      };
    case DUID_TYPE.en:
      atLeast(FIELD.en.identifier, "DUID-EN");
      return {
        type: "en",
        enterpriseNumber: view.getUint32(FIELD.en.enterprise),
        identifier: d.subarray(FIELD.en.identifier),
      };
    case DUID_TYPE.ll:
      atLeast(FIELD.ll.address, "DUID-LL");
      return {
        type: "ll",
        hardwareType: view.getUint16(FIELD.ll.hardwareType),
        linkLayerAddress: d.subarray(FIELD.ll.address),
      };
    case DUID_TYPE.uuid:
      need(d.length === FIELD.uuid.end, `DUID-UUID has ${d.length} bytes, not ${FIELD.uuid.end}`);
      return { type: "uuid", uuid: d.subarray(FIELD.uuid.uuid) };
    default:
      return { type: "unknown", code, data: d.subarray(FIELD.unknown.data) };
  }
}

/** The wire length of a DUID. */
export function duidLength(duid: Duid): number {
  switch (duid.type) {
    case "llt":
      return FIELD.llt.address + duid.linkLayerAddress.length;
    case "en":
      return FIELD.en.identifier + duid.identifier.length;
    case "ll":
      return FIELD.ll.address + duid.linkLayerAddress.length;
    case "uuid":
      return FIELD.uuid.uuid + duid.uuid.length;
    case "unknown":
      return FIELD.unknown.data + duid.data.length;
  }
}

/** Writes `duid` at `into[offset]`; returns its length. Throws RangeError when there is no room. */
export function emitDuid(duid: Duid, into: Uint8Array, offset = 0): number {
  const length = duidLength(duid);
  if (offset + length > into.length) throw new RangeError("Cannot emit DUID: no room");
  const view = new DataView(into.buffer, into.byteOffset + offset, length);
  switch (duid.type) {
    case "llt":
      view.setUint16(FIELD.type, DUID_TYPE.llt);
      view.setUint16(FIELD.llt.hardwareType, duid.hardwareType);
      view.setUint32(FIELD.llt.time, duid.time);
      into.set(duid.linkLayerAddress, offset + FIELD.llt.address);
      break;
    case "en":
      view.setUint16(FIELD.type, DUID_TYPE.en);
      view.setUint32(FIELD.en.enterprise, duid.enterpriseNumber);
      into.set(duid.identifier, offset + FIELD.en.identifier);
      break;
    case "ll":
      view.setUint16(FIELD.type, DUID_TYPE.ll);
      view.setUint16(FIELD.ll.hardwareType, duid.hardwareType);
      into.set(duid.linkLayerAddress, offset + FIELD.ll.address);
      break;
    case "uuid":
      view.setUint16(FIELD.type, DUID_TYPE.uuid);
      into.set(duid.uuid, offset + FIELD.uuid.uuid);
      break;
    case "unknown":
      view.setUint16(FIELD.type, duid.code);
      into.set(duid.data, offset + FIELD.unknown.data);
      break;
  }
  return length;
}

/** True when two DUIDs have the same bytes. */
export function sameDuid(a: Duid, b: Duid): boolean {
  const length = duidLength(a);
  if (length !== duidLength(b)) return false;
  const x = new Uint8Array(length), y = new Uint8Array(length);
  emitDuid(a, x);
  emitDuid(b, y);
  return x.every((v, i) => v === y[i]);
}
