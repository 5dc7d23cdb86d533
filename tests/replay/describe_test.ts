/**
 * describePacket() and describeRequest(): what `nfdhcpd replay` says of a packet, from captured
 * frames and from frames broken on purpose at each layer (the offset of the layer that breaks).
 */
import assert from "node:assert/strict";
import { readCapture } from "../../src/pcap/capture.ts";
import { ipPacketOf } from "../../src/pcap/link.ts";
import { describePacket, describeRequest } from "../../src/replay/describe.ts";
import { decidePacket, serviceFor } from "../../src/serve/decide.ts";
import { ReplyMemo } from "../../src/serve/memo.ts";
import { RequestReport } from "../../src/serve/packet_report.ts";
import { internetChecksum } from "../../src/wire/checksum.ts";
import { FrameAllocator } from "../../src/wire/ethernet.ts";
import { capturedFrame } from "../pcap.ts";
import { BINDING, FIXTURES, settings } from "./settings.ts";

/** The IP packet of frame `number` of fixture `name`, a copy to break at will (it starts at 14). */
const ipOf = (name: string, number: number) => capturedFrame(name, number).ipPacket.slice();
const DORA = "dhclient4_dora_renew_release.pcap";
const NDP = "kernel_ns_gateway_ping.pcap";
const DHCP6 = "dhclient6_stateful_solicit_request_renew_release.pcap";

Deno.test("describePacket() of dhclient's DISCOVER: addresses, xid, chaddr, hostname, other codes", () => {
  assert.deepEqual(describePacket(ipOf(DORA, 1), 14), {
    protocol: "DHCPv4",
    type: "DISCOVER",
    source: "0.0.0.0",
    destination: "255.255.255.255",
    xid: "0xa83e8246",
    fields: { chaddr: "52:54:00:77:00:10", hostname: "testvm", options: ["55"] },
    malformed: null,
  });
});

Deno.test("describePacket() reads option 56 as the message text", () => {
  const discover = ipOf(DORA, 1);
  // The DISCOVER's hostname option (12, 6 bytes, "testvm") turned into a message (56); no UDP
  // checksum (0, allowed over IPv4) rather than a wrong one.
  const at = discover.findIndex((b, i) =>
    b === 12 && discover[i + 1] === 6 && discover[i + 2] === 0x74
  );
  assert.ok(at > 240, "the option is in the options field");
  discover[at] = 56;
  discover[26] = discover[27] = 0;
  const { fields } = describePacket(discover, 14);
  assert.equal(fields.message, "testvm");
  assert.equal(fields.hostname, undefined);
});

Deno.test("describePacket() of dnsmasq's ACK to a renewal reads each option it names", () => {
  assert.deepEqual(describePacket(ipOf(DORA, 8), 14).fields, {
    chaddr: "52:54:00:77:00:10",
    ciaddr: "10.77.0.95",
    yiaddr: "10.77.0.95",
    server: "10.77.0.1",
    lease: 120,
    renewal: 14,
    rebinding: 39,
    mask: "255.255.255.0",
    broadcastAddress: "10.77.0.255",
    domain: "example.test",
    hostname: "testvm",
    dns: ["10.77.0.1"],
    router: ["10.77.0.1"],
  });
});

Deno.test("describePacket() of NS, NA and RA: target, flags, link-layer options, prefixes", () => {
  assert.deepEqual(describePacket(ipOf(NDP, 1), 14), {
    protocol: "ICMPv6",
    type: "NS",
    source: "2001:db8:77::10",
    destination: "ff02::1:ff00:1",
    xid: null,
    fields: { target: "2001:db8:77::1", sourceLinkLayer: "52:54:00:77:00:10" },
    malformed: null,
  });
  assert.deepEqual(describePacket(ipOf(NDP, 2), 14).fields, {
    target: "2001:db8:77::1",
    flags: ["solicited", "override"],
    targetLinkLayer: "fe:54:00:77:00:01",
  });
  assert.deepEqual(describePacket(ipOf(NDP, 10), 14).fields.flags, ["solicited"]);
  assert.deepEqual(describePacket(ipOf("networkd_dhcp4_dhcp6_ra.pcap", 2), 14).fields, {
    routerLifetime: 1800,
    flags: ["managed", "other"],
    prefix: ["2001:db8:77::/64 L"],
    mtu: 1500,
    sourceLinkLayer: "fe:54:00:77:00:01",
    domains: ["example.test"],
    dns: ["2001:db8:77::1"],
  });
  assert.deepEqual(describePacket(ipOf("rdisc6_rs.pcap", 4), 14).fields.prefix, [
    "2001:db8:77::/64 LA",
  ]);
});

Deno.test("describePacket() of a DHCPv6 ADVERTISE reads IA_NA, its address, status, DNS", () => {
  assert.deepEqual(describePacket(ipOf(DHCP6, 6), 14), {
    protocol: "DHCPv6",
    type: "ADVERTISE",
    source: "fe80::fc54:ff:fe77:1",
    destination: "fe80::5054:ff:fe77:10",
    xid: "0x3e19f8",
    fields: {
      options: ["1", "2"],
      iaid: "0x770010",
      t1t2: "60/105",
      address: ["2001:db8:77::12b"],
      lease: 120,
      status: ["0 success"],
      preference: 0,
      domains: ["example.test"],
      dns: ["2001:db8:77::1"],
    },
    malformed: null,
  });
  const solicit = describePacket(ipOf("networkd_dhcp4_dhcp6_ra.pcap", 3), 14);
  assert.equal(solicit.type, "SOLICIT");
  assert.equal(solicit.fields.rapidCommit, true);
  assert.equal(solicit.fields.iaPd, "0x75af0be6");
  assert.deepEqual(solicit.fields.requests, ["23", "31", "56", "82"]);
});

