/** Bytes as hex text and back, for the tests: lowercase, two digits a byte, no separators. */

/** `bytes` as lowercase hex; undefined (or null) stays undefined, for optional fields. */
export function hex(bytes: Uint8Array): string;
export function hex(bytes: Uint8Array | null | undefined): string | undefined;
export function hex(bytes: Uint8Array | null | undefined): string | undefined {
  if (bytes === null || bytes === undefined) return undefined;
  let text = "";
  for (const b of bytes) text += b.toString(16).padStart(2, "0");
  return text;
}

/** The bytes of hex text (two digits a byte, no separators); throws on anything else. */
export function fromHex(text: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) {
    throw new Error(`not hex bytes: ${JSON.stringify(text)}`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}
