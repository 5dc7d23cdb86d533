/**
 * `nfdhcpd replay` run as a user would run it, with --allow-read only (no FFI, no root): every
 * fixture, the answers the responders give, spoofed and malformed requests, other framings,
 * and the exit codes.
 */
import assert from "node:assert/strict";
import { readCapture } from "../../src/pcap/capture.ts";
import { classicPcap, concat, pcapngSection, sll2 } from "../pcap/craft.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;
const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-replay-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const CONF = `${dir}/nfdhcpd.conf`;
const BINDING = `${dir}/bindings/tap0`;
Deno.mkdirSync(`${dir}/bindings`);
// The captures' guest and host (tests/fixtures/README.md), as the serve tests set them up.
Deno.writeTextFileSync(
  BINDING,
  "HOSTNAME=testvm\nMAC=52:54:00:77:00:10\nIP=10.77.0.95\nSUBNET=10.77.0.0/24\n" +
    "GATEWAY=10.77.0.1\nSUBNET6=2001:db8:77::/64\n",
);
Deno.writeTextFileSync(`${dir}/bindings/tap1`, "MAC=52:54:00:00:00:99\nIP=10.77.0.96\n");
Deno.writeTextFileSync(
  CONF,
  `[general]\ndatapath = ${dir}/bindings\n[dhcp]\nserver_ip = 10.77.0.1\n` +
    "nameservers = 192.0.2.2, 192.0.2.3\ndomain = example.test\n",
);
const HOST = ["--indev-mac", "fe:54:00:77:00:01"];

async function replay(...args: string[]) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", MAIN, "replay", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: r.code, out: text(r.stdout), err: text(r.stderr) };
}

interface JsonRecord {
  number: number;
  decision: string;
  reason: string | null;
  why: string;
  request: { protocol: string; type: string; xid: string | null; malformed: string | null };
  reply: { type: string; fields: Record<string, unknown>; destination: string } | null;
}

