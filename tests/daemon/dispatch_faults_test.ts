/**
 * The dispatcher's fail-closed paths, with the faults injected: a responder that throws, lookups
 * that fail or throw, a binding removed while its packet is handled, a reply that cannot be sent.
 * Each asserts the verdict (DROP for a bound TAP's packet, whatever breaks) and the counter bumped.
 */
import assert from "node:assert/strict";
import type { QueuedPacket } from "../../ffi/nfqueue.ts";
import { type Binding, parseBinding } from "../../src/bindings/binding.ts";
import { parseConfig } from "../../src/config/config.ts";
import { type DispatchDeps, Dispatcher } from "../../src/daemon/dispatch.ts";
import { Logger } from "../../src/daemon/log.ts";
import { countsObject } from "../../src/metrics/traffic.ts";
import type { TraceEvent } from "../../src/metrics/trace_event.ts";
import { ReplyMemo } from "../../src/serve/memo.ts";
import { FrameAllocator } from "../../src/wire/ethernet.ts";
import { parseMac } from "../../src/address.ts";
import { capturedFrame } from "../pcap.ts";

const DISCOVER = capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket;
const SOLICIT = capturedFrame("dhclient6_stateful_solicit_request_renew_release.pcap", 1).ipPacket;
const VM_MAC = parseMac("52:54:00:77:00:10")!;

function bindingOf(): Binding {
  const parsed = parseBinding(
    "tap0",
    "MAC=52:54:00:77:00:10\nIP=10.77.0.95\nSUBNET=10.77.0.0/24\nSUBNET6=2001:db8:77::/64\n",
  );
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  return parsed.binding;
}

/** A dispatcher over TAP tap0 (ifindex 7), with `faults` replacing any of its edges. */
function setup(faults: Partial<DispatchDeps> = {}) {
  const config = parseConfig("[dhcp]\nserver_ip = 10.77.0.1\n", "test.conf");
  if (!config.ok) throw new Error(config.errors.join("\n"));
  const lines: string[] = [];
  const sent: Uint8Array[] = [];
  const b = bindingOf();
  const deps: DispatchDeps = {
    binding: (tap) => tap === "tap0" ? b : undefined,
    interfaceName: (i) => i === 7 ? "tap0" : undefined,
    interfaceInfo: (name) =>
      name === "tap0" ? { name, ifindex: 7, mac: parseMac("fe:54:00:77:00:01")! } : undefined,
    send: (_, frame) => {
      sent.push(frame);
      return null;
    },
    config: () => config.config,
    log: new Logger({ write: (l, m) => lines.push(`${l}: ${m}`), reopen() {}, close() {} }, "info"),
    memo: new ReplyMemo(),
    frames: new FrameAllocator(),
    ...faults,
  };
  return { dispatcher: new Dispatcher(deps), lines, sent, binding: b };
}

function packet(payload: Uint8Array, indev = 7): QueuedPacket {
  return { queue: 42, id: 1, payload, indev, physindev: 0, hwSource: () => VM_MAC };
}

/** A frame allocator that fails: the responder throws in the middle of building its reply. */
class BrokenAllocator extends FrameAllocator {
  override allocate(_length: number): Uint8Array {
    throw new RangeError("injected: no frame");
  }
}

Deno.test("a responder that throws: DROP, one error counted and logged, the request still counted", () => {
  const { dispatcher, lines, sent } = setup({ frames: new BrokenAllocator() });
  assert.equal(dispatcher.handle(packet(DISCOVER)), "drop");
  assert.deepEqual(dispatcher.stats, { replies: 0, drops: 0, passes: 0, errors: 1 });
  assert.deepEqual(countsObject(dispatcher.traffic.requests), { dhcp4: { DISCOVER: 1 } });
  assert.equal(sent.length, 0);
  assert.ok(lines.some((l) => l.startsWith("error: ") && l.includes("injected: no frame")));
});

Deno.test("a configuration read that throws inside the decision: DROP and an error", () => {
  const { dispatcher } = setup({
    config: () => {
      throw new Error("injected: config");
    },
  });
  assert.equal(dispatcher.handle(packet(SOLICIT)), "drop");
  assert.equal(dispatcher.stats.errors, 1);
});