Deno.test("describePacket() names what is no DHCP or ND by its type, protocol or ports", () => {
  assert.equal(describePacket(ipOf(NDP, 3), 14).type, "type 128");
  // Just outside RS..NA (133..136): a redirect and type 132 are not read as ND.
  for (const type of [132, 137]) {
    const icmp = ipOf(NDP, 1);
    icmp[40] = type;
    assert.equal(describePacket(icmp, 14).type, `type ${type}`);
  }
  const tcp = ipOf(DORA, 1);
  tcp[9] = 6;
  tcp[10] = tcp[11] = 0;
  const sum = internetChecksum(tcp, 0, 20);
  [tcp[10], tcp[11]] = [sum >> 8, sum & 0xff];
  assert.deepEqual(describePacket(tcp, 14), {
    protocol: "IPv4",
    type: "protocol 6",
    source: "0.0.0.0",
    destination: "255.255.255.255",
    xid: null,
    fields: {},
    malformed: null,
  });
  const port4 = ipOf(DORA, 1);
  port4[23] = 99; // destination port 99
  assert.equal(describePacket(port4, 14).type, "port 68 -> 99");
  const port6 = ipOf(DHCP6, 1);
  port6[42] = 0;
  port6[43] = 99;
  assert.equal(describePacket(port6, 14).type, "port 546 -> 99");
  const next = ipOf(NDP, 1);
  next[6] = 6;
  assert.equal(describePacket(next, 14).type, "next header 6");
});

Deno.test("describePacket() tells an ND message whose checksum fails, and still reads it", () => {
  const ns = ipOf(NDP, 1);
  ns[ns.length - 1]! ^= 1;
  const read = describePacket(ns, 14);
  assert.equal(read.type, "NS");
  assert.equal(read.fields.checksum, "invalid");
  assert.equal(describePacket(ipOf(NDP, 1), 14).fields.checksum, undefined);
});

Deno.test("describePacket() says which layer breaks and where it starts in the frame", () => {
  const where = (ip: Uint8Array) => describePacket(ip, 14).malformed;
  assert.equal(
    where(ipOf(DORA, 1).slice(0, 10)),
    "Cannot parse IPv4 packet: packet of 10 bytes is shorter than a header " +
      "(the IPv4 header starts at offset 14 of the frame)",
  );
  const udp = ipOf(DORA, 1);
  udp[24] = 0;
  udp[25] = 4; // UDP length 4
  assert.equal(
    where(udp),
    "Cannot parse UDP datagram: length 4 is shorter than a header " +
      "(the UDP header starts at offset 34 of the frame)",
  );
  assert.match(
    where(ipOf("crafted_bootp_truncated_header.pcap", 1))!,
    /shorter than the 236-byte BOOTP header \(the DHCPv4 message starts at offset 42 of the frame\)$/,
  );
  // An IPv4 header with options (IHL 6): the message starts 4 bytes later.
  const ihl6 = ipOf("crafted_ipv4_options_ihl.pcap", 1);
  ihl6[24 + 8 + 236] = 0;
  assert.match(
    where(ihl6)!,
    /magic cookie .* \(the DHCPv4 message starts at offset 46 of the frame\)$/,
  );
  const udp6 = ipOf(DHCP6, 1);
  udp6[44] = 0;
  udp6[45] = 4;
  assert.match(where(udp6)!, /\(the UDP header starts at offset 54 of the frame\)$/);
  const dhcp6 = ipOf(DHCP6, 1);
  dhcp6[40 + 8 + 4 + 2] = 0xff; // the first option's length, far past the end
  assert.match(
    where(dhcp6)!,
    /^Cannot parse DHCPv6 .* \(the DHCPv6 message starts at offset 62 of the frame\)$/,
  );
  assert.match(
    where(ipOf(NDP, 1).slice(0, 20))!,
    /^Cannot parse IPv6 packet: .* \(the IPv6 header starts at offset 14 of the frame\)$/,
  );
  const summary = describePacket(ipOf(DORA, 1).slice(0, 10), 14);
  assert.deepEqual({ ...summary, malformed: null }, {
    protocol: "IPv4",
    type: "",
    source: "",
    destination: "",
    xid: null,
    fields: {},
    malformed: null,
  });
});

Deno.test("describeRequest() is null when no responder read the packet", () => {
  assert.equal(describeRequest(new RequestReport()), null);
});

Deno.test("describeRequest() tells every request a responder read exactly as describePacket() reads it from its bytes", async () => {
  const s = settings("[dhcp]\nserver_ip = 10.77.0.1\n[ipv6]\nmode = dhcpv6\n", BINDING);
  const deps = {
    config: () => s.config,
    interfaceInfo: (name: string) => ({ name, mac: s.indevMac }),
    memo: new ReplyMemo(),
    frames: new FrameAllocator(),
  };
  const binding = s.bindingFor(null);
  if (typeof binding === "string") throw new Error(binding);
  let compared = 0;
  for (const entry of Deno.readDirSync(FIXTURES)) {
    if (!entry.name.endsWith(".pcap")) continue;
    for (const packet of readCapture(await Deno.readFile(`${FIXTURES}${entry.name}`))) {
      const link = ipPacketOf(packet.linkType, packet.data);
      if (!link.ok) continue;
      const { ip, ipOffset, hwSource } = link.value;
      const report = new RequestReport();
      const row = serviceFor(ip);
      decidePacket({ payload: ip, hwSource: () => hwSource }, binding, deps, 0, row, report);
      const read = describeRequest(report);
      if (read === null) continue;
      assert.deepEqual(read, describePacket(ip, ipOffset), `${entry.name} #${packet.number}`);
      compared++;
    }
  }
  assert.ok(compared >= 40, `${compared} requests compared`);
});