async function replayJson(...args: string[]): Promise<JsonRecord[]> {
  const r = await replay("--json", ...args);
  assert.equal(r.code, 0, r.err);
  return r.out.trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

Deno.test("replay reads every fixture without FFI, exit 0, a decision for each request", async () => {
  const names = [...Deno.readDirSync(FIXTURES)].map((e) => e.name).filter((n) =>
    n.endsWith(".pcap")
  );
  assert.ok(names.length >= 20);
  for (const name of names.sort()) {
    const records = await replayJson(`${FIXTURES}${name}`, "-c", CONF, ...HOST, "--all");
    const packets = readCapture(Deno.readFileSync(`${FIXTURES}${name}`));
    assert.equal(records.length, packets.length, `${name}: one record per packet with --all`);
    for (const r of records) {
      assert.ok(["reply", "drop", "ignore", "skip"].includes(r.decision), `${name} #${r.number}`);
      assert.notEqual(r.why, "", `${name} #${r.number} says why`);
    }
  }
});

Deno.test("replay answers dhclient's DORA as the DHCPv4 responder does: OFFER, ACK, RELEASE dropped", async () => {
  const records = await replayJson(
    `${FIXTURES}dhclient4_dora_renew_release.pcap`,
    "-c",
    CONF,
    ...HOST,
  );
  assert.deepEqual(records.map((r) => [r.number, r.request.type, r.decision]), [
    [1, "DISCOVER", "reply"],
    [3, "REQUEST", "reply"],
    [7, "REQUEST", "reply"],
    [11, "RELEASE", "drop"],
  ]);
  const offer = records[0]!.reply!;
  assert.equal(offer.type, "OFFER");
  assert.equal(offer.destination, "10.77.0.95");
  assert.deepEqual(offer.fields, {
    chaddr: "52:54:00:77:00:10",
    yiaddr: "10.77.0.95",
    hostname: "testvm",
    domain: "example.test",
    broadcastAddress: "10.77.0.255",
    mask: "255.255.255.0",
    renewal: 600,
    lease: 604800,
    router: ["10.77.0.1"],
    dns: ["192.0.2.2", "192.0.2.3"],
    server: "10.77.0.1",
  });
  assert.equal(records[1]!.reply!.type, "ACK");
  assert.equal(records[3]!.reason, "no-reply");
  const text = await replay(`${FIXTURES}dhclient4_dora_renew_release.pcap`, "-c", CONF, ...HOST);
  assert.match(
    text.out,
    /^#1 17:09:38\.132 DHCPv4 DISCOVER from 52:54:00:77:00:10 xid 0xa83e8246 \(hostname testvm\) {2}-> {2}OFFER 10\.77\.0\.95 \(router 10\.77\.0\.1, dns 192\.0\.2\.2 192\.0\.2\.3, lease 604800s, mask 255\.255\.255\.0,/m,
  );
  assert.match(text.out, /^4 requests: 3 answered, 1 dropped, 0 passed on$/m);
});

/** A DISCOVER from the guest, the same with another Ethernet source, a cut BOOTP header. */
function mixedFrames(): Uint8Array[] {
  const fixture = (name: string) => readCapture(Deno.readFileSync(`${FIXTURES}${name}`));
  const discover = fixture("dhclient4_dora_renew_release.pcap")[0]!.data.slice();
  const spoofed = discover.slice();
  spoofed.set([0x52, 0x54, 0, 0x99, 0x99, 0x99], 6);
  const truncated = fixture("crafted_bootp_truncated_header.pcap")[0]!.data.slice();
  return [discover, spoofed, truncated];
}

function assertMixedDecisions(records: JsonRecord[], malformedAt: number): void {
  assert.deepEqual(records.map((r) => [r.decision, r.reason]), [
    ["reply", null],
    ["drop", "spoofed-mac"],
    ["drop", "malformed"],
  ]);
  assert.match(
    records[1]!.why,
    /spoofed MAC 52:54:00:99:99:99, the binding's MAC is 52:54:00:77:00:10/,
  );
  assert.match(records[2]!.why, /message of 100 bytes is shorter than the 236-byte BOOTP header/);
  assert.match(
    records[2]!.request.malformed!,
    new RegExp(`the DHCPv4 message starts at offset ${malformedAt} of the frame`),
  );
}

Deno.test("replay --binding shows a spoofed Ethernet source with both MACs, and where a packet breaks", async () => {
  const file = `${dir}/mixed.pcap`;
  const records = mixedFrames().map((data, i) => ({ seconds: 1704067200 + i, fraction: 0, data }));
  Deno.writeFileSync(file, classicPcap({ little: true, linkType: 1 }, records));
  assertMixedDecisions(await replayJson(file, "-c", CONF, "--binding", BINDING), 42);
});

Deno.test("replay reads a big-endian pcapng of Linux cooked v2 frames: same decisions, the MAC from the cooked header", async () => {
  const file = `${dir}/mixed.pcapng`;
  const cooked = mixedFrames().map((frame) => sll2(0, frame.subarray(6, 12), frame.subarray(14)));
  const section = pcapngSection(false, [
    { kind: "interface", iface: { linkType: 276, tsresol: 9 } },
    ...cooked.map((data, i) => ({
      kind: "enhanced" as const,
      interfaceId: 0,
      ticks: 1_704_067_200_000_000_000n + BigInt(i),
      data,
    })),
  ]);
  Deno.writeFileSync(file, section);
  // 20-byte cooked header + 20-byte IPv4 header + 8-byte UDP header.
  assertMixedDecisions(await replayJson(file, "-c", CONF, "--binding", BINDING), 48);
  // Matched by source MAC in the directory: the spoofed frame finds no binding and is passed on.
  const byMac = await replayJson(file, "-c", CONF);
  assert.deepEqual(byMac.map((r) => r.decision), ["reply", "ignore", "drop"]);
  assert.match(byMac[1]!.why, /no binding in .* has MAC 52:54:00:99:99:99/);
  // A packet this host sent (cooked packet type 4) is no request.
  Deno.writeFileSync(
    file,
    concat(pcapngSection(true, [
      { kind: "interface", iface: { linkType: 276 } },
      { kind: "enhanced", interfaceId: 0, ticks: 0n, data: cooked[0]!.fill(4, 10, 11) },
    ])),
  );
  assert.deepEqual(await replayJson(file, "-c", CONF), []);
});

Deno.test("replay exits 1 naming the offset of a cut record, 1 for a file that is no capture, 2 on misuse", async () => {
  const fixture = Deno.readFileSync(`${FIXTURES}dhclient4_dora_renew_release.pcap`);
  Deno.writeFileSync(`${dir}/cut.pcap`, fixture.subarray(0, 24 + 16 + 100));
  const cut = await replay(`${dir}/cut.pcap`, "-c", CONF);
  assert.equal(cut.code, 1);
  assert.match(
    cut.err,
    /Cannot read capture .*cut\.pcap: Truncated record at offset 24: 342 bytes captured, 100 present/,
  );
  const conf = await replay(CONF, "-c", CONF);
  assert.equal(conf.code, 1);
  assert.match(conf.err, /Not a capture: magic number 0x5b67656e/);
  for (
    const args of [[], ["a", "b"], ["x.pcap", "--indev-mac", "nope"], [
      "x.pcap",
      "--binding",
      BINDING,
      "--tap",
      "tap0",
    ]]
  ) {
    const r = await replay(...args);
    assert.equal(r.code, 2, `${args}: ${r.err}`);
    assert.match(r.err, /Usage: nfdhcpd replay/);
  }
});
