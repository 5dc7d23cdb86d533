/** The dispatcher: one verdict per packet, replies into the TAP, unbound interfaces untouched. */
import assert from "node:assert/strict";
import type { QueuedPacket } from "../../ffi/nfqueue.ts";
import type { Binding } from "../../src/bindings/binding.ts";
import { parseBinding } from "../../src/bindings/binding.ts";
import { parseConfig } from "../../src/config/config.ts";
import type { Config } from "../../src/config/types.ts";
import { type DispatchDeps, Dispatcher } from "../../src/daemon/dispatch.ts";
import { classify } from "../../src/serve/decide.ts";
import { Logger, type LogSink } from "../../src/daemon/log.ts";
import { ReplyMemo } from "../../src/serve/memo.ts";
import { FrameAllocator } from "../../src/wire/ethernet.ts";
import { parseMac } from "../../src/address.ts";
import { parseDhcp6 } from "../../src/wire/dhcp6.ts";
import { findDhcp6Option } from "../../src/wire/dhcp6_options.ts";
import { parseIpv6Packet } from "../../src/wire/ipv6.ts";
import { parseUdp } from "../../src/wire/udp.ts";
import { capturedFrame } from "../pcap.ts";
import {
  asIpv4Fragment,
  DESTINATION_OPTIONS,
  FRAGMENT,
  HOP_BY_HOP,
  ROUTING,
  withExtensionHeaders,
} from "../wire/craft.ts";

const DISCOVER = capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket;
const RS = capturedFrame("rdisc6_rs.pcap", 1).ipPacket;
const SOLICIT = capturedFrame("dhclient6_stateful_solicit_request_renew_release.pcap", 1).ipPacket;
const NS = capturedFrame("kernel_ns_gateway_ping.pcap", 1).ipPacket;

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
function setup(
  options: { config?: Config; send?: () => string | null; mtu?: number } = {},
) {
  const sent: { ifindex: number; frame: Uint8Array }[] = [];
  const lines: string[] = [];
  const sink: LogSink = {
    write: (level, m) => lines.push(`${level}: ${m}`),
    reopen() {},
    close() {},
  };
  const b = binding();
  const memo = new ReplyMemo();
  const deps: DispatchDeps = {
    binding: (tap) => tap === "tap0" ? b : undefined,
    interfaceName: (i) => ({ 7: "tap0", 8: "tap1" } as Record<number, string>)[i],
    interfaceInfo: (name) =>
      name === "tap0"
        ? { name, ifindex: 7, mac: parseMac("fe:54:00:77:00:01")!, mtu: options.mtu }
        : undefined,
    send: (ifindex, frame) => {
      sent.push({ ifindex, frame });
      return options.send?.() ?? null;
    },
    config: () => options.config ?? config(),
    log: new Logger(sink, "debug"),
    memo,
    frames: new FrameAllocator(),
  };
  return { dispatcher: new Dispatcher(deps), sent, lines, memo };
}

