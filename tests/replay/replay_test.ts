/** replay() names every option a reply carries, from the responder's own report of what it wrote. */
import assert from "node:assert/strict";
import { parseBinding } from "../../src/bindings/binding.ts";
import { parseConfig } from "../../src/config/config.ts";
import { readCapture } from "../../src/pcap/capture.ts";
import { describePacket, describeRequest } from "../../src/replay/describe.ts";
import { recordText } from "../../src/replay/format.ts";
import { ipPacketOf } from "../../src/pcap/link.ts";
import { decidePacket, serviceFor } from "../../src/serve/decide.ts";
import { ReplyMemo } from "../../src/serve/memo.ts";
import { RequestReport } from "../../src/serve/packet_report.ts";
import { FrameAllocator } from "../../src/wire/ethernet.ts";
import { replay } from "../../src/replay/replay.ts";
import { parseMac } from "../../src/address.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

function settings(conf: string, bindingText: string) {
  const config = parseConfig(conf, "test.conf");
  const binding = parseBinding("tap0", bindingText);
  if (!config.ok) throw new Error(config.errors.join("\n"));
  if (!binding.ok) throw new Error(binding.errors.join("\n"));
  return {
    config: config.config,
    bindingFor: () => binding.binding,
    indevMac: parseMac("fe:54:00:77:00:01")!,
    all: false,
  };
}

const BINDING = "HOSTNAME=testvm\nMAC=52:54:00:77:00:10\nIP=10.77.0.95\nSUBNET=10.77.0.0/24\n" +
  "GATEWAY=10.77.0.1\nSUBNET6=2001:db8:77::/64\n";

Deno.test("replay names NTP (42), search (119) and routes (121) in an OFFER, and every code the responder wrote", async () => {
  const packets = readCapture(await Deno.readFile(`${FIXTURES}dhclient4_dora_renew_release.pcap`));
  const records = replay(
    packets,
    settings(
      "[dhcp]\nserver_ip = 10.77.0.1\nntp_servers = 10.77.0.5\ndomain_search = a.example\n" +
        "routes = 192.168.0.0/16 10.77.0.2\n",
      BINDING,
    ),
  );
  const offer = records.find((r) => r.reply?.type === "OFFER")!;
  const text = recordText(offer);
  assert.match(text, /ntp 10\.77\.0\.5/);
  assert.match(text, /search a\.example/);
  assert.match(text, /routes 192\.168\.0\.0\/16 via 10\.77\.0\.2 0\.0\.0\.0\/0 via 10\.77\.0\.1/);
  const sent = offer.report!.sent!;
  assert.ok(sent.includes(42) && sent.includes(119) && sent.includes(121), `${sent}`);
  assert.equal(offer.report!.request, "DISCOVER");
  assert.equal(offer.report!.reply, "OFFER");
  assert.ok(offer.report!.requested!.includes(1), "dhclient asks for the mask (55 holds 1)");
});

Deno.test("replay names PREF64 in an RA when nat64_prefix is set", async () => {
  const packets = readCapture(await Deno.readFile(`${FIXTURES}rdisc6_rs.pcap`));
  const records = replay(
    packets,
    settings("[dhcp]\nserver_ip = 10.77.0.1\n[ipv6]\nnat64_prefix = 64:ff9b::/96\n", BINDING),
  );
  const ra = records.find((r) => r.reply?.type === "RA")!;
  assert.match(recordText(ra), /pref64 64:ff9b::\/96 lifetime \d+s/);
  assert.ok(ra.report!.sent!.includes(38), `${ra.report!.sent}`);
});

Deno.test("describeRequest() tells every request a responder read exactly as describePacket() reads it from its bytes", async () => {
  const s = settings("[dhcp]\nserver_ip = 10.77.0.1\n[ipv6]\nmode = dhcpv6\n", BINDING);
  const deps = {
    config: () => s.config,
    interfaceInfo: (name: string) => ({ name, mac: s.indevMac }),
    memo: new ReplyMemo(),
    frames: new FrameAllocator(),
  };
  let compared = 0;
  for (const entry of Deno.readDirSync(FIXTURES)) {
    if (!entry.name.endsWith(".pcap")) continue;
    for (const packet of readCapture(await Deno.readFile(`${FIXTURES}${entry.name}`))) {
      const link = ipPacketOf(packet.linkType, packet.data);
      if (!link.ok) continue;
      const { ip, ipOffset, hwSource } = link.value;
      const report = new RequestReport();
      const row = serviceFor(ip);
      decidePacket({ payload: ip, hwSource: () => hwSource }, s.bindingFor(), deps, 0, row, report);
      const read = describeRequest(report);
      if (read === null) continue;
      assert.deepEqual(read, describePacket(ip, ipOffset), `${entry.name} #${packet.number}`);
      compared++;
    }
  }
  assert.ok(compared >= 40, `${compared} requests compared`);
});
