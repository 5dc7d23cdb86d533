/** The dispatcher: one verdict per packet, replies into the TAP, unbound interfaces untouched. */
import assert from "node:assert/strict";
import type { QueuedPacket } from "../../ffi/nfqueue.ts";
import type { Binding } from "../../src/bindings/binding.ts";
import { parseBinding } from "../../src/bindings/binding.ts";
import { parseConfig } from "../../src/config/config.ts";
import type { Config } from "../../src/config/types.ts";
import { classify, type DispatchDeps, Dispatcher } from "../../src/daemon/dispatch.ts";
import { Logger, type LogSink } from "../../src/daemon/log.ts";
import { parseMac } from "../../src/wire/address.ts";
import { capturedFrame } from "../pcap.ts";

const DISCOVER = capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket;
const RS = capturedFrame("rdisc6_rs.pcap", 1).ipPacket;

function binding(): Binding {
  const parsed = parseBinding(
    "tap0",
    "HOSTNAME=testvm\nMAC=52:54:00:77:00:10\nIP=10.77.0.95\nSUBNET=10.77.0.0/24\n" +
      "SUBNET6=2001:db8:77::/64\n",
  );
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  return parsed.binding;
}

function config(extra = ""): Config {
  const parsed = parseConfig(`[dhcp]\nserver_ip = 10.77.0.1\n${extra}`, "test.conf");
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  return parsed.config;
}

/** A dispatcher over one bound TAP (ifindex 7) and one unbound (ifindex 8), recording sends. */
function setup(options: { config?: Config; send?: () => string | null } = {}) {
  const sent: { ifindex: number; frame: Uint8Array }[] = [];
  const lines: string[] = [];
  const sink: LogSink = {
    write: (level, m) => lines.push(`${level}: ${m}`),
    reopen() {},
    close() {},
  };
  const b = binding();
  const deps: DispatchDeps = {
    binding: (tap) => tap === "tap0" ? b : undefined,
    interfaceName: (i) => ({ 7: "tap0", 8: "tap1" } as Record<number, string>)[i],
    interfaceInfo: (name) =>
      name === "tap0" ? { name, ifindex: 7, mac: parseMac("fe:54:00:77:00:01")! } : undefined,
    send: (ifindex, frame) => {
      sent.push({ ifindex, frame });
      return options.send?.() ?? null;
    },
    config: () => options.config ?? config(),
    log: new Logger(sink, "debug"),
  };
  return { dispatcher: new Dispatcher(deps), sent, lines };
}

function packet(payload: Uint8Array, indev: number, physindev = 0): QueuedPacket {
  return { queue: 42, id: 1, payload, indev, physindev, hwSource: () => null };
}

Deno.test("classify() tells DHCPv4, RS, NS and DHCPv6 from their headers", () => {
  assert.equal(classify(DISCOVER), "dhcp4");
  assert.equal(classify(RS), "rs");
  assert.equal(classify(capturedFrame("kernel_ns_gateway_ping.pcap", 1).ipPacket), "ns");
  assert.equal(classify(capturedFrame("dhcp6c_inforeq.pcap", 1).ipPacket), "dhcp6");
  assert.equal(classify(new Uint8Array(60)), null);
});

Deno.test("Dispatcher.handle() answers a bound TAP into that TAP and drops the request", () => {
  const { dispatcher, sent } = setup();
  assert.equal(dispatcher.handle(packet(DISCOVER, 7)), "drop");
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.ifindex, 7);
  assert.deepEqual(dispatcher.stats, { replies: 1, drops: 0, passes: 0, errors: 0 });
});

Deno.test("Dispatcher.handle() sends into the bridge port (physindev) when bridged", () => {
  const { dispatcher, sent } = setup();
  assert.equal(dispatcher.handle(packet(DISCOVER, 99, 7)), "drop");
  assert.equal(sent[0]!.ifindex, 7);
});

Deno.test("Dispatcher.handle() passes unbound and unknown interfaces on untouched", () => {
  const { dispatcher, sent } = setup();
  assert.equal(dispatcher.handle(packet(DISCOVER, 8)), "accept");
  assert.equal(dispatcher.handle(packet(DISCOVER, 1234)), "accept");
  assert.equal(sent.length, 0);
});

Deno.test("Dispatcher.handle() passes a disabled service on, and drops what it will not answer", () => {
  const off = setup({ config: config("enable_dhcp = no\n") });
  assert.equal(off.dispatcher.handle(packet(DISCOVER, 7)), "accept");
  const v6off = setup({ config: config("[ipv6]\nenable_ipv6 = no\n") });
  assert.equal(v6off.dispatcher.handle(packet(RS, 7)), "accept");
  const { dispatcher, sent } = setup();
  const truncated = DISCOVER.slice(0, 100);
  truncated[2] = 0;
  truncated[3] = 100;
  assert.equal(dispatcher.handle(packet(truncated, 7)), "drop");
  assert.equal(sent.length, 0);
});

Deno.test("Dispatcher.handle() still drops when the reply cannot be sent, with a warning", () => {
  const { dispatcher, lines } = setup({ send: () => "Cannot send: No buffer space available" });
  assert.equal(dispatcher.handle(packet(DISCOVER, 7)), "drop");
  assert.equal(dispatcher.stats.errors, 1);
  assert.ok(
    lines.some((l) => l.startsWith("warning: ") && l.includes("No buffer space")),
    lines.join("\n"),
  );
});
