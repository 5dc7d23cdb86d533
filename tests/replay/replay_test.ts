/** replay() names every option a reply carries, from the responder's own report of what it wrote. */
import assert from "node:assert/strict";
import { readCapture } from "../../src/pcap/capture.ts";
import { recordText } from "../../src/replay/format.ts";
import { replay } from "../../src/replay/replay.ts";
import { BINDING, FIXTURES, settings } from "./settings.ts";

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

Deno.test("replay() decides each request of a DORA in order: OFFER, ACK, then the RELEASE dropped", async () => {
  const packets = readCapture(await Deno.readFile(`${FIXTURES}dhclient4_dora_renew_release.pcap`));
  const records = replay(packets, settings("[dhcp]\nserver_ip = 10.77.0.1\n", BINDING));
  assert.deepEqual(
    records.map((r) => [r.number, r.request?.type, r.kind, r.reply?.type ?? r.reason]),
    [
      [1, "DISCOVER", "reply", "OFFER"],
      [3, "REQUEST", "reply", "ACK"],
      [7, "REQUEST", "reply", "ACK"],
      [11, "RELEASE", "drop", "no-reply"],
    ],
  );
  const offer = records[0]!;
  assert.equal(offer.mac, "52:54:00:77:00:10");
  assert.equal(offer.tap, "tap0");
  assert.deepEqual(offer.time, packets[0]!.time);
  assert.equal(offer.reply!.fields.yiaddr, "10.77.0.95");
  assert.equal(offer.reply!.source, "10.77.0.1");
});

Deno.test("replay() with `all` also reports the frames that are no requests, as skipped", async () => {
  const packets = readCapture(await Deno.readFile(`${FIXTURES}dhclient4_dora_renew_release.pcap`));
  const records = replay(packets, {
    ...settings("[dhcp]\nserver_ip = 10.77.0.1\n", BINDING),
    all: true,
  });
  assert.deepEqual(records.map((r) => r.number), packets.map((p) => p.number));
  const arp = records[4]!;
  assert.equal(arp.kind, "skip");
  assert.equal(arp.request, null);
  assert.match(arp.why, /^no IP packet: EtherType 0x0806/);
  const offer = records[1]!; // dnsmasq's own OFFER: a reply, not a request
  assert.equal(offer.kind, "skip");
  assert.equal(offer.request!.type, "OFFER");
  assert.equal(offer.report, null);
});

Deno.test("replay() passes on a request whose MAC has no binding, saying why", async () => {
  const packets = readCapture(await Deno.readFile(`${FIXTURES}dhclient4_dora_renew_release.pcap`));
  const macs: (string | null)[] = [];
  const records = replay(packets.slice(0, 1), {
    ...settings("[dhcp]\nserver_ip = 10.77.0.1\n", BINDING),
    bindingFor: (mac) => {
      macs.push(mac === null ? null : Array.from(mac, (b) => b.toString(16)).join(":"));
      return "no binding has MAC 52:54:00:77:00:10";
    },
  });
  assert.deepEqual(macs, ["52:54:0:77:0:10"]);
  assert.equal(records.length, 1);
  assert.equal(records[0]!.kind, "ignore");
  assert.equal(records[0]!.why, "no binding has MAC 52:54:00:77:00:10");
  assert.equal(records[0]!.tap, null);
  assert.equal(records[0]!.request!.type, "DISCOVER");
});
