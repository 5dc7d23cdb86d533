/**
 * Domain names in DNS wire format (RFC 1035 section 3.1): uncompressed for DHCPv6 option 24 and the
 * DNSSL option, compressed (RFC 1035 section 4.1.4) for DHCPv4 option 119 (RFC 3397).
 */
import { guard, MalformedPacket, need, type Parsed } from "./parsed.ts";

const MAX_LABEL = 63;
const MAX_NAME = 255;
const encoder = new TextEncoder();

/**
 * The labels of a name in text form (`example.test`, trailing dot optional, `\.` `\\` `\DDD`
 * escapes as dig prints them), or the reason it cannot be encoded. Pure and uncached: the plain
 * ASCII names replies carry take the fast path.
 */
function labelsOf(name: string): Uint8Array[] | string {
  return asciiLabels(name) ?? encodeLabels(name);
}

/** The labels of a plain ASCII name without escapes, or null for anything else. */
function asciiLabels(name: string): Uint8Array[] | null {
  if (name === "" || name === ".") return null;
  const labels: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= name.length; i++) {
    const c = i < name.length ? name.charCodeAt(i) : 0x2e;
    if (c === 0x5c || c > 0x7e) return null;
    if (c !== 0x2e) continue;
    if (i === name.length && start === i) break; // the trailing dot of an absolute name
    if (i === start || i - start > MAX_LABEL) return null; // the slow path words the error
    const label = new Uint8Array(i - start);
    for (let j = start; j < i; j++) label[j - start] = name.charCodeAt(j);
    labels.push(label);
    start = i + 1;
  }
  return labelsWireLength(labels) > MAX_NAME ? null : labels;
}

function encodeLabels(name: string): Uint8Array[] | string {
  if (name === ".") return [];
  if (name === "") return "name is empty";
  const labels: Uint8Array[] = [];
  let label: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === ".") {
      if (label.length === 0) return `name "${name}" has an empty label`;
      labels.push(Uint8Array.from(label));
      label = [];
    } else if (c === "\\") {
      const digits = /^\d{3}/.exec(name.slice(i + 1));
      if (digits) {
        const value = Number(digits[0]);
        if (value > 255) return `name "${name}" has an escape above \\255`;
        label.push(value);
        i += 3;
      } else if (i + 1 < name.length) {
        label.push(...encoder.encode(name[++i]!));
      } else {
        return `name "${name}" ends with a lone backslash`;
      }
    } else {
      label.push(...encoder.encode(c));
    }
    if (label.length > MAX_LABEL) {
      return `name "${name}" has a label longer than ${MAX_LABEL} bytes`;
    }
  }
  if (label.length) labels.push(Uint8Array.from(label));
  if (labelsWireLength(labels) > MAX_NAME) {
    return `name "${name}" is longer than ${MAX_NAME} bytes on the wire`;
  }
  return labels;
}

/** Why `name` cannot be sent as a domain name, or null when it can. */
export function domainNameError(name: string): string | null {
  const labels = labelsOf(name);
  return typeof labels === "string" ? labels : null;
}

/** The wire length of a name of `labels`: a length byte and the bytes of each, and the root's zero. */
function labelsWireLength(labels: readonly Uint8Array[]): number {
  return labels.reduce((n, l) => n + 1 + l.length, 1);
}

function labelsOrThrow(name: string): Uint8Array[] {
  const labels = labelsOf(name);
  if (typeof labels === "string") throw new RangeError(`Cannot encode domain name: ${labels}`);
  return labels;
}

/** `name`'s length without the trailing dot of an absolute name. */
function withoutRootDot(name: string): number {
  return name.charCodeAt(name.length - 1) === 0x2e ? name.length - 1 : name.length;
}

/**
 * The wire length of a plain ASCII name (no escapes, labels of 1 to 63 bytes, at most 255 bytes
 * on the wire), found without allocating, or -1 for anything else. Replies carry such names on
 * every RA and DHCPv6 reply, so this path must cost next to nothing.
 */
function plainWireLength(name: string): number {
  const n = withoutRootDot(name);
  if (n === 0) return -1; // "" and "."
  let start = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? name.charCodeAt(i) : 0x2e;
    if (c === 0x5c || c > 0x7e) return -1;
    if (c !== 0x2e) continue;
    if (i === start || i - start > MAX_LABEL) return -1;
    start = i + 1;
  }
  // Each dot becomes a length byte; add the first label's length byte and the root's zero.
  return n + 2 > MAX_NAME ? -1 : n + 2;
}

/** Writes a name `plainWireLength` accepted at `into[at]`; returns where it ends. */
function emitPlainName(name: string, into: Uint8Array, at: number): number {
  const n = withoutRootDot(name);
  let lengthAt = at++;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) {
      into[lengthAt] = at - lengthAt - 1;
      lengthAt = at++;
    } else {
      into[at++] = c;
    }
  }
  into[lengthAt] = at - lengthAt - 1;
  into[at++] = 0;
  return at;
}

/** The wire length of `names`, one after the other. Throws RangeError for a name `domainNameError` rejects. */
export function domainNamesLength(names: readonly string[]): number {
  let length = 0;
  for (const name of names) {
    const plain = plainWireLength(name);
    length += plain >= 0 ? plain : labelsWireLength(labelsOrThrow(name));
  }
  return length;
}

/**
 * Writes `names` one after the other at `into[offset]`; returns the bytes written.
 * Throws RangeError for a name `domainNameError` rejects or when `into` has no room.
 */
