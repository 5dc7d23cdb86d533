/**
 * The Announcer: forgets kept replies, sends RA, NAs and gratuitous ARP into a VM's TAP, and keeps
 * the bindings it could not announce (TAP or INDEV missing, send refused) waiting.
 */
import assert from "node:assert/strict";
import type { InterfaceEntry } from "../../ffi/interfaces.ts";
import { parseIpv6, parseMac } from "../../src/address.ts";
import type { Binding } from "../../src/bindings/binding.ts";
import { parseConfig } from "../../src/config/config.ts";
import { Announcer, type AnnouncerDeps } from "../../src/daemon/announcer.ts";
import { Logger } from "../../src/daemon/log.ts";
import { ReplyMemo } from "../../src/serve/memo.ts";

const BINDING: Binding = {
  tap: "tap1",
  hostname: "vm1",
  indev: "br0",
  mac: parseMac("52:54:00:77:00:10")!,
  macText: "52:54:00:77:00:10",
  ip: 0x0a4d005f,
  subnet: { network: 0x0a4d0000, prefixLength: 24 },
  gateway: 0x0a4d0001,
  subnet6: { prefix: parseIpv6("2001:db8:77::")!, prefixLength: 64 },
  gateway6: parseIpv6("2001:db8:77::1")!,
  eui64: null,
  mtu: null,
  private: false,
  macspoof: false,
};

const TAP: InterfaceEntry = { name: "tap1", ifindex: 11, mac: parseMac("fe:54:00:00:00:11")! };
const BR: InterfaceEntry = { name: "br0", ifindex: 2, mac: parseMac("fe:54:00:77:00:01")! };

/** An announcer over `interfaces`, recording what it sends and logs; `refuse` fails sends. */
function announcer(
  options: {
    interfaces?: InterfaceEntry[];
    refuse?: string | null;
    conf?: string;
    throws?: boolean;
  } = {},
) {
  const sent: { ifindex: number; frame: Uint8Array }[] = [];
  const lines: string[] = [];
  const r = parseConfig(`[dhcp]\nserver_ip = 10.77.0.1\n${options.conf ?? ""}`, "t.conf");
  if (!r.ok) throw new Error(r.errors.join("; "));
  const config = r.config;
  const byName = new Map((options.interfaces ?? [TAP, BR]).map((i) => [i.name, i]));
  const memo = new ReplyMemo();
  const deps: AnnouncerDeps = {
    interfaceOf: (b) => b.tap,
    interfaceByName: (name) => byName.get(name),
    send: (ifindex, frame) => {
      if (options.throws) throw new Error("EBADF");
      sent.push({ ifindex, frame: frame.slice() });
      return options.refuse ?? null;
    },
    config: () => config,
    memo,
    log: new Logger(
      { write: (l, m) => lines.push(`${l}: ${m}`), reopen() {}, close() {} },
      "debug",
    ),
  };
  return { a: new Announcer(deps), sent, lines, memo };
}

/** The EtherType and destination MAC of a frame sent. */
const head = (frame: Uint8Array) => ({
  dst: Array.from(frame.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join(":"),
  etherType: (frame[12]! << 8) | frame[13]!,
});

Deno.test("Announcer sends the RA, both NAs and the ARP into the TAP, from INDEV's MAC", () => {
  const { a, sent, lines } = announcer();
  a.carryOut([
    { kind: "send-ra", binding: BINDING },
    { kind: "send-na", binding: BINDING },
    { kind: "send-arp", binding: BINDING },
  ]);
  assert.deepEqual(sent.map((s) => s.ifindex), [11, 11, 11, 11]);
  assert.deepEqual(sent.map((s) => head(s.frame)), [
    { dst: "52:54:00:77:00:10", etherType: 0x86dd },
    { dst: "52:54:00:77:00:10", etherType: 0x86dd },
    { dst: "52:54:00:77:00:10", etherType: 0x86dd },
    { dst: "52:54:00:77:00:10", etherType: 0x0806 },
  ]);
  for (const s of sent) assert.deepEqual(s.frame.subarray(6, 12), BR.mac, "from INDEV's MAC");
  assert.deepEqual(lines, [
    "debug: Unsolicited RA into tap1: sent",
    "debug: Unsolicited NA into tap1: sent",
    "debug: Unsolicited NA into tap1: sent",
    "debug: Unsolicited ARP into tap1: sent",
  ]);
  assert.equal(a.waiting.size, 0);
});

Deno.test("Announcer keeps a binding waiting while its TAP or its INDEV is missing", () => {
  for (const interfaces of [[BR], [TAP]]) {
    const { a, sent } = announcer({ interfaces });
    assert.equal(a.advertise(BINDING), false);
    a.carryOut([{ kind: "send-na", binding: BINDING }, { kind: "send-arp", binding: BINDING }]);
    assert.deepEqual(sent, []);
    assert.deepEqual([...a.waiting], ["tap1"]);
    a.carryOut([{ kind: "unwait", tap: "tap1" }]);
    assert.equal(a.waiting.size, 0);
  }
});

Deno.test("Announcer keeps a binding waiting when its TAP refuses a frame (a VM not running)", () => {
  const { a, sent, lines } = announcer({ refuse: "ENETDOWN" });
  assert.equal(a.advertise(BINDING), false);
  assert.deepEqual([...a.waiting], ["tap1"]);
  a.carryOut([{ kind: "unwait", tap: "tap1" }, { kind: "send-na", binding: BINDING }]);
  assert.equal(sent.length, 2, "the first NA refused: the second is not tried");
  assert.deepEqual([...a.waiting], ["tap1"]);
  assert.deepEqual(lines.slice(-1), ["debug: Unsolicited NA into tap1: ENETDOWN"]);
});

Deno.test("Announcer sends no RA when RS is not queued", () => {
  const { a, sent } = announcer({ conf: "[ipv6]\nenable_ipv6 = no\n" });
  assert.equal(a.advertise(BINDING), false);
  assert.deepEqual(sent, []);
  assert.equal(a.waiting.size, 0, "nothing to wait for");
});

Deno.test("Announcer logs a send that throws as an error, per kind, and goes on", () => {
  const { a, lines } = announcer({ throws: true });
  a.carryOut([{ kind: "send-arp", binding: BINDING }, { kind: "send-ra", binding: BINDING }]);
  assert.deepEqual(lines, [
    "error: Cannot send ARP into tap1: EBADF",
    "error: Cannot send RA into tap1: EBADF",
  ]);
});

Deno.test("Announcer forgets one TAP's kept replies, or all of them", () => {
  const { a, memo } = announcer();
  let builds = 0;
  const settings = {};
  const other = { ...BINDING, tap: "tap2" };
  for (const b of [BINDING, other]) {
    memo.searchDomains.get(b, settings, null, () => [`${++builds}`]);
  }
  a.carryOut([{ kind: "forget", tap: "tap1" }]);
  assert.deepEqual(memo.searchDomains.get(other, settings, null, () => ["new"]), ["2"]);
  assert.deepEqual(memo.searchDomains.get(BINDING, settings, null, () => ["new"]), ["new"]);
  a.carryOut([{ kind: "forget-all" }]);
  assert.deepEqual(memo.searchDomains.get(other, settings, null, () => ["again"]), ["again"]);
});
