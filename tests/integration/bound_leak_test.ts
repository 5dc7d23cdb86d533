/**
 * A bound TAP's packets that reach the queue are answered or dropped, never passed on to the
 * host: a VM sends raw frames (a DISCOVER in two real IPv4 fragments, a Solicit behind a
 * Hop-by-Hop header, DISCOVERs whose Ethernet source and chaddr disagree) while a host listener
 * on UDP 67 and 547 must see none of them. An unbound TAP sends the same frames as a control:
 * the listener must see those, so its silence about the bound ones means something.
 * Also: InterfaceCache reads an interface's MTU.
 */
import assert from "node:assert/strict";
import { linkLocalOf, parseMac } from "../../src/address.ts";
import { pseudoHeaderSum6 } from "../../src/wire/checksum.ts";
import { emitEthernetHeader, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from "../../src/wire/ethernet.ts";
import { emitIpv4Header, IP_PROTOCOL_UDP, parseIpv4Packet } from "../../src/wire/ipv4.ts";
import { emitIpv6Header, multicastMac, parseIpv6Packet } from "../../src/wire/ipv6.ts";
import { emitUdpHeader, emitUdpHeader4, parseUdp } from "../../src/wire/udp.ts";
import { capturedFrame } from "../pcap.ts";
import { HOP_BY_HOP, withExtensionHeaders } from "../wire/craft.ts";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import { type Lab, type Vm, withLab } from "../../lab/netns.ts";
import { denoExecutable, type Proc, run, runJson, waitFor } from "../../lab/proc.ts";
import {
  fromHex,
  type InterfaceReport,
  NAMESPACE_TOOLS_PATH,
  toHex,
} from "../../lab/namespace_tools.ts";

const ALL_DHCP6_AGENTS = new Uint8Array([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2]);
const BROADCAST = 0xffffffff;
const BROADCAST_MAC = new Uint8Array(6).fill(0xff);
/** Where the first fragment ends, in bytes of IP payload (a multiple of 8). */
const FIRST_FRAGMENT_PAYLOAD = 160;
const WAIT_MS = 10_000;

/** The UDP payload of an IPv4 or IPv6 packet of a capture. */
function capturedUdpPayload(file: string, frame: number): Uint8Array {
  const packet = capturedFrame(file, frame).ipPacket;
  const ip = packet[0]! >> 4 === 4 ? parseIpv4Packet(packet) : parseIpv6Packet(packet);
  if (!ip.ok) throw new Error(ip.error);
  const udp = parseUdp(ip.value.payload);
  if (!udp.ok) throw new Error(udp.error);
  return udp.value.payload.slice();
}

const DISCOVER = capturedUdpPayload("dhclient4_dora_renew_release.pcap", 1);
const SOLICIT = capturedUdpPayload("dhclient6_stateful_solicit_request_renew_release.pcap", 1);

/** A whole Ethernet frame around `packet`. */
function ethernet(dst: Uint8Array, src: Uint8Array, etherType: number, packet: Uint8Array) {
  const frame = new Uint8Array(14 + packet.length);
  emitEthernetHeader({ dst, src, etherType }, frame);
  frame.set(packet, 14);
  return frame;
}

/** The captured DISCOVER with transaction `xid` and `chaddr`, as a UDP datagram 0.0.0.0:68 → 255.255.255.255:67. */
function discoverDatagram(xid: number, chaddr: Uint8Array): Uint8Array {
  const dhcp = DISCOVER.slice();
  new DataView(dhcp.buffer).setUint32(4, xid);
  dhcp.set(chaddr, 28);
  const udp = new Uint8Array(8 + dhcp.length);
  udp.set(dhcp, 8);
  emitUdpHeader4({ srcPort: 68, dstPort: 67 }, udp, 0, dhcp.length, 0, BROADCAST);
  return udp;
}

/** An IPv4 packet 0.0.0.0 → 255.255.255.255 carrying `payload` from byte `offset` of the datagram. */
function ipv4(payload: Uint8Array, offset: number, moreFragments: boolean, id: number) {
  const packet = new Uint8Array(20 + payload.length);
  const totalLength = packet.length;
  const header = { totalLength, ttl: 64, protocol: IP_PROTOCOL_UDP, src: 0, dst: BROADCAST };
  emitIpv4Header(
    { ...header, identification: id, moreFragments, fragmentOffset: offset / 8 },
    packet,
  );
  packet.set(payload, 20);
  return packet;
}

/** A DISCOVER from `src` with `chaddr`, in two real IPv4 fragments (two frames). */
function fragmentedDiscover(xid: number, src: Uint8Array): Uint8Array[] {
  const udp = discoverDatagram(xid, src);
  const at = FIRST_FRAGMENT_PAYLOAD;
  return [
    ipv4(udp.subarray(0, at), 0, true, xid & 0xffff),
    ipv4(udp.subarray(at), at, false, xid & 0xffff),
  ].map((packet) => ethernet(BROADCAST_MAC, src, ETHERTYPE_IPV4, packet));
}

/** A whole DISCOVER with chaddr `chaddr` in a frame from `src`. */
function discover(xid: number, src: Uint8Array, chaddr: Uint8Array): Uint8Array {
  return ethernet(
    BROADCAST_MAC,
    src,
    ETHERTYPE_IPV4,
    ipv4(discoverDatagram(xid, chaddr), 0, false, 1),
  );
}

/** The captured Solicit with transaction `xid` from `mac`'s link-local address to ff02::1:2, behind a Hop-by-Hop header. */
function solicitBehindHopByHop(xid: number, mac: Uint8Array): Uint8Array {
  const dhcp = SOLICIT.slice();
  dhcp.set([(xid >> 16) & 0xff, (xid >> 8) & 0xff, xid & 0xff], 1);
  const src = linkLocalOf(mac);
  const length = 8 + dhcp.length;
  const packet = new Uint8Array(40 + length);
  emitIpv6Header(
    { payloadLength: length, nextHeader: 17, hopLimit: 1, src, dst: ALL_DHCP6_AGENTS },
    packet,
  );
  packet.set(dhcp, 48);
  const pseudo = pseudoHeaderSum6(src, ALL_DHCP6_AGENTS, 17, length);
  emitUdpHeader({ srcPort: 546, dstPort: 547 }, packet, 40, dhcp.length, pseudo);
  const withHopByHop = withExtensionHeaders(packet, [HOP_BY_HOP]);
  return ethernet(multicastMac(ALL_DHCP6_AGENTS), mac, ETHERTYPE_IPV6, withHopByHop);
}

/** The interface index of `dev` in namespace `ns`. */
async function ifindexOf(ns: string, dev: string): Promise<number> {
  const links = await runJson(["ip", "-j", "link", "show", "dev", dev], { ns }) as {
    ifindex: number;
  }[];
  const ifindex = links[0]?.ifindex;
  if (ifindex === undefined) throw new Error(`No interface ${dev} in ${ns}`);
  return ifindex;
}

/** Sends whole frames out of the VM's eth0, as its guest could. */
async function sendFrames(vm: Vm, frames: readonly Uint8Array[]): Promise<void> {
  const ifindex = await ifindexOf(vm.ns, vm.iface);
  const tool = [denoExecutable(), "run", "--allow-all", NAMESPACE_TOOLS_PATH];
  await run([...tool, "send", `${ifindex}`, ...frames.map(toHex)], { ns: vm.ns });
}

/** A datagram the host listener got. */
interface Heard {
  readonly port: number;
  readonly from: string;
  readonly xid: number;
}

/** The host listener (UDP 67 on 0.0.0.0, 547 on [::] in ff02::1:2 on `taps`). */
async function startListener(lab: Lab, taps: readonly string[]): Promise<() => Heard[]> {
  const ifindexes = await Promise.all(taps.map((tap) => ifindexOf(lab.hv, tap)));
  const tool = [denoExecutable(), "run", "--allow-all", "--unstable-net", NAMESPACE_TOOLS_PATH];
  const proc: Proc = lab.spawn([...tool, "listen", ...ifindexes.map(String)], lab.hv);
  await waitFor("the host listener", () => {
    if (proc.status !== null) throw new Error(`Host listener exited: ${proc.stderr}`);
    return proc.stdout.includes("listening");
  }, { timeoutMs: WAIT_MS });
  return () =>
    proc.stdout.split("\n").filter((line) => line.startsWith("{")).map((line) => {
      const { port, from, hex } = JSON.parse(line) as { port: number; from: string; hex: string };
      const bytes = fromHex(hex);
      const view = new DataView(bytes.buffer);
      const xid = port === 67 ? view.getUint32(4) : view.getUint32(0) & 0xffffff;
      return { port, from, xid };
    });
}

const SERVER_IP = "10.10.0.1";
const VMS = [
  { name: "vm1", tap: "tap0" },
  { name: "vm2", tap: "tap1" },
  { name: "vm3", tap: "tap2" },
];

/** The daemon's config: DHCPv4 on queue 42, IPv6 on 43..45 as the lab's rules. */
function config(lab: Lab) {
  return daemonConfig(lab, {
    serverIp: SERVER_IP,
    nameservers: ["198.51.100.53"],
    domain: "example.test",
    ipv6: {
      enable_ipv6: true,
      mode: "slaac+dhcpv6",
      rs_queue: 43,
      ns_queue: 44,
      dhcpv6_queue: 45,
      nameservers: ["2001:db8:53::1"],
    },
  });
}

/** A binding for `vm` on its own /24 and /64 `n`. */
async function bind(lab: Lab, vm: Vm, n: number, indev = vm.tap): Promise<void> {
  await lab.writeBinding(vm.tap, {
    HOSTNAME: `host${n}`,
    INDEV: indev,
    MAC: vm.mac,
    IP: `10.10.${n}.10`,
    SUBNET: `10.10.${n}.0/24`,
    GATEWAY: `10.10.${n}.1`,
    SUBNET6: `2001:db8:${n}::/64`,
    GATEWAY6: `2001:db8:${n}::1`,
  });
}

/** The MAC of `vm`'s eth0 as bytes. */
function macOf(vm: Vm): Uint8Array {
  const mac = parseMac(vm.mac);
  if (mac === null) throw new Error(`Bad MAC ${vm.mac}`);
  return mac;
}

/** Transaction IDs of one round: four from the bound VM, two from the unbound control. */
function xids(round: number) {
  const base = 0x5a0000 + round * 0x100;
  return {
    fragmented: base + 1,
    solicit: base + 2,
    chaddrBound: base + 3,
    sourceBound: base + 4,
    controlDiscover: base + 5,
    controlSolicit: base + 6,
  };
}

/**
 * One round: the bound VM sends (a) a fragmented DISCOVER, (b) a Solicit behind Hop-by-Hop,
 * (c) two DISCOVERs whose Ethernet source and chaddr are each the other bound VM's; then the
 * unbound VM sends (a) and (b) as a control. Returns what the host heard once the controls
 * arrived: what it heard of the bound VM's requests (the queues are FIFO, so a bound packet
 * let through would have been heard before the controls).
 */
async function round(
  lab: Lab,
  heard: () => Heard[],
  n: number,
): Promise<Heard[]> {
  const [bound, other, unbound] = [lab.vm("vm1"), lab.vm("vm2"), lab.vm("vm3")];
  const [a, b, c] = [macOf(bound), macOf(other), macOf(unbound)];
  const x = xids(n);
  await sendFrames(bound, [
    ...fragmentedDiscover(x.fragmented, a),
    solicitBehindHopByHop(x.solicit, a),
    discover(x.chaddrBound, b, a),
    discover(x.sourceBound, a, b),
  ]);
  await sendFrames(unbound, [
    ...fragmentedDiscover(x.controlDiscover, c),
    solicitBehindHopByHop(x.controlSolicit, c),
  ]);
  await waitFor("the host listener to hear the unbound VM's DISCOVER and Solicit", () => {
    const got = heard().map((h) => h.xid);
    return got.includes(x.controlDiscover) && got.includes(x.controlSolicit);
  }, { timeoutMs: WAIT_MS });
  const boundXids = [x.fragmented, x.solicit, x.chaddrBound, x.sourceBound];
  return heard().filter((h) => boundXids.includes(h.xid));
}

Deno.test("a bound TAP's fragments, Hop-by-Hop Solicit and spoofed DISCOVERs never reach the host", async (t) => {
  await withLab({ vms: VMS }, async (lab) => {
    const [bound, other] = [lab.vm("vm1"), lab.vm("vm2")];
    await bind(lab, bound, 1);
    await bind(lab, other, 2);
    await lab.addDhcp4Rule(42);
    await lab.addIpv6Rules({ rs: 43, ns: 44, dhcpv6: 45 });
    const daemon = await Daemon.start(lab, { config: await lab.writeConfig(config(lab)) });
    const heard = await startListener(lab, VMS.map((v) => v.tap));
    const why = (since: number) => `\n--- nfdhcpd log\n${daemon.log.slice(since).slice(-4000)}`;
    const expectLog = async (pattern: RegExp, since: number) => {
      const found = await daemon.waitForLog(pattern, WAIT_MS, since).catch(() => null);
      assert.ok(found !== null, `no log line ${pattern}${why(since)}`);
    };
    const solicitAnswered = (vm: Vm) =>
      new RegExp(`DHCPv6 solicit from fe80::\\S+ on ${vm.tap}: (advertise|reply)`, "i");
    const spoofed = (chaddr: string) =>
      new RegExp(
        `${bound.tap}: dropped \\(spoofed-mac\\): \\S+ from ${chaddr} on ${bound.tap}: ` +
          `spoofed MAC ${other.mac}`,
      );

    await t.step("without conntrack: the first fragment is dropped, not reassembled", async () => {
      const since = daemon.log.length;
      const leaked = await round(lab, heard, 1);
      assert.deepEqual(leaked, [], `the host heard a bound VM's request${why(since)}`);
      await expectLog(new RegExp(`${bound.tap}: dropped \\(fragment\\): IPv4 fragment`), since);
      await expectLog(solicitAnswered(bound), since);
      await expectLog(spoofed(bound.mac), since);
      await expectLog(spoofed(other.mac), since);
    });

    await t.step(
      "with conntrack (nf_defrag_ipv4 on): the reassembled DISCOVER is answered",
      async () => {
        // A conntrack match makes the namespace track connections, and so reassemble fragments
        // before the mangle table queues them: the daemon sees one whole DISCOVER.
        await lab.iptables(["-A", "INPUT", "-m", "conntrack", "--ctstate", "INVALID"]);
        const since = daemon.log.length;
        const leaked = await round(lab, heard, 2);
        assert.deepEqual(leaked, [], `the host heard a bound VM's request${why(since)}`);
        await expectLog(new RegExp(`OFFER\\b.* to ${bound.mac} on ${bound.tap}`), since);
        assert.doesNotMatch(daemon.log.slice(since), /\(fragment\)/, why(since));
        await expectLog(solicitAnswered(bound), since);
        await expectLog(spoofed(bound.mac), since);
        await expectLog(spoofed(other.mac), since);
      },
    );
  });
});

/** What InterfaceCache says of `names` inside namespace `ns`. */
async function cachedInterfaces(ns: string, names: readonly string[]) {
  const tool = [denoExecutable(), "run", "--allow-all", NAMESPACE_TOOLS_PATH];
  const { stdout } = await run([...tool, "interfaces", ...names], { ns });
  return JSON.parse(stdout) as (InterfaceReport | null)[];
}

Deno.test("InterfaceCache reads INDEV's MTU, and the dispatcher caps replies to it", async (t) => {
  await withLab({ vms: VMS.slice(0, 1) }, async (lab) => {
    const vm = lab.vm("vm1");
    await run(["ip", "-n", lab.hv, "link", "set", vm.tap, "mtu", "1400"]);
    // An INDEV with a tiny MTU (a veth: this kernel has no dummy links): a DHCPv4 reply, over
    // 300 bytes, cannot cross it.
    const indev = ["indev0", "mtu", "300", "type", "veth", "peer", "name", "indev1"];
    await run(["ip", "-n", lab.hv, "link", "add", ...indev]);

    await t.step(
      "byName() gives the MTU beside the index and MAC, nameOf() still works",
      async () => {
        const [tap, lo, missing] = await cachedInterfaces(lab.hv, [vm.tap, "lo", "nosuch0"]);
        assert.deepEqual(tap, {
          name: vm.tap,
          ifindex: await ifindexOf(lab.hv, vm.tap),
          mac: vm.tapMac,
          mtu: 1400,
          nameOfIndex: vm.tap,
        });
        assert.deepEqual(lo, {
          name: "lo",
          ifindex: 1,
          mac: "00:00:00:00:00:00",
          mtu: 65536,
          nameOfIndex: "lo",
        });
        assert.equal(missing, null);
      },
    );

    await t.step("a DISCOVER whose OFFER exceeds INDEV's MTU is refused as too-large", async () => {
      await bind(lab, vm, 1, "indev0");
      await lab.addDhcp4Rule(42);
      const daemon = await Daemon.start(lab, { config: await lab.writeConfig(config(lab)) });
      const since = daemon.log.length;
      const mac = macOf(vm);
      await sendFrames(vm, [discover(0x5a0f01, mac, mac)]);
      const found = await daemon.waitForLog(/dropped \(too-large\): .*MTU 300/, WAIT_MS, since)
        .catch(() => null);
      assert.ok(found !== null, `no too-large refusal\n${daemon.log.slice(since).slice(-4000)}`);
    });
  });
});