function packet(
  payload: Uint8Array,
  indev: number,
  physindev = 0,
  hwSource: Uint8Array | null = null,
): QueuedPacket {
  return { queue: 42, id: 1, payload, indev, physindev, hwSource: () => hwSource };
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
  // At debug, each packet passed on is logged with why.
  const passed = off.lines.filter((l) => l.includes("passed on"));
  assert.equal(passed.length, 1, off.lines.join("\n"));
  assert.match(passed[0]!, /^debug: tap0: passed on: .*DHCP/);
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

Deno.test("Dispatcher.handle() drops IPv4 fragments of a DISCOVER from a bound TAP, passes them from an unbound one", () => {
  const { dispatcher, sent } = setup();
  for (
    const fragment of [
      asIpv4Fragment(DISCOVER, true, 0),
      asIpv4Fragment(DISCOVER, false, 185),
      asIpv4Fragment(DISCOVER, true, 1),
    ]
  ) {
    assert.equal(dispatcher.handle(packet(fragment, 7)), "drop");
    assert.equal(dispatcher.handle(packet(fragment, 8)), "accept");
  }
  assert.equal(sent.length, 0);
  assert.equal(dispatcher.refusals.get("fragment"), 3);
});

Deno.test("Dispatcher.handle() answers requests behind Hop-by-Hop, Destination Options and Routing headers", () => {
  for (const request of [SOLICIT, RS, NS]) {
    for (
      const chain of [[HOP_BY_HOP], [DESTINATION_OPTIONS], [
        HOP_BY_HOP,
        ROUTING,
        DESTINATION_OPTIONS,
      ]]
    ) {
      const { dispatcher, sent } = setup();
      const hidden = withExtensionHeaders(request, chain);
      assert.equal(classify(hidden), classify(request));
      assert.equal(dispatcher.handle(packet(hidden, 7)), "drop");
      assert.equal(sent.length, 1, `a reply behind ${chain}`);
    }
  }
  // A disabled service still passes on, wherever its header sits.
  const v6off = setup({ config: config("[ipv6]\nenable_ipv6 = no\n") });
  const hidden = withExtensionHeaders(SOLICIT, [HOP_BY_HOP]);
  assert.equal(v6off.dispatcher.handle(packet(hidden, 7)), "accept");
});

Deno.test("Dispatcher.handle() drops a bound TAP's IPv6 fragments and broken or endless header chains", () => {
  const { dispatcher, sent } = setup();
  const fragment = withExtensionHeaders(SOLICIT, [HOP_BY_HOP, FRAGMENT]);
  const endless = withExtensionHeaders(SOLICIT, Array(9).fill(DESTINATION_OPTIONS));
  const cut = withExtensionHeaders(SOLICIT, [HOP_BY_HOP]);
  cut[41] = 200; // a Hop-by-Hop header longer than the packet
  for (const hostile of [fragment, endless, cut]) {
    assert.equal(dispatcher.handle(packet(hostile, 7)), "drop");
    assert.equal(dispatcher.handle(packet(hostile, 8)), "accept");
  }
  assert.equal(sent.length, 0);
  assert.equal(dispatcher.refusals.get("fragment"), 1);
  assert.equal(dispatcher.refusals.get("malformed"), 2);
});

Deno.test("Dispatcher.handle() drops what it cannot classify from a bound TAP, passes it from an unbound one", () => {
  const { dispatcher } = setup();
  const dns = DISCOVER.slice();
  const portAt = (dns[0]! & 0x0f) * 4 + 2;
  dns[portAt] = 0;
  dns[portAt + 1] = 53;
  for (const other of [dns, new Uint8Array(60)]) {
    assert.equal(dispatcher.handle(packet(other, 7)), "drop");
    assert.equal(dispatcher.handle(packet(other, 8)), "accept");
  }
  assert.equal(dispatcher.refusals.get("unsupported"), 2);
});

Deno.test("Dispatcher.handle() refuses every protocol when the frame's source MAC is not the binding's", () => {
  const other = parseMac("52:54:00:77:00:11")!;
  const own = parseMac("52:54:00:77:00:10")!;
  for (const request of [DISCOVER, RS, NS, SOLICIT]) {
    const { dispatcher, sent, lines } = setup();
    assert.equal(dispatcher.handle(packet(request, 7, 0, other)), "drop");
    assert.equal(sent.length, 0, `${classify(request)} from another MAC`);
    assert.equal(dispatcher.refusals.get("spoofed-mac"), 1);
    assert.ok(lines.some((l) => l.includes("(spoofed-mac)") && l.includes("52:54:00:77:00:11")));
    assert.equal(dispatcher.handle(packet(request, 7, 0, own)), "drop");
    assert.equal(sent.length, 1, `${classify(request)} from the binding's MAC`);
  }
});

Deno.test("Dispatcher.handle() never sends a reply larger than INDEV's MTU", () => {
  const { dispatcher, sent } = setup({ mtu: 300 });
  assert.equal(dispatcher.handle(packet(DISCOVER, 7)), "drop");
  assert.equal(sent.length, 0);
  assert.equal(dispatcher.refusals.get("too-large"), 1);
  const roomy = setup({ mtu: 1500 });
  roomy.dispatcher.handle(packet(DISCOVER, 7));
  assert.equal(roomy.sent.length, 1);
  // The MTU counts the IP packet, not the Ethernet header: a reply of exactly the MTU goes out.
  const ipSize = roomy.sent[0]!.frame.length - 14;
  const exact = setup({ mtu: ipSize });
  exact.dispatcher.handle(packet(DISCOVER, 7));
  assert.equal(exact.sent.length, 1, `a ${ipSize}-byte reply on an MTU of ${ipSize}`);
  const short = setup({ mtu: ipSize - 1 });
  short.dispatcher.handle(packet(DISCOVER, 7));
  assert.equal(short.sent.length, 0);
});

Deno.test("Dispatcher.handle() leases DHCPv6 addresses for the [dhcp] lease times", () => {
  const { dispatcher, sent } = setup({
    config: config("lease_lifetime = 3600\nlease_renewal = 120\n[ipv6]\nmode = dhcpv6\n"),
  });
  assert.equal(dispatcher.handle(packet(SOLICIT, 7)), "drop");
  const ip = parseIpv6Packet(sent[0]!.frame.subarray(14));
  const udp = ip.ok ? parseUdp(ip.value.payload) : null;
  const reply = udp?.ok ? parseDhcp6(udp.value.payload) : null;
  assert.ok(reply?.ok);
  const ia = findDhcp6Option(reply.value.options, "iaNa");
  assert.equal(ia?.t1, 120);
  assert.equal(ia?.t2, 2880);
  assert.equal(findDhcp6Option(ia.options, "iaAddress")?.validLifetime, 3600);
});

Deno.test("Dispatcher.handle() answers a repeated DISCOVER from the daemon's memo", () => {
  const { dispatcher, sent, memo } = setup({ config: config() });
  dispatcher.handle(packet(DISCOVER, 7));
  dispatcher.handle(packet(DISCOVER, 7));
  assert.equal(memo.dhcp4Replies.hits, 1);
  assert.deepEqual([...sent[1]!.frame], [...sent[0]!.frame]);
  memo.clear();
  dispatcher.handle(packet(DISCOVER, 7));
  assert.equal(memo.dhcp4Replies.hits, 1);
  assert.deepEqual([...sent[2]!.frame], [...sent[0]!.frame]);
});

Deno.test("Dispatcher.handle() logs at most 30 replies a minute for one TAP", () => {
  const { dispatcher, lines } = setup();
  for (let i = 0; i < 35; i++) assert.equal(dispatcher.handle(packet(DISCOVER, 7)), "drop");
  assert.equal(dispatcher.stats.replies, 35);
  assert.equal(lines.filter((l) => /^info: DHCPOFFER /.test(l)).length, 30);
});

Deno.test("Dispatcher.handle() without a clock of its own stamps activity with the wall clock", () => {
  const { dispatcher } = setup();
  const before = Date.now();
  dispatcher.handle(packet(DISCOVER, 7));
  const at = dispatcher.traffic.activity("tap0")?.requestAt ?? 0;
  // performance.now() alone would be milliseconds since the process started, decades ago.
  assert.ok(at >= before - 1000 && at <= Date.now() + 1000, `stamped ${at}, now ${before}`);
});

Deno.test("Dispatcher.handle() observes each reply's latency as the seconds it took, not more", () => {
  const { dispatcher } = setup();
  const started = performance.now();
  dispatcher.handle(packet(DISCOVER, 7));
  const took = (performance.now() - started) / 1000;
  const { latency } = dispatcher.traffic;
  assert.equal(latency.count, 1);
  assert.ok(latency.sum >= 0 && latency.sum <= took, `observed ${latency.sum} s of ${took} s`);
});

Deno.test("Dispatcher.handle() at debug logs a reply's details only when the responder gave some", () => {
  for (const request of [DISCOVER, RS, NS, SOLICIT]) {
    const { dispatcher, lines } = setup();
    assert.equal(dispatcher.handle(packet(request, 7)), "drop");
    assert.deepEqual(lines.filter((l) => l.includes("undefined")), []);
  }
});

Deno.test("Dispatcher.handle() at debug logs every refusal, at debug, not 10 a minute at info", () => {
  const { dispatcher, lines } = setup();
  // Twelve packets a bound TAP sends that no responder takes: each one dropped and logged.
  for (let i = 0; i < 12; i++) {
    assert.equal(dispatcher.handle(packet(new Uint8Array(60), 7)), "drop");
  }
  const refusals = lines.filter((l) => l.includes(": dropped ("));
  assert.equal(refusals.length, 12);
  for (const l of refusals) assert.match(l, /^debug: tap0: dropped \(unsupported\): /);
});
