/** What the dispatcher records per packet: counters by type and reason, per-TAP activity, trace, logs. */
import assert from "node:assert/strict";
import type { QueuedPacket } from "../../ffi/nfqueue.ts";
import { parseBinding } from "../../src/bindings/binding.ts";
import { parseConfig } from "../../src/config/config.ts";
import { Dispatcher } from "../../src/daemon/dispatch.ts";
import type { TraceEvent } from "../../src/metrics/trace_event.ts";
import { type Level, Logger } from "../../src/daemon/log.ts";
import { ReplyMemo } from "../../src/serve/memo.ts";
import { FrameAllocator } from "../../src/wire/ethernet.ts";
import { parseMac } from "../../src/address.ts";
import { countsObject } from "../../src/metrics/traffic.ts";
import { capturedFrame } from "../pcap.ts";

const DORA = "dhclient4_dora_renew_release.pcap";
const DISCOVER = capturedFrame(DORA, 1).ipPacket;
const REQUEST = capturedFrame(DORA, 3).ipPacket;
const RS = capturedFrame("rdisc6_rs.pcap", 1).ipPacket;
const SOLICIT = capturedFrame("dhclient6_stateful_solicit_request_renew_release.pcap", 1).ipPacket;
const VM_MAC = parseMac("52:54:00:77:00:10")!;
const OTHER_MAC = parseMac("52:54:00:99:99:99")!;

function setup(level: Level = "info", onSend: (frame: Uint8Array) => void = () => {}) {
  const b = parseBinding(
    "tap0",
    "HOSTNAME=testvm\nMAC=52:54:00:77:00:10\nIP=10.77.0.95\nSUBNET=10.77.0.0/24\n" +
      "SUBNET6=2001:db8:77::/64\n",
  );
  const c = parseConfig("[dhcp]\nserver_ip = 10.77.0.1\n", "test.conf");
  if (!b.ok || !c.ok) throw new Error("setup");
  const lines: string[] = [];
  let clock = 1_000_000;
  const dispatcher = new Dispatcher({
    binding: (tap) => tap === "tap0" ? b.binding : undefined,
    interfaceName: (i) => i === 7 ? "tap0" : undefined,
    interfaceInfo: (name) =>
      name === "tap0" ? { name, ifindex: 7, mac: parseMac("fe:54:00:77:00:01")! } : undefined,
    send: (_, frame) => {
      onSend(frame);
      return null;
    },
    config: () => c.config,
    log: new Logger({ write: (l, m) => lines.push(`${l}: ${m}`), reopen() {}, close() {} }, level),
    memo: new ReplyMemo(),
    frames: new FrameAllocator(),
    now: () => clock,
  });
  return { dispatcher, lines, tick: (ms: number) => clock += ms };
}

function packet(payload: Uint8Array, hw: Uint8Array | null = VM_MAC, indev = 7): QueuedPacket {
  return { queue: 42, id: 1, payload, indev, physindev: 0, hwSource: () => hw };
}

Deno.test("Dispatcher counts requests, replies and refusals by protocol and message type", () => {
  const { dispatcher } = setup();
  for (const p of [DISCOVER, REQUEST, RS, SOLICIT]) dispatcher.handle(packet(p));
  dispatcher.handle(packet(DISCOVER, OTHER_MAC));
  dispatcher.handle(packet(DISCOVER, VM_MAC, 8)); // unbound: not a request of ours
  const t = dispatcher.traffic;
  assert.deepEqual(countsObject(t.requests), {
    dhcp4: { DISCOVER: 2, REQUEST: 1 },
    rs: { RS: 1 },
    dhcp6: { SOLICIT: 1 },
  });
  assert.deepEqual(countsObject(t.replies), {
    dhcp4: { OFFER: 1, ACK: 1 },
    rs: { RA: 1 },
    dhcp6: { ADVERTISE: 1 },
  });
  assert.deepEqual(countsObject(t.refused), { dhcp4: { "spoofed-mac": 1 } });
  assert.equal(t.latency.count, 4, "one latency per reply sent");
});

Deno.test("Dispatcher keeps each TAP's last request, reply (with the address) and refusal", () => {
  const { dispatcher, tick } = setup();
  dispatcher.handle(packet(DISCOVER));
  tick(1000);
  dispatcher.handle(packet(REQUEST));
  const a = dispatcher.traffic.activity("tap0")!;
  assert.deepEqual(
    [a.requestProtocol, a.requestType, a.requestAt, a.replyType, a.replyAddress, a.replyAt],
    ["dhcp4", "REQUEST", 1_001_000, "ACK", 0x0a4d005f, 1_001_000],
  );
  assert.equal(a.refusalReason, null);
  tick(1000);
  dispatcher.handle(packet(DISCOVER, OTHER_MAC));
  assert.deepEqual([a.refusalReason, a.refusalAt, a.replyType], ["spoofed-mac", 1_002_000, "ACK"]);
  assert.match(a.refusalWhy, /52:54:00:99:99:99/);
});