Deno.test("INDEV's lookup comes back empty: DROP, refused as no-interface, nothing sent", () => {
  const { dispatcher, sent } = setup({ interfaceInfo: () => undefined });
  for (const request of [DISCOVER, SOLICIT]) {
    assert.equal(dispatcher.handle(packet(request)), "drop");
  }
  assert.equal(sent.length, 0);
  assert.equal(dispatcher.refusals.get("no-interface"), 2);
  assert.deepEqual(dispatcher.stats, { replies: 0, drops: 2, passes: 0, errors: 0 });
});

Deno.test("INDEV's lookup throws: DROP and an error, not a pass", () => {
  const { dispatcher } = setup({
    interfaceInfo: () => {
      throw new Error("injected: netlink cache");
    },
  });
  assert.equal(dispatcher.handle(packet(DISCOVER)), "drop");
  assert.deepEqual(dispatcher.stats, { replies: 0, drops: 0, passes: 0, errors: 1 });
});

Deno.test("the TAP's own lookup throws: DROP (it may be a bound VM's) and an error", () => {
  for (
    const faults of [
      {
        interfaceName: () => {
          throw new Error("injected: ifindex");
        },
      },
      {
        binding: () => {
          throw new Error("injected: store");
        },
      },
    ] satisfies Partial<DispatchDeps>[]
  ) {
    const { dispatcher, lines } = setup(faults);
    assert.equal(dispatcher.handle(packet(DISCOVER)), "drop");
    assert.deepEqual(dispatcher.stats, { replies: 0, drops: 0, passes: 0, errors: 1 });
    assert.ok(lines.some((l) => l.startsWith("error: ") && l.includes("injected")));
  }
});

Deno.test("a binding removed between its lookup and the reply: this packet answered from what was read, DROP; the next passes", () => {
  let bound: Binding | undefined = bindingOf();
  const sent: Uint8Array[] = [];
  const { dispatcher } = setup({
    binding: (tap) => tap === "tap0" ? bound : undefined,
    send: (_, frame) => {
      // The store drops the binding while the reply is on its way (a reload, a file removed).
      bound = undefined;
      sent.push(frame);
      return null;
    },
  });
  assert.equal(dispatcher.handle(packet(DISCOVER)), "drop");
  assert.equal(sent.length, 1, "answered from the binding as it was looked up");
  assert.equal(dispatcher.stats.replies, 1);
  assert.equal(dispatcher.handle(packet(DISCOVER)), "accept", "no binding now: passed on");
  assert.equal(dispatcher.stats.passes, 1);
});

Deno.test("a reply that cannot be sent: DROP, an error, no reply counted", () => {
  const failing = setup({ send: () => "Cannot send: Network is down" });
  assert.equal(failing.dispatcher.handle(packet(DISCOVER)), "drop");
  assert.deepEqual(failing.dispatcher.stats, { replies: 0, drops: 0, passes: 0, errors: 1 });
  assert.deepEqual(countsObject(failing.dispatcher.traffic.replies), {});
  const throwing = setup({
    send: () => {
      throw new Error("injected: sendto");
    },
  });
  const traced: TraceEvent[] = [];
  throwing.dispatcher.trace = (event) => traced.push(event);
  assert.equal(throwing.dispatcher.handle(packet(DISCOVER)), "drop");
  assert.deepEqual(throwing.dispatcher.stats, { replies: 0, drops: 0, passes: 0, errors: 1 });
  // A trace client is told it failed, not that the OFFER went out.
  assert.deepEqual(
    traced.map((e) => [e.outcome, e.replyType, e.why]),
    [["error", null, "failed (see the log)"]],
  );
});

Deno.test("DHCPv6 from a multicast source is refused as malformed (RFC 4291 2.7), not answered", () => {
  const { dispatcher, sent } = setup();
  const multicast = SOLICIT.slice();
  // ff02::1 as the source (bytes 8-23 of the IPv6 header); the UDP checksum is not enforced.
  multicast.set([0xff, 0x02, ...new Array<number>(13).fill(0), 0x01], 8);
  assert.equal(dispatcher.handle(packet(multicast)), "drop");
  assert.equal(sent.length, 0);
  assert.equal(dispatcher.refusals.get("malformed"), 1);
  assert.equal(dispatcher.handle(packet(SOLICIT)), "drop");
  assert.equal(sent.length, 1, "the same Solicit from its link-local address is answered");
});
