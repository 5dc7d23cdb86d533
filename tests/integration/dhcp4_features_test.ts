/**
 * Issue 21's DHCPv4 features as real clients in a VM see them: network boot (siaddr, file, 66,
 * 67), operator options (OPTION_<n>, [dhcp] option_<n>, [host MAC]), LEASE, the IPv6-only OFFER
 * of a binding without IP (dhclient goes V6ONLY), a reply fitted to udhcpc's 576-byte maximum,
 * a binding with IP but no SUBNET leased only with lease_without_subnet, and a reply to the
 * request's source port (no real client sends from another port than 68: a Python socket does).
 */
import assert from "node:assert/strict";
import { type RecordedRun, resetInterface, runRecorded } from "../../lab/clients.ts";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import type { BindingSpec, IniSections } from "../../lab/lab_files.ts";
import { type Lab, type Vm, withLab } from "../../lab/netns.ts";
import { requireCommands, run } from "../../lab/proc.ts";

const VM = { name: "vm1", tap: "tap1", mac: "52:54:00:6d:00:01", tapMac: "fe:54:00:6d:00:01" };
const ADDRESS = "10.31.1.10";
const BINDING: BindingSpec = {
  HOSTNAME: "vm1",
  INDEV: VM.tap,
  MAC: VM.mac,
  IP: ADDRESS,
  SUBNET: "10.31.1.0/24",
  GATEWAY: "10.31.1.1",
};

/** The lab's config with `dhcp` keys added and `extra` sections. */
function config(
  lab: Lab,
  dhcp: Record<string, string | number> = {},
  extra: IniSections = {},
): IniSections {
  const base = daemonConfig(lab, {
    serverIp: "10.31.0.1",
    nameservers: ["198.51.100.1"],
    domain: "example.test",
  });
  return { ...base, dhcp: { ...base.dhcp, ...dhcp }, ...extra };
}

/** A lab with VM up and the DHCPv4 rule in place; the binding is the test's to write. */
async function withVm(body: (lab: Lab, vm: Vm) => Promise<void>): Promise<void> {
  await withLab({ vms: [VM] }, async (lab) => {
    const vm = lab.vm(VM.name);
    await run(["ip", "link", "set", vm.iface, "up"], { ns: vm.ns });
    await lab.addDhcp4Rule();
    await body(lab, vm);
  });
}

function explain(result: RecordedRun, daemon: Daemon): string {
  return `\n--- client (events ${result.events.join(", ")})\n${result.log}\n--- server\n${
    daemon.log.slice(-3000)
  }`;
}

/** Sets the leased address, so that what the client configured can be read back. */
const APPLY = `case "$reason" in
  PREINIT|deconfig) ip link set dev "$interface" up; ip -4 addr flush dev "$interface" ;;
  bound) ip -4 addr add "$ip/24" dev "$interface" ;;
  BOUND|REBOOT) ip -4 addr add "$new_ip_address/24" dev "$interface" ;;
esac`;

/** busybox udhcpc once, asking for `options` (-O); it exports each option it got. */
async function udhcpc(
  lab: Lab,
  vm: Vm,
  options: readonly string[],
  timeoutSec = 10,
): Promise<RecordedRun> {
  await resetInterface(vm.ns, vm.iface);
  return await runRecorded(lab, vm, {
    name: "udhcpc",
    apply: APPLY,
    cmd: ({ dir, script }) => [
      ...["udhcpc", "-f", "-q", "-n", "-i", vm.iface, "-s", script, "-p", `${dir}/udhcpc.pid`],
      ...["-t", String(timeoutSec), "-T", "1", ...options.flatMap((o) => ["-O", o])],
    ],
    answered: (e) => e.reason === "bound",
    timeoutSec,
  });
}