Deno.test("Dispatcher logs refusals at info with TAP, reason and MAC, 10 a minute per TAP", () => {
  const { dispatcher, lines } = setup("info");
  for (let i = 0; i < 25; i++) dispatcher.handle(packet(DISCOVER, OTHER_MAC));
  const refused = lines.filter((l) => l.startsWith("info: tap0: dropped (spoofed-mac): "));
  assert.equal(refused.length, 10, lines.join("\n"));
  assert.match(refused[0]!, /\(source MAC 52:54:00:99:99:99\)$/);
  const quiet = setup("warning");
  quiet.dispatcher.handle(packet(DISCOVER, OTHER_MAC));
  assert.deepEqual(quiet.lines, []);
});

Deno.test("Dispatcher hands the trace hook each decision, and nothing without a hook", () => {
  const { dispatcher } = setup();
  const events: TraceEvent[] = [];
  dispatcher.handle(packet(DISCOVER));
  dispatcher.trace = (e) => events.push(e);
  dispatcher.handle(packet(REQUEST));
  dispatcher.handle(packet(DISCOVER, OTHER_MAC));
  dispatcher.trace = () => {
    throw new Error("broken trace");
  };
  assert.equal(
    dispatcher.handle(packet(DISCOVER, OTHER_MAC)),
    "drop",
    "a broken trace changes no verdict",
  );
  dispatcher.trace = null;
  dispatcher.handle(packet(DISCOVER));
  assert.deepEqual(
    events.map((e) => [e.tap, e.requestType, e.mac, e.outcome, e.replyType, e.address, e.reason]),
    [
      ["tap0", "REQUEST", "52:54:00:77:00:10", "reply", "ACK", 0x0a4d005f, null],
      ["tap0", "DISCOVER", "52:54:00:99:99:99", "drop", null, 0, "spoofed-mac"],
    ],
  );
});

Deno.test("Dispatcher traces what the responder read and wrote: requested options, client id, options sent", () => {
  const { dispatcher } = setup();
  const events: TraceEvent[] = [];
  dispatcher.trace = (e) => events.push(e);
  dispatcher.handle(packet(DISCOVER));
  dispatcher.handle(packet(SOLICIT));
  const [offer, advertise] = events;
  // dhclient's parameter request list, as the capture carries it (option 55).
  const prl = capturedOption55(DISCOVER);
  assert.deepEqual(offer!.requested, prl);
  assert.deepEqual(offer!.options, [...dhcp4OptionCodes(replyTo(DISCOVER))]);
  assert.equal(offer!.options![offer!.options!.length - 1], 54, "the reply closes with 54");
  assert.ok(advertise!.clientId !== null && /^00:0[1-4]:/.test(advertise!.clientId), "a DUID");
  assert.deepEqual(advertise!.options!.slice(0, 2), [1, 2], "client and server identifiers first");
});

/** Option 55 of a DHCPv4 request, read by hand from its bytes (not with our parser). */
function capturedOption55(ip: Uint8Array): number[] {
  let i = (ip[0]! & 0x0f) * 4 + 8 + 240;
  while (i < ip.length && ip[i] !== 255) {
    if (ip[i] === 0) {
      i++;
      continue;
    }
    if (ip[i] === 55) return [...ip.subarray(i + 2, i + 2 + ip[i + 1]!)];
    i += 2 + ip[i + 1]!;
  }
  return [];
}

/** The option codes of a DHCPv4 reply frame, in order, but 53, read by hand from its bytes. */
function dhcp4OptionCodes(frame: Uint8Array): number[] {
  const codes: number[] = [];
  let i = 14 + 20 + 8 + 240;
  while (i < frame.length && frame[i] !== 255) {
    if (frame[i] === 0) {
      i++;
      continue;
    }
    codes.push(frame[i]!);
    i += 2 + frame[i + 1]!;
  }
  return codes;
}

/** The frame a fresh dispatcher sends for `request`. */
function replyTo(request: Uint8Array): Uint8Array {
  const frames: Uint8Array[] = [];
  const { dispatcher } = setup("info", (f) => frames.push(f.slice()));
  dispatcher.handle(packet(request));
  return frames[0]!;
}
