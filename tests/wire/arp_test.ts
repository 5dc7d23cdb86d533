/** ARP (RFC 826) against fixed bytes: an announcement as tcpdump shows it, not our own parser's. */
import assert from "node:assert/strict";
import { ARP_OPERATION, emitArp, parseArp } from "../../src/wire/arp.ts";
import { parseMac } from "../../src/address.ts";
import { fromHex, hex } from "../hex.ts";

/**
 * "ARP, Request who-has 10.77.0.1 tell 10.77.0.1" from fe:54:00:77:00:01 (an RFC 5227
 * announcement): htype 1, ptype 0x0800, hlen 6, plen 4, op 1, sha, spa, tha 0, tpa.
 */
const ANNOUNCEMENT = "0001" + "0800" + "06" + "04" + "0001" + "fe5400770001" + "0a4d0001" +
  "000000000000" + "0a4d0001";

const PACKET = {
  operation: ARP_OPERATION.request,
  senderMac: parseMac("fe:54:00:77:00:01")!,
  senderIp: 0x0a4d0001,
  targetMac: new Uint8Array(6),
  targetIp: 0x0a4d0001,
};

Deno.test("emitArp() writes an announcement byte for byte, at an offset", () => {
  const into = new Uint8Array(30);
  assert.equal(emitArp(PACKET, into, 2), 28);
  assert.equal(hex(into), `0000${ANNOUNCEMENT}`);
  // Without an offset, at the start.
  const start = new Uint8Array(28);
  assert.equal(emitArp(PACKET, start), 28);
  assert.equal(hex(start), ANNOUNCEMENT);
  // A reply names its target's MAC (tha, bytes 18 to 23).
  const reply = new Uint8Array(28).fill(0xee);
  emitArp({ ...PACKET, operation: 2, targetMac: parseMac("52:54:00:77:00:10")! }, reply);
  assert.equal(hex(reply.subarray(18, 24)), "525400770010");
});

Deno.test("parseArp() reads the fixed bytes back, and refuses short or non-IPv4 packets", () => {
  const parsed = parseArp(fromHex(ANNOUNCEMENT));
  assert.ok(parsed.ok);
  assert.deepEqual(
    {
      ...parsed.value,
      senderMac: hex(parsed.value.senderMac),
      targetMac: hex(parsed.value.targetMac),
    },
    { ...PACKET, senderMac: "fe5400770001", targetMac: "000000000000" },
  );
  assert.match(
    (parseArp(fromHex(ANNOUNCEMENT).subarray(0, 27)) as { error: string }).error,
    /shorter than 28/,
  );
  const ipv6 = fromHex(ANNOUNCEMENT);
  ipv6[2] = 0x86;
  assert.match((parseArp(ipv6) as { error: string }).error, /not IPv4 over Ethernet/);
  for (const [at, length] of [[4, 8], [5, 16]] as const) {
    const other = fromHex(ANNOUNCEMENT);
    other[at] = length;
    assert.match((parseArp(other) as { error: string }).error, /address lengths are not 6 and 4/);
  }
});