/** ISC dhclient -4 once with `conf` lines; the lease file is left in its run directory. */
async function dhclient(
  lab: Lab,
  vm: Vm,
  conf: readonly string[],
  timeoutSec = 10,
): Promise<RecordedRun & { readonly leases: string }> {
  await resetInterface(vm.ns, vm.iface);
  let leaseFile = "";
  const result = await runRecorded(lab, vm, {
    name: "dhclient",
    apply: APPLY,
    cmd: ({ dir, script }) => {
      leaseFile = `${dir}/dhclient.leases`;
      Deno.writeTextFileSync(
        `${dir}/dhclient.conf`,
        [`timeout ${timeoutSec};`, "retry 1;", "initial-interval 1;", ...conf, ""].join("\n"),
      );
      return [
        ...["dhclient", "-4", "-d", "-1", "-v", "-cf", `${dir}/dhclient.conf`, "-lf", leaseFile],
        ...["-pf", `${dir}/dhclient.pid`, "-sf", script, vm.iface],
      ];
    },
    answered: (e) => ["BOUND", "REBOOT", "V6ONLY"].includes(e.reason),
    timeoutSec,
  });
  let leases = "";
  try {
    leases = await Deno.readTextFile(leaseFile);
  } catch {
    // No lease: the assertions say so.
  }
  return { ...result, leases };
}

