/** contrib/libvirt-qemu, run as libvirt runs its qemu hook: arguments, and the domain XML on stdin. */

import assert from "node:assert/strict";
import { bindingLines, CONTRIB, HookLab } from "./hook_run.ts";

const HOOK = `${CONTRIB}/libvirt-qemu`;

/**
 * A running domain's XML as libvirt hands it to the hook: a bridged NIC (vnet7) and a routed
 * one (vnet8) that our metadata describe, and one (vnet9) that they do not.
 */
function domainXml(ip = "192.0.2.10"): string {
  return `<domain type='kvm' id='7'>
  <name>web1</name>
  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
  <metadata>
    <other:app xmlns:other="http://example.org/other/1"><other:nic mac="52:54:00:00:00:09" ip="10.9.9.9"/></other:app>
    <nfdhcpd:bindings xmlns:nfdhcpd="urn:nfdhcpd:binding:1">
      <nfdhcpd:nic mac="52:54:00:AB:CD:07" hostname="web1.example.org" ip="${ip}"
                   subnet="192.0.2.0/24" gateway="192.0.2.1" mtu="1450"/>
      <nfdhcpd:nic mac="52:54:00:ab:cd:08" subnet6="2001:db8:8::/64" gateway6="fe80::1" private="yes"/>
    </nfdhcpd:bindings>
  </metadata>
  <devices>
    <interface type='bridge'>
      <mac address='52:54:00:ab:cd:07'/>
      <source bridge='br0'/>
      <target dev='vnet7'/>
      <model type='virtio'/>
    </interface>
    <interface type='ethernet'>
      <mac address='52:54:00:ab:cd:08'/>
      <target dev='vnet8' managed='no'/>
    </interface>
    <interface type='network'>
      <mac address='52:54:00:00:00:09'/>
      <source network='default' bridge='virbr0'/>
      <target dev='vnet9'/>
    </interface>
  </devices>
</domain>
`;
}

Deno.test("libvirt qemu hook: started writes a binding per NIC our metadata describe", async () => {
  using lab = new HookLab();
  const args = ["web1", "started", "begin", "-"];
  const result = await lab.run({ program: HOOK, args, stdin: domainXml() });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(lab.files(), ["vnet7", "vnet8"]);
  assert.deepEqual(bindingLines(lab.text("vnet7")), [
    "HOSTNAME=web1.example.org",
    "INDEV=br0",
    "MAC=52:54:00:ab:cd:07",
    "IP=192.0.2.10",
    "SUBNET=192.0.2.0/24",
    "GATEWAY=192.0.2.1",
    "MTU=1450",
  ]);
  const routed = lab.binding("vnet8");
  assert.equal(routed.hostname, "web1", "the hostname defaults to the domain's name");
  assert.equal(routed.indev, "vnet8");
  assert.equal(routed.private, true);
  assert.notEqual(routed.subnet6, null);
});

Deno.test("libvirt qemu hook: other operations write nothing; reconnect rewrites by rename", async () => {
  using lab = new HookLab();
  for (const op of ["prepare", "start", "migrate", "restore"]) {
    const result = await lab.run({
      program: HOOK,
      args: ["web1", op, "begin", "-"],
      stdin: domainXml(),
    });
    assert.equal(result.code, 0, result.stderr);
  }
  assert.deepEqual(lab.files(), []);
  await lab.run({ program: HOOK, args: ["web1", "started", "begin", "-"], stdin: domainXml() });
  const before = lab.inode("vnet7");
  const xml = domainXml("192.0.2.77");
  const again = await lab.run({
    program: HOOK,
    args: ["web1", "reconnect", "begin", "-"],
    stdin: xml,
  });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(lab.files(), ["vnet7", "vnet8"], "a temp file was left behind");
  assert.notEqual(lab.inode("vnet7"), before, "rewritten in place");
  assert.match(lab.text("vnet7"), /^IP=192\.0\.2\.77$/m);
});

