/** Which responder a queued packet goes to (src/serve/responder.ts), from its headers alone. */
import assert from "node:assert/strict";
import { packetKind, responderFor } from "../../src/serve/responder.ts";
import { SERVICES } from "../../src/serve/services.ts";
import { fromHex } from "../hex.ts";
import { capturedFrame } from "../pcap.ts";

const DHCP4 = SERVICES.find((s) => s.name === "dhcp4")!;
const DISCOVER = capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket;

/** The port of a served kind, or why it is not served. */
function portOf(p: Uint8Array): number | null | string {
  const kind = packetKind(p);
  return "port" in kind ? kind.port : kind.why;
}

/** The DISCOVER with byte `at` set to `value` (header checksums are not looked at here). */
function withByte(at: number, value: number): Uint8Array {
  const p = DISCOVER.slice();
  p[at] = value;
  return p;
}

Deno.test("packetKind() tells an IPv4 UDP packet by its destination port, after any IP options", () => {
  assert.deepEqual(packetKind(DISCOVER), { ipVersion: 4, protocol: 17, port: 67, icmpType: null });
  // IHL 6: four bytes of options move the UDP header, and the port with it.
  const withOptions = new Uint8Array(DISCOVER.length + 4);
  withOptions.set(DISCOVER.subarray(0, 20));
  withOptions[0] = 0x46;
  withOptions.set(DISCOVER.subarray(20), 24);
  assert.deepEqual(packetKind(withOptions), {
    ipVersion: 4,
    protocol: 17,
    port: 67,
    icmpType: null,
  });
});

Deno.test("packetKind() serves no IPv4 packet but UDP with a whole destination port", () => {
  const unserved = { reason: "unsupported", why: "not a request we serve" };
  // TCP and ICMP with the same bytes after the header: the "port" there is not one.
  assert.deepEqual(packetKind(withByte(9, 6)), unserved);
  assert.deepEqual(packetKind(withByte(9, 1)), unserved);
  // Cut inside the destination port, or just before it: nothing to read.
  assert.deepEqual(packetKind(DISCOVER.subarray(0, 23)), unserved);
  assert.deepEqual(packetKind(DISCOVER.subarray(0, 22)), unserved);
  assert.equal(portOf(DISCOVER.subarray(0, 24)), 67);
  assert.deepEqual(packetKind(DISCOVER.subarray(0, 19)), unserved);
  // A fragment (offset or more-fragments set) has no reliable UDP header.
  assert.deepEqual(packetKind(withByte(6, 0x20)), { reason: "fragment", why: "IPv4 fragment" });
  assert.deepEqual(packetKind(withByte(7, 0x01)), { reason: "fragment", why: "IPv4 fragment" });
  // The don't-fragment bit alone is no fragment.
  assert.equal(portOf(withByte(6, 0x40)), 67);
  assert.deepEqual(packetKind(fromHex("50000000")), unserved, "IP version 5");
});

Deno.test("packetKind() needs an ICMPv6 type byte and a whole UDP port over IPv6", () => {
  const rs = capturedFrame("rdisc6_rs.pcap", 1).ipPacket;
  assert.deepEqual(packetKind(rs), { ipVersion: 6, protocol: 58, port: null, icmpType: 133 });
  // Payload length 0: the header says there is no ICMPv6 byte, whatever follows it.
  const empty = rs.slice();
  empty[4] = empty[5] = 0;
  assert.deepEqual(packetKind(empty), { reason: "unsupported", why: "not a request we serve" });
  const one = rs.slice();
  [one[4], one[5]] = [0, 1];
  assert.equal(portOf(one), null);
  // UDP: the destination port is bytes 2-3 of the payload, read only when the header says so.
  const solicit =
    capturedFrame("dhclient6_stateful_solicit_request_renew_release.pcap", 1).ipPacket;
  const payload = (length: number) => {
    const p = solicit.slice();
    [p[4], p[5]] = [0, length];
    return p;
  };
  assert.equal(portOf(payload(4)), 547);
  assert.deepEqual(packetKind(payload(3)), {
    reason: "unsupported",
    why: "not a request we serve",
  });
  assert.deepEqual(packetKind(payload(0)), {
    reason: "unsupported",
    why: "not a request we serve",
  });
});

Deno.test("responderFor() finds the row whose version, protocol and port all match", () => {
  assert.equal(responderFor([DHCP4], DISCOVER), DHCP4);
  // Port 68 (a server's reply): UDP over IPv4, but no row for it.
  const reply = DISCOVER.slice();
  reply[22] = 0;
  reply[23] = 68;
  assert.deepEqual(responderFor([DHCP4], reply), {
    reason: "unsupported",
    why: "not a request we serve",
  });
  assert.deepEqual(responderFor([], DISCOVER), {
    reason: "unsupported",
    why: "not a request we serve",
  });
});