Deno.test("network boot, OPTION_<n> and LEASE: udhcpc and dhclient get siaddr, file, 66, 67, the options and the lease", async () => {
  requireCommands(["udhcpc", "dhclient"]);
  await withVm(async (lab, vm) => {
    await lab.writeBinding(VM.tap, {
      ...BINDING,
      NEXT_SERVER: "10.31.1.2",
      BOOT_FILE: "pxelinux.0",
      LEASE: 3600,
      OPTION_252: "http://wpad.example.test/wpad.dat",
      "OPTION_224!": "hex:01:02:03",
    });
    const path = await lab.writeConfig(config(lab, { option_150: "hex:0a1f0102" }));
    const daemon = await Daemon.start(lab, { config: path });

    const u = await udhcpc(lab, vm, ["tftp", "bootfile", "wpad", "150"]);
    const uv = u.answer?.vars ?? {};
    const why = `${JSON.stringify(uv)}${explain(u, daemon)}`;
    assert.equal(uv.ip, ADDRESS, why);
    assert.equal(uv.siaddr, "10.31.1.2", why);
    assert.equal(uv.boot_file, "pxelinux.0", why);
    assert.equal(uv.tftp, "10.31.1.2", why);
    assert.equal(uv.bootfile, "pxelinux.0", why);
    assert.equal(uv.wpad, "http://wpad.example.test/wpad.dat", why);
    assert.equal(uv.opt150, "0a1f0102", why);
    // Sent unasked (`!`).
    assert.equal(uv.opt224, "010203", why);
    assert.equal(uv.lease, "3600", why);
    assert.deepEqual(u.configured.ipv4.map((a) => a.address), [ADDRESS], why);

    const d = await dhclient(lab, vm, [
      "option wpad code 252 = text;",
      "request subnet-mask, routers, domain-name-servers, tftp-server-name, bootfile-name;",
      "also request wpad;",
    ]);
    const dv = d.answer?.vars ?? {};
    const dwhy = `${JSON.stringify(dv)}\n${d.leases}${explain(d, daemon)}`;
    assert.equal(d.answer?.reason, "BOUND", dwhy);
    assert.equal(dv.new_ip_address, ADDRESS, dwhy);
    assert.equal(dv.new_dhcp_lease_time, "3600", dwhy);
    assert.equal(dv.new_filename, "pxelinux.0", dwhy);
    assert.equal(dv.new_tftp_server_name, "10.31.1.2", dwhy);
    assert.equal(dv.new_bootfile_name, "pxelinux.0", dwhy);
    assert.equal(dv.new_wpad, "http://wpad.example.test/wpad.dat", dwhy);
    assert.match(d.leases, /filename "pxelinux\.0";/, dwhy);
    assert.match(d.leases, /option wpad "http:\/\/wpad\.example\.test\/wpad\.dat";/, dwhy);
    assert.match(d.leases, /option dhcp-lease-time 3600;/, dwhy);
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});

Deno.test("[dhcp] boot_file and next_server and a [host MAC] option reach udhcpc; not asked for, no option", async () => {
  requireCommands(["udhcpc"]);
  await withVm(async (lab, vm) => {
    await lab.writeBinding(VM.tap, BINDING);
    const path = await lab.writeConfig(
      config(lab, { next_server: "10.31.0.69", boot_file: "ipxe.efi" }, {
        [`host ${VM.mac.toUpperCase()}`]: { option_252: "http://host/wpad.dat" },
      }),
    );
    const daemon = await Daemon.start(lab, { config: path });
    const asked = await udhcpc(lab, vm, ["wpad"]);
    const v = asked.answer?.vars ?? {};
    const why = `${JSON.stringify(v)}${explain(asked, daemon)}`;
    assert.equal(v.siaddr, "10.31.0.69", why);
    assert.equal(v.boot_file, "ipxe.efi", why);
    assert.equal(v.wpad, "http://host/wpad.dat", why);
    const quiet = await udhcpc(lab, vm, []);
    assert.equal(quiet.answer?.vars.ip, ADDRESS, explain(quiet, daemon));
    assert.equal(quiet.answer?.vars.wpad, undefined, explain(quiet, daemon));
    assert.equal(quiet.answer?.vars.bootfile, undefined, explain(quiet, daemon));
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});

Deno.test("IPv6-only (RFC 8925 3.3): a binding without IP sends dhclient asking for 108 to V6ONLY; not asking, nothing", async () => {
  requireCommands(["dhclient"]);
  await withVm(async (lab, vm) => {
    const { IP: _ip, SUBNET: _subnet, GATEWAY: _gateway, ...rest } = BINDING;
    await lab.writeBinding(VM.tap, { ...rest, SUBNET6: "2001:db8:31::/64" });
    const path = await lab.writeConfig(config(lab, { ipv6_only_preferred: 1800 }));
    const daemon = await Daemon.start(lab, { config: path });
    const asked = await dhclient(lab, vm, [
      "request subnet-mask, routers;",
      "also request v6-only-preferred;",
    ]);
    const why = explain(asked, daemon);
    assert.equal(asked.answer?.reason, "V6ONLY", `dhclient did not go IPv6-only: ${why}`);
    assert.match(asked.log, /: v6 only preferred for 1800\./, why);
    assert.deepEqual(asked.configured.ipv4, [], why);
    assert.match(daemon.log, /DHCPOFFER 0\.0\.0\.0 \(IPv6-only preferred, 1800 s\)/, why);
    // Not asking: no answer at all, so no lease.
    const plain = await dhclient(lab, vm, ["request subnet-mask, routers;"], 3);
    assert.equal(plain.answer, undefined, explain(plain, daemon));
    assert.match(daemon.log, /DHCPDISCOVER from 52:54:00:6d:00:01 on tap1: the binding has no IP/);
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});

Deno.test("option 57: udhcpc announcing 576 bytes gets a lease that fits, with what was left out in the debug log", async () => {
  requireCommands(["udhcpc", "dhclient"]);
  await withVm(async (lab, vm) => {
    await lab.writeBinding(VM.tap, BINDING);
    const routes = Array.from({ length: 40 }, (_, i) => `10.${100 + i}.0.0/16 10.31.1.1`);
    const search = Array.from({ length: 30 }, (_, i) => `zone${i}.tenant${i}.example.test`);
    const path = await lab.writeConfig(
      config(lab, { routes: routes.join(", "), domain_search: search.join(", ") }),
    );
    const daemon = await Daemon.start(lab, { config: path });
    const u = await udhcpc(lab, vm, ["staticroutes", "search"]);
    const v = u.answer?.vars ?? {};
    const why = `${JSON.stringify(v)}${explain(u, daemon)}`;
    assert.equal(v.ip, ADDRESS, why);
    assert.equal(v.subnet, "255.255.255.0", why);
    assert.equal(v.router, "10.31.1.1", why);
    // The routes are all there (41 with the default route); the search list, asked for last and
    // too long for what is left, is not.
    assert.equal((v.staticroutes ?? "").split(" ").length, 2 * 41, why);
    assert.equal(v.search, undefined, why);
    assert.match(
      daemon.log,
      /DHCPOFFER 10\.31\.1\.10: options overloaded into file[^;\n]*; left out option 119 to fit 576 bytes/,
      why,
    );
    // dhclient sends no option 57: 576 it is, and it binds.
    const d = await dhclient(lab, vm, [
      "request subnet-mask, routers, rfc3442-classless-static-routes;",
    ]);
    assert.equal(d.answer?.vars.new_ip_address, ADDRESS, explain(d, daemon));
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});

Deno.test("IP without SUBNET: udhcpc gets no lease (as the original) unless lease_without_subnet = yes", async () => {
  requireCommands(["udhcpc"]);
  await withVm(async (lab, vm) => {
    const { SUBNET: _subnet, ...noSubnet } = BINDING;
    await lab.writeBinding(VM.tap, noSubnet);
    const strict = await Daemon.start(lab, { config: await lab.writeConfig(config(lab)) });
    const none = await udhcpc(lab, vm, [], 3);
    assert.equal(none.answer, undefined, explain(none, strict));
    assert.match(strict.log, /IP is set but SUBNET is not; no lease \(as the original\)/);
    assert.match(strict.log, /no DHCPOFFER, the binding has IP but no SUBNET/);
    assert.equal((await strict.stop()).code, 0, strict.log);

    const path = await lab.writeConfig(
      config(lab, { lease_without_subnet: "yes" }),
      "lenient.conf",
    );
    const lenient = await Daemon.start(lab, { config: path });
    const leased = await udhcpc(lab, vm, []);
    assert.equal(leased.answer?.vars.ip, ADDRESS, explain(leased, lenient));
    assert.equal(leased.answer?.vars.subnet, undefined, explain(leased, lenient));
    assert.equal((await lenient.stop()).code, 0, lenient.log);
  });
});

/**
 * A DHCPDISCOVER from UDP port `argv[3]` of eth0 (broadcast flag set, so the OFFER is broadcast
 * and reaches a socket without an address), then the first reply that socket receives, as
 * `port yiaddr` on stdout; nothing within 5 s: `timeout`.
 */
const DISCOVER_FROM_PORT = `
import socket, struct, sys
iface, mac, port = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
s.bind(("0.0.0.0", port))
s.settimeout(5)
head = struct.pack("!BBBBIHHIIII", 1, 1, 6, 0, 0x1f0021aa, 0, 0x8000, 0, 0, 0, 0)
msg = head + mac + bytes(10 + 64 + 128) + bytes.fromhex("63825363") + bytes([53, 1, 1, 255])
s.sendto(msg, ("255.255.255.255", 67))
try:
    data, _ = s.recvfrom(2048)
    print(port, socket.inet_ntoa(data[16:20]))
except socket.timeout:
    print("timeout")
`;

Deno.test("a DHCPv4 reply goes to the request's source port, as the original's", async () => {
  requireCommands(["python3"]);
  await withVm(async (lab, vm) => {
    await lab.writeBinding(VM.tap, BINDING);
    const daemon = await Daemon.start(lab, { config: await lab.writeConfig(config(lab)) });
    await resetInterface(vm.ns, vm.iface);
    const result = await run(["python3", "-c", DISCOVER_FROM_PORT, vm.iface, VM.mac, "1068"], {
      ns: vm.ns,
    });
    assert.equal(result.stdout.trim(), `1068 ${ADDRESS}`, `${result.stderr}\n${daemon.log}`);
    assert.equal((await daemon.stop()).code, 0, daemon.log);
  });
});