Deno.test("libvirt qemu hook: stopped and release remove this domain's bindings only", async () => {
  using lab = new HookLab();
  await lab.run({ program: HOOK, args: ["web1", "started", "begin", "-"], stdin: domainXml() });
  Deno.writeTextFileSync(`${lab.datapath}/vnet9`, "MAC=52:54:00:00:00:09\n");
  const other = await lab.run({
    program: HOOK,
    args: ["db1", "stopped", "end", "-"],
    stdin: domainXml().replace("<name>web1</name>", "<name>db1</name>"),
  });
  assert.equal(other.code, 0, other.stderr);
  assert.deepEqual(lab.files(), ["vnet7", "vnet8", "vnet9"], "removed another domain's bindings");
  const stopped = await lab.run({
    program: HOOK,
    args: ["web1", "stopped", "end", "-"],
    stdin: domainXml(),
  });
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.deepEqual(lab.files(), ["vnet9"]);
  const release = await lab.run({
    program: HOOK,
    args: ["web1", "release", "end", "-"],
    stdin: domainXml(),
  });
  assert.equal(release.code, 0, release.stderr);
  assert.deepEqual(lab.files(), ["vnet9"]);
});

Deno.test("libvirt qemu hook: broken XML or a forging attribute fails the start and writes nothing", async () => {
  using lab = new HookLab();
  const broken = await lab.run({
    program: HOOK,
    args: ["web1", "started", "begin", "-"],
    stdin: "<domain>",
  });
  assert.notEqual(broken.code, 0);
  const forged = domainXml().replace(
    'hostname="web1.example.org"',
    'hostname="web1&#10;MACSPOOF=1"',
  );
  const result = await lab.run({
    program: HOOK,
    args: ["web1", "started", "begin", "-"],
    stdin: forged,
  });
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /refusing HOSTNAME/);
  assert.deepEqual(lab.files(), []);
});

/** Control characters a name or value may carry: each could start a line of its own. */
const CONTROLS = ["\n", "\r", "\t", "\x01", "\x1b", "\x7f"];

Deno.test("libvirt qemu hook: a domain name with a control character is refused and writes nothing", async () => {
  using lab = new HookLab();
  const names = [...CONTROLS.map((c) => `web${c}1`), "dom\nMACSPOOF=1\nIP=10.0.0.99"];
  for (const name of names) {
    const result = await lab.run({
      program: HOOK,
      args: [name, "started", "begin", "-"],
      stdin: domainXml(),
    });
    assert.notEqual(result.code, 0, JSON.stringify(name));
    assert.match(
      result.stderr,
      /refusing the marker line "# nfdhcpd: libvirt domain [^\n]*": it holds a control character/,
    );
    assert.deepEqual(lab.files(), [], JSON.stringify(name));
  }
});

Deno.test("libvirt qemu hook: a refused value in a later NIC leaves the earlier NICs unwritten", async () => {
  using lab = new HookLab();
  // The control characters XML 1.0 allows (as character references): the others do not parse.
  for (const code of ["&#9;", "&#10;", "&#13;", "&#127;"]) {
    const xml = domainXml().replace('gateway6="fe80::1"', `gateway6="fe80::${code}1"`);
    const result = await lab.run({
      program: HOOK,
      args: ["web1", "started", "begin", "-"],
      stdin: xml,
    });
    assert.notEqual(result.code, 0, code);
    assert.match(result.stderr, /refusing GATEWAY6 "fe80::\?1": it holds a control character/);
    assert.deepEqual(lab.files(), [], "the first NIC's binding was written");
  }
});

Deno.test("libvirt qemu hook: stopped with a name whose lines look like another domain's marker removes nothing", async () => {
  using lab = new HookLab();
  const started = await lab.run({
    program: HOOK,
    args: ["web1", "started", "begin", "-"],
    stdin: domainXml(),
  });
  assert.equal(started.code, 0, started.stderr);
  const before = lab.text("vnet7");
  for (
    const name of ["db1\n# nfdhcpd: libvirt domain web1", "db1\nMAC=52:54:00:ab:cd:07", "web1\r"]
  ) {
    const result = await lab.run({
      program: HOOK,
      args: [name, "stopped", "end", "-"],
      stdin: domainXml(),
    });
    assert.notEqual(result.code, 0, JSON.stringify(name));
    assert.match(result.stderr, /refusing the marker line/);
    assert.deepEqual(lab.files(), ["vnet7", "vnet8"], `removed by ${JSON.stringify(name)}`);
  }
  assert.equal(lab.text("vnet7"), before);
});
