/**
 * The Internet checksum against a plain RFC 1071 reference (one's-complement addition word by word,
 * the carry wrapped around at each step), on seeded random data and on the sums that need the most
 * care: several carry folds, odd lengths, a total of exactly 0xffff, and RFC 1624 updates.
 */
import assert from "node:assert/strict";
import {
  finishChecksum,
  internetChecksum,
  pseudoHeaderSum4,
  pseudoHeaderSum6,
  sumWords,
  updateChecksum,
} from "../../src/wire/checksum.ts";
import { fromHex } from "../hex.ts";
import { Prng } from "../fuzz/prng.ts";
import { capturedFrame } from "../pcap.ts";

/** RFC 1071 by the book: add each big-endian word with end-around carry, then complement. */
function referenceChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    const word = (bytes[i]! << 8) | (i + 1 < bytes.length ? bytes[i + 1]! : 0); // pad odd with 0
    sum += word;
    if (sum > 0xffff) sum -= 0xffff; // the carry out of bit 15 comes back in at bit 0
  }
  return ~sum & 0xffff;
}

/** Seeded uniform numbers in [0, 1), so a failure can be replayed. */
function prng(seed: number): () => number {
  const source = new Prng(seed);
  return () => source.next() / 2 ** 32;
}

function randomBytes(next: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(next() * 256));
}

Deno.test("internetChecksum() matches RFC 1071 on random data of every length 0..300", () => {
  const next = prng(1071);
  for (let length = 0; length <= 300; length++) {
    for (let round = 0; round < 4; round++) {
      const data = randomBytes(next, length);
      assert.equal(internetChecksum(data), referenceChecksum(data), `length ${length}`);
    }
  }
});

Deno.test("internetChecksum() of an odd length pads the last byte on the right", () => {
  assert.equal(internetChecksum(Uint8Array.of(0x12)), ~0x1200 & 0xffff);
  assert.equal(internetChecksum(Uint8Array.of(0x00, 0x01, 0xf2)), ~(0x0001 + 0xf200) & 0xffff);
  // Bytes past `end` are not summed, whatever they hold.
  const data = Uint8Array.of(0x12, 0x34, 0x56, 0xff);
  assert.equal(internetChecksum(data, 0, 3), referenceChecksum(data.subarray(0, 3)));
  assert.equal(internetChecksum(data, 1, 3), referenceChecksum(data.subarray(1, 3)));
});

Deno.test("internetChecksum() folds the carry as often as it takes (many 0xffff words)", () => {
  // 65537 words of 0xffff sum to 0xffffffff: one fold leaves 0x1fffe, a second gives 0xffff.
  for (const words of [1, 2, 3, 0x101, 0x10001, 0x10002]) {
    const data = new Uint8Array(words * 2).fill(0xff);
    assert.equal(internetChecksum(data), 0, `${words} words`);
    assert.equal(internetChecksum(data), referenceChecksum(data), `${words} words`);
  }
  // 0xffff + 0x0001 is exactly 0x10000: folded to 1, so the checksum is 0xfffe.
  assert.equal(internetChecksum(Uint8Array.of(0xff, 0xff, 0x00, 0x01)), 0xfffe);
  const mixed = new Uint8Array(0x20001 * 2).fill(0xff);
  mixed[7] = 0xfe; // one word of 0xfffe: the result is 1, not 0 nor 0xffff
  assert.equal(internetChecksum(mixed), referenceChecksum(mixed));
  assert.equal(internetChecksum(mixed), 1);
  assert.equal(finishChecksum(0xffffffff), 0);
  assert.equal(finishChecksum(0x2fffd), ~0xffff & 0xffff);
  assert.equal(finishChecksum(0), 0xffff);
});

Deno.test("data carrying its own checksum sums to 0xffff and checks to 0 (random data)", () => {
  const next = prng(2);
  for (let i = 0; i < 500; i++) {
    const data = randomBytes(next, 2 + 2 * Math.floor(next() * 100));
    data[0] = data[1] = 0;
    const checksum = internetChecksum(data);
    data[0] = checksum >> 8;
    data[1] = checksum & 0xff;
    assert.equal(internetChecksum(data), 0, `round ${i}`);
    assert.equal(finishChecksum(sumWords(data)), 0, `round ${i}`);
  }
  assert.equal(internetChecksum(Uint8Array.of(0xff, 0xff)), 0); // exactly 0xffff is not folded
});

Deno.test("sumWords() continues a running sum and leaves it unfolded", () => {
  const data = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x01);
  assert.equal(sumWords(data), 0xffff + 0xffff + 0x0100);
  assert.equal(sumWords(data, 2, 4, 5), 5 + 0xffff);
  assert.equal(sumWords(data, 4), 0x0100);
});

/** The pseudo-header as bytes, summed by the reference (RFC 768 / RFC 8200 section 8.1). */
function referencePseudo4(src: number, dst: number, protocol: number, length: number): number {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setUint32(0, src);
  v.setUint32(4, dst);
  v.setUint8(9, protocol);
  v.setUint16(10, length);
  return referenceChecksum(b);
}

function referencePseudo6(src: Uint8Array, dst: Uint8Array, next: number, length: number): number {
  const b = new Uint8Array(40);
  b.set(src, 0);
  b.set(dst, 16);
  new DataView(b.buffer).setUint32(32, length);
  b[39] = next;
  return referenceChecksum(b);
}

