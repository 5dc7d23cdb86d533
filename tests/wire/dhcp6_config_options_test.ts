/** Tests for the DHCPv6 option data codecs (client FQDN, NTP server, refresh time) on captured and RFC-laid-out bytes. */
import assert from "node:assert/strict";
import { parseIpv6 } from "../../src/address.ts";
import { parseDhcp6 } from "../../src/wire/dhcp6.ts";
import {
  DHCP6_CONFIG_OPTION,
  encodeClientFqdn,
  encodeNtpServers,
  encodeUint32,
  FQDN_FLAG,
  parseClientFqdn,
} from "../../src/wire/dhcp6_config_options.ts";
import { type Dhcp6Option, emitDhcp6Options } from "../../src/wire/dhcp6_options.ts";
import { parseIpv6Packet } from "../../src/wire/ipv6.ts";
import { parseUdp } from "../../src/wire/udp.ts";
import { fromHex, hex } from "../hex.ts";
import { capturedFrame } from "../pcap.ts";

const v6 = (text: string) => parseIpv6(text)!;

/** The data of option `code` in the DHCPv6 message of a captured frame. */
function capturedOption(file: string, frame: number, code: number): Uint8Array {
  const ip = parseIpv6Packet(capturedFrame(file, frame).ipPacket);
  if (!ip.ok) throw new Error(ip.error);
  const udp = parseUdp(ip.value.payload);
  if (!udp.ok) throw new Error(udp.error);
  const m = parseDhcp6(udp.value.payload);
  if (!m.ok) throw new Error(m.error);
  const o = m.value.options.find((x) => x.kind === "unknown" && x.code === code);
  if (o?.kind !== "unknown") throw new Error(`no option ${code} in ${file} frame ${frame}`);
  return o.data;
}

const NETWORKD = "networkd_dhcp4_dhcp6_ra.pcap";

Deno.test("parseClientFqdn() reads networkd's captured Solicit: S set, the partial name testvm", () => {
  const data = capturedOption(NETWORKD, 3, DHCP6_CONFIG_OPTION.clientFqdn);
  assert.equal(hex(data), "010674657374766d");
  assert.deepEqual(parseClientFqdn(data), {
    ok: true,
    value: { flags: FQDN_FLAG.s, name: "testvm", partial: true },
  });
});

Deno.test("parseClientFqdn() reads dnsmasq's captured Reply: a fully qualified name", () => {
  const data = capturedOption(NETWORKD, 10, DHCP6_CONFIG_OPTION.clientFqdn);
  assert.deepEqual(parseClientFqdn(data), {
    ok: true,
    value: { flags: FQDN_FLAG.s, name: "testvm.example.test", partial: false },
  });
});

Deno.test("encodeClientFqdn() writes the captured bytes of both a partial and a full name", () => {
  assert.equal(
    hex(encodeClientFqdn({ flags: FQDN_FLAG.s, name: "testvm", partial: true })),
    hex(capturedOption(NETWORKD, 3, DHCP6_CONFIG_OPTION.clientFqdn)),
  );
  assert.equal(
    hex(encodeClientFqdn({ flags: FQDN_FLAG.s, name: "testvm.example.test", partial: false })),
    hex(capturedOption(NETWORKD, 10, DHCP6_CONFIG_OPTION.clientFqdn)),
  );
  // No name at all: the flags byte alone (RFC 4704 section 4.2).
  assert.equal(hex(encodeClientFqdn({ flags: FQDN_FLAG.n, name: "", partial: false })), "04");
});

Deno.test("parseClientFqdn() rejects reserved flags, long labels and bytes after the root", () => {
  for (const bad of ["", "08", "0140", "0103616263000000"]) {
    assert.equal(parseClientFqdn(fromHex(bad)).ok, false, bad);
  }
});

/**
 * Option 56 (RFC 5908 section 4) with one NTP_SUBOPTION_SRV_ADDR (section 4.1) for
 * 2001:db8::123, laid out by hand from the RFC's figures: code 0x0038, length 20, suboption
 * code 0x0001, length 16, the address.
 */
const NTP_OPTION = "0038" + "0014" + "0001" + "0010" + "20010db8000000000000000000000123";

Deno.test("encodeNtpServers() lays out option 56 as RFC 5908 draws it", () => {
  const option: Dhcp6Option = {
    kind: "unknown",
    code: DHCP6_CONFIG_OPTION.ntpServer,
    data: encodeNtpServers([v6("2001:db8::123")]),
  };
  const out = new Uint8Array(24);
  assert.equal(emitDhcp6Options([option], out, 0), 24);
  assert.equal(hex(out), NTP_OPTION);
});

Deno.test("encodeUint32() writes option 32's seconds in network order", () => {
  assert.equal(hex(encodeUint32(86400)), "00015180");
  assert.equal(hex(encodeUint32(0xffffffff)), "ffffffff");
});

Deno.test("encodeNtpServers() gives each server its own 20-byte suboption, one after the other", () => {
  const data = encodeNtpServers([v6("2001:db8::123"), v6("2001:db8::124")]);
  assert.equal(
    hex(data),
    "0001" + "0010" + "20010db8000000000000000000000123" +
      "0001" + "0010" + "20010db8000000000000000000000124",
  );
});

Deno.test("parseClientFqdn() takes a label of 63 bytes and refuses one of 64", () => {
  const fqdn = (length: number) =>
    parseClientFqdn(Uint8Array.of(0, length, ...new Uint8Array(length).fill(0x61), 0));
  const ok = fqdn(63);
  assert.ok(ok.ok);
  assert.equal(ok.value.name, "a".repeat(63));
  assert.ok(!fqdn(64).ok);
});

Deno.test("parseClientFqdn() takes the flags byte alone (RFC 4704 4.2: the name may be empty)", () => {
  assert.deepEqual(parseClientFqdn(Uint8Array.of(FQDN_FLAG.s)), {
    ok: true,
    value: { flags: FQDN_FLAG.s, name: "", partial: false },
  });
  assert.equal(parseClientFqdn(new Uint8Array(0)).ok, false);
  // A reserved flag bit is refused, naming the flags byte.
  assert.deepEqual(parseClientFqdn(Uint8Array.of(0x08, 0)), {
    ok: false,
    error: "Cannot parse client FQDN option: reserved flag bits set: 8",
  });
});

Deno.test("parseClientFqdn() says which label runs past the option's end", () => {
  // A label of 3 bytes announced, 2 given.
  const read = parseClientFqdn(fromHex("01036162"));
  assert.equal(read.ok, false);
  assert.match(read.ok ? "" : read.error, /label overruns the option/);
});

Deno.test("encodeClientFqdn() refuses a name DNS cannot carry, saying it was option 39's", () => {
  assert.throws(
    () => encodeClientFqdn({ flags: 0, name: "a".repeat(64), partial: true }),
    /Cannot encode client FQDN: .*label longer than 63 bytes/,
  );
});
