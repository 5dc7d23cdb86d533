/**
 * decidePacket(): unserved packets dropped, a service turned off passed on, a missing INDEV
 * refused, and every reply checked against the link's MTU; the report labelled from the headers.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/config.ts";
import {
  classify,
  decidePacket,
  type DecisionDeps,
  labelsOf,
  serviceFor,
} from "../../src/serve/decide.ts";
import type { InterfaceInfo } from "../../src/serve/decision.ts";
import { ReplyMemo } from "../../src/serve/memo.ts";
import { RequestReport } from "../../src/serve/packet_report.ts";
import { FrameAllocator } from "../../src/wire/ethernet.ts";
import { capturedFrame } from "../pcap.ts";
import { BINDING, INDEV } from "./dhcp4_setup.ts";

const DISCOVER = capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket;
const RS = capturedFrame("rdisc6_rs.pcap", 1).ipPacket;
const PING = capturedFrame("kernel_ns_gateway_ping.pcap", 3).ipPacket; // ICMPv6 echo request

function deps(conf = "", indev: InterfaceInfo | null = INDEV): DecisionDeps {
  const r = parseConfig(`[dhcp]\nserver_ip = 10.77.0.1\n${conf}`, "t.conf");
  if (!r.ok) throw new Error(r.errors.join("; "));
  const config = r.config;
  return {
    config: () => config,
    interfaceInfo: () => indev ?? undefined,
    memo: new ReplyMemo(),
    frames: new FrameAllocator(),
  };
}

function decide(packet: Uint8Array, d = deps(), binding = BINDING, report = new RequestReport()) {
  return decidePacket(
    { payload: packet, hwSource: () => BINDING.mac },
    binding,
    d,
    0,
    serviceFor(packet),
    report,
  );
}

Deno.test("classify() and labelsOf() name a packet's service and type from its headers alone", () => {
  assert.equal(classify(DISCOVER), "dhcp4");
  assert.equal(classify(RS), "rs");
  assert.equal(classify(PING), null);
  assert.deepEqual(labelsOf(serviceFor(RS)), { protocol: "rs", type: "RS" });
  assert.deepEqual(labelsOf(serviceFor(DISCOVER)), { protocol: "dhcp4", type: "other" });
  assert.deepEqual(labelsOf(serviceFor(PING)), { protocol: "other", type: "other" });
});

Deno.test("decidePacket() answers a DISCOVER and fills the report", () => {
  const report = new RequestReport();
  const d = decide(DISCOVER, deps(), BINDING, report);
  assert.equal(d.kind, "reply");
  assert.equal(report.type, "DISCOVER");
  assert.ok(d.kind === "reply" && d.wrote.type === "OFFER");
});

Deno.test("decidePacket() drops what no service takes, with the reason the table gives", () => {
  const report = new RequestReport();
  report.read("DISCOVER", null, null);
  const d = decide(PING, deps(), BINDING, report);
  assert.equal(d.kind, "drop");
  assert.ok(d.kind === "drop" && d.reason === "unsupported", JSON.stringify(d));
  assert.equal(report.type, "other", "the report is reset for the packet");
});

Deno.test("decidePacket() passes on a request of a service turned off", () => {
  assert.deepEqual(decide(DISCOVER, deps("enable_dhcp = no\n")), {
    kind: "ignore",
    why: "DHCP is disabled",
  });
  assert.deepEqual(decide(RS, deps("[ipv6]\nenable_ipv6 = no\n")), {
    kind: "ignore",
    why: "IPv6 is disabled",
  });
});

Deno.test("decidePacket() refuses when the binding's INDEV does not exist", () => {
  assert.deepEqual(decide(DISCOVER, deps("", null)), {
    kind: "drop",
    reason: "no-interface",
    why: "INDEV tap0 of tap0 does not exist",
  });
});

Deno.test("decidePacket() refuses a reply larger than the link or the binding's MTU, sends one that fits", () => {
  const d = decide(DISCOVER);
  assert.ok(d.kind === "reply");
  const size = d.frame.length - 14;
  const fits = decide(DISCOVER, deps("", { ...INDEV, mtu: size }));
  assert.equal(fits.kind, "reply", "exactly the MTU fits");
  const over = decide(DISCOVER, deps("", { ...INDEV, mtu: size - 1 }));
  assert.equal(over.kind, "drop");
  assert.ok(over.kind === "drop" && over.reason === "too-large");
  assert.match(over.why, new RegExp(`: reply of ${size} bytes exceeds the MTU ${size - 1}$`));
  const small = decide(DISCOVER, deps(), { ...BINDING, mtu: size - 1 });
  assert.ok(small.kind === "drop" && small.reason === "too-large", "the binding's MTU too");
});