Deno.test("pseudoHeaderSum4() and pseudoHeaderSum6() sum every field of the pseudo-header", () => {
  const next = prng(8200);
  for (let i = 0; i < 300; i++) {
    const src = Math.floor(next() * 2 ** 32);
    const dst = Math.floor(next() * 2 ** 32);
    const length = Math.floor(next() * 0x10000);
    assert.equal(
      finishChecksum(pseudoHeaderSum4(src, dst, 17, length)),
      referencePseudo4(src, dst, 17, length),
    );
    const src6 = randomBytes(next, 16);
    const dst6 = randomBytes(next, 16);
    const length6 = Math.floor(next() * 2 ** 32); // jumbograms have 32-bit lengths
    assert.equal(
      finishChecksum(pseudoHeaderSum6(src6, dst6, 58, length6)),
      referencePseudo6(src6, dst6, 58, length6),
    );
  }
});

Deno.test("updateChecksum() agrees with a full recompute after any one word changes", () => {
  const next = prng(1624);
  for (let i = 0; i < 2000; i++) {
    const data = randomBytes(next, 4 + 2 * Math.floor(next() * 40));
    data[0] = data[1] = 0;
    const before = internetChecksum(data);
    const at = 2 + 2 * Math.floor(next() * ((data.length - 2) / 2));
    const oldWord = (data[at]! << 8) | data[at + 1]!;
    // Now and then the word that makes the new checksum come out as 0.
    let newWord = Math.floor(next() * 0x10000);
    if (i % 50 === 0) {
      data[at] = data[at + 1] = 0;
      newWord = 0xffff - (~internetChecksum(data) & 0xffff);
    }
    data[at] = newWord >> 8;
    data[at + 1] = newWord & 0xff;
    const full = internetChecksum(data);
    const updated = updateChecksum(before, oldWord, newWord);
    assert.equal(
      updated,
      full === 0 ? 0xffff : full,
      `round ${i}: word ${at} ${oldWord}→${newWord}`,
    );
    data[0] = updated >> 8;
    data[1] = updated & 0xff;
    assert.equal(internetChecksum(data), 0, `round ${i}: the updated checksum verifies`);
  }
});

Deno.test("updateChecksum() never yields 0, which UDP reads as no checksum", () => {
  // Data 0x0000 0x0001: checksum 0xfffe. Changing 0x0001 to 0xffff makes the sum 0xffff, so the
  // checksum is 0 and must be sent as 0xffff (RFC 768).
  assert.equal(internetChecksum(Uint8Array.of(0, 0, 0xff, 0xff)), 0);
  assert.equal(updateChecksum(0xfffe, 0x0001, 0xffff), 0xffff);
  assert.equal(updateChecksum(0xfffe, 0x0001, 0x0002), 0xfffd);
  assert.equal(updateChecksum(0x1234, 0x5678, 0x5678), 0x1234);
});

Deno.test("internetChecksum() gives RFC 1071's worked example: 0001 f203 f4f5 f6f7 sums to ddf2", () => {
  // RFC 1071 section 3: the one's-complement sum is ddf2 (2ddf0 folded), the checksum 220d.
  const data = fromHex("0001f203f4f5f6f7");
  assert.equal(sumWords(data), 0x2ddf0);
  assert.equal(finishChecksum(sumWords(data)), ~0xddf2 & 0xffff);
  assert.equal(internetChecksum(data), 0x220d);
  // The same bytes summed from an odd start or in byte-swapped order give the swapped sum
  // (section 2, property B): f2dd.
  assert.equal(internetChecksum(fromHex("010003f2f5f4f7f6")), ~0xf2dd & 0xffff);
});

Deno.test("checksums of captured packets come out as their senders computed them", () => {
  // A dnsmasq OFFER: the IPv4 header's checksum is d0db; over the whole header, with it, 0.
  const offer = capturedFrame("dhclient4_dora_renew_release.pcap", 2).ipPacket;
  const header = offer.slice(0, 20);
  assert.equal((header[10]! << 8) | header[11]!, 0xd0db);
  assert.equal(internetChecksum(header), 0);
  header[10] = header[11] = 0;
  assert.equal(internetChecksum(header), 0xd0db);
  // dhclient's DISCOVER: its UDP checksum over the pseudo-header (0.0.0.0 → 255.255.255.255, UDP,
  // length 308). (The host's own UDP checksums in these captures are offloaded, so unfinished.)
  const discover = capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket;
  const udp = discover.slice(20);
  assert.equal((udp[6]! << 8) | udp[7]!, 0x581b);
  udp[6] = udp[7] = 0;
  assert.equal(udp.length, 308);
  const pseudo = pseudoHeaderSum4(0, 0xffffffff, 17, udp.length);
  assert.equal(finishChecksum(sumWords(udp, 0, udp.length, pseudo)), 0x581b);
  // rdisc6's RS: ICMPv6 (2d5c) over the IPv6 pseudo-header (next header 58).
  const rs = capturedFrame("rdisc6_rs.pcap", 1).ipPacket;
  const icmp = rs.slice(40, 40 + ((rs[4]! << 8) | rs[5]!));
  const sent = (icmp[2]! << 8) | icmp[3]!;
  icmp[2] = icmp[3] = 0;
  const sum6 = pseudoHeaderSum6(rs.subarray(8, 24), rs.subarray(24, 40), 58, icmp.length);
  assert.equal(finishChecksum(sumWords(icmp, 0, icmp.length, sum6)), sent);
  assert.equal(sent, 0x2d5c);
});