export function emitDomainNames(names: readonly string[], into: Uint8Array, offset = 0): number {
  let at = offset;
  for (const name of names) {
    const plain = plainWireLength(name);
    if (plain >= 0) {
      if (at + plain > into.length) throw new RangeError("Cannot emit domain name: no room");
      at = emitPlainName(name, into, at);
      continue;
    }
    const labels = labelsOrThrow(name);
    if (at + labelsWireLength(labels) > into.length) {
      throw new RangeError("Cannot emit domain name: no room");
    }
    for (const label of labels) {
      into[at++] = label.length;
      into.set(label, at);
      at += label.length;
    }
    into[at++] = 0;
  }
  return at - offset;
}

/**
 * Parses a sequence of uncompressed names filling `bytes`. With `padded` (the DNSSL
 * option, RFC 8106), zero bytes after the last name are padding, not root names.
 */
export function parseDomainNames(bytes: Uint8Array, padded = false): Parsed<string[]> {
  return guard("domain names", () => {
    const names: string[] = [];
    let at = 0;
    while (at < bytes.length) {
      if (padded && bytes[at] === 0) {
        need(
          bytes.subarray(at).every((b) => b === 0),
          "padding after the last name is not all zeros",
        );
        break;
      }
      const [name, next] = readName(bytes, at);
      names.push(name);
      at = next;
    }
    return names;
  });
}

function readName(bytes: Uint8Array, start: number): [string, number] {
  const labels: string[] = [];
  let at = start;
  for (;;) {
    need(at < bytes.length, "name runs past the end without its root label");
    const length = bytes[at]!;
    if (length & 0xc0) {
      throw new MalformedPacket(
        `label length byte 0x${length.toString(16)} is a compression pointer`,
      );
    }
    at++;
    if (length === 0) break;
    need(at + length <= bytes.length, `label of ${length} bytes runs past the end`);
    labels.push(labelText(bytes.subarray(at, at + length)));
    at += length;
    need(at - start < MAX_NAME, `name is longer than ${MAX_NAME} bytes`);
  }
  return [labels.length ? labels.join(".") : ".", at];
}

function labelText(label: Uint8Array): string {
  let text = "";
  for (const b of label) {
    if (b === 0x2e || b === 0x5c) text += `\\${String.fromCharCode(b)}`;
    else if (b > 0x20 && b < 0x7f) text += String.fromCharCode(b);
    else text += `\\${b.toString().padStart(3, "0")}`;
  }
  return text;
}

/** The largest offset a compression pointer can hold (14 bits). */
const MAX_POINTER = 0x3fff;

/**
 * `names` as one search list with RFC 1035 compression, as RFC 3397 has DHCPv4 option 119 carry
 * it: a name whose tail was written before ends in a pointer to it (offsets from the start of
 * the list, which stays one value however the option is split). Names are compared as written,
 * so `A.test` and `a.test` share nothing: harmless, only less compact. Throws RangeError for a
 * name `domainNameError` rejects.
 */
export function compressedDomainNames(names: readonly string[]): Uint8Array {
  const out: number[] = [];
  const written = new Map<string, number>();
  for (const name of names) {
    const labels = labelsOrThrow(name);
    let i = 0;
    for (; i < labels.length; i++) {
      const tail = labels.slice(i).map((l) => l.join(",")).join(".");
      const at = written.get(tail);
      if (at !== undefined) {
        out.push(0xc0 | (at >> 8), at & 0xff);
        break;
      }
      if (out.length <= MAX_POINTER) written.set(tail, out.length);
      out.push(labels[i]!.length, ...labels[i]!);
    }
    if (i === labels.length) out.push(0);
  }
  return Uint8Array.from(out);
}

/**
 * Parses a compressed search list (RFC 3397): names one after the other, each ending in a root
 * label or a pointer to an earlier offset (a pointer forward or to itself is malformed, so a
 * list cannot loop).
 */
export function parseCompressedDomainNames(bytes: Uint8Array): Parsed<string[]> {
  return guard("compressed domain names", () => {
    const names: string[] = [];
    let at = 0;
    while (at < bytes.length) {
      const [name, next] = readCompressedName(bytes, at);
      names.push(name);
      at = next;
    }
    return names;
  });
}

/** The name at `start` and where the next one begins. */
function readCompressedName(bytes: Uint8Array, start: number): [string, number] {
  const labels: string[] = [];
  let at = start;
  let next = -1;
  let wire = 0;
  for (;;) {
    need(at < bytes.length, "name runs past the end without its root label");
    const length = bytes[at]!;
    if ((length & 0xc0) === 0xc0) {
      need(at + 1 < bytes.length, "compression pointer is cut short");
      const target = ((length & 0x3f) << 8) | bytes[at + 1]!;
      need(target < at, `compression pointer at ${at} does not point backwards`);
      if (next < 0) next = at + 2;
      at = target;
      continue;
    }
    need((length & 0xc0) === 0, `label length byte 0x${length.toString(16)} is reserved`);
    at++;
    if (length === 0) break;
    need(at + length <= bytes.length, `label of ${length} bytes runs past the end`);
    labels.push(labelText(bytes.subarray(at, at + length)));
    at += length;
    wire += 1 + length;
    need(wire < MAX_NAME, `name is longer than ${MAX_NAME} bytes`);
  }
  return [labels.length ? labels.join(".") : ".", next < 0 ? at : next];
}
