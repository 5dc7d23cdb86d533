/** contrib/opennebula-vnm, run as OpenNebula runs a network driver's post and clean actions. */

import assert from "node:assert/strict";
import { bindingLines, HookLab } from "./hook_run.ts";

/**
 * VM 42's XML as oned sends it to the driver: NIC 0 and NIC 1 have NFDHCPD="YES" (inherited from
 * their VNET), NIC 2 does not; NIC 1 is being attached when `attaching` is set.
 */
function vmXml(attaching = false): string {
  const nic = (id: number, extra: string) =>
    `<NIC><NIC_ID>${id}</NIC_ID><MAC>02:00:c0:a8:00:${10 + id}</MAC><TARGET>one-42-${id}</TARGET>` +
    `<BRIDGE>onebr0</BRIDGE><VN_MAD>bridge</VN_MAD>${extra}</NIC>`;
  const ipv4 = (id: number) =>
    `<IP>192.168.0.${10 + id}</IP><NETWORK_ADDRESS>192.168.0.0</NETWORK_ADDRESS>` +
    `<NETWORK_MASK>255.255.255.0</NETWORK_MASK><GATEWAY>192.168.0.1</GATEWAY>`;
  return `<VM><ID>42</ID><UID>0</UID><NAME>web</NAME><DEPLOY_ID>one-42</DEPLOY_ID><TEMPLATE>` +
    nic(
      0,
      `${
        ipv4(0)
      }<DNS>192.168.0.2 192.168.0.3</DNS><GUEST_MTU>1450</GUEST_MTU><NFDHCPD>YES</NFDHCPD>`,
    ) +
    nic(1, `${ipv4(1)}<NFDHCPD>YES</NFDHCPD>${attaching ? "<ATTACH>YES</ATTACH>" : ""}`) +
    nic(2, `${ipv4(2)}`) +
    `</TEMPLATE></VM>`;
}

Deno.test("OpenNebula post: one binding per NFDHCPD NIC, named and filled as the fork did", async () => {
  using lab = new HookLab();
  const post = lab.link("opennebula-vnm", "post");
  const result = await lab.run({ program: post, args: ["one-42"], stdin: btoa(vmXml()) });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(lab.files(), ["one-42-0", "one-42-1"]);
  assert.deepEqual(bindingLines(lab.text("one-42-0")), [
    "HOSTNAME=one-42",
    "INDEV=one-42-0",
    "MAC=02:00:c0:a8:00:10",
    "IP=192.168.0.10",
    "SUBNET=192.168.0.0/255.255.255.0",
    "GATEWAY=192.168.0.1",
    'NAMESERVERS="192.168.0.2 192.168.0.3"',
    "MTU=1450",
  ]);
  const binding = lab.binding("one-42-1");
  assert.equal(binding.subnet?.prefixLength, 24);
  assert.equal(binding.mtu, null);
});

Deno.test("OpenNebula post: the template as first argument (older oned), attach handles one NIC", async () => {
  using lab = new HookLab();
  const post = lab.link("opennebula-vnm", "post");
  const result = await lab.run({ program: post, args: [btoa(vmXml(true)), "one-42"] });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(lab.files(), ["one-42-1"]);
  const before = lab.inode("one-42-1");
  const again = await lab.run({ program: post, args: ["one-42"], stdin: btoa(vmXml(true)) });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(lab.files(), ["one-42-1"], "a temp file was left behind");
  assert.notEqual(lab.inode("one-42-1"), before, "rewritten in place");
});

Deno.test("OpenNebula clean: removes the VM's bindings, not another writer's", async () => {
  using lab = new HookLab();
  const post = lab.link("opennebula-vnm", "post");
  const clean = lab.link("opennebula-vnm", "clean");
  await lab.run({ program: post, args: ["one-42"], stdin: btoa(vmXml()) });
  Deno.writeTextFileSync(`${lab.datapath}/one-42-1`, "MAC=02:00:c0:a8:00:11\n");
  const result = await lab.run({ program: clean, args: ["one-42"], stdin: btoa(vmXml()) });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(lab.files(), ["one-42-1"]);
});

Deno.test("OpenNebula: no template, or a name that is neither action, fails", async () => {
  using lab = new HookLab();
  const post = lab.link("opennebula-vnm", "post");
  assert.notEqual((await lab.run({ program: post, args: [], stdin: "" })).code, 0);
  assert.notEqual(
    (await lab.run({ program: post, args: ["one-42"], stdin: "bm90IHhtbA==" })).code,
    0,
  );
  const other = lab.link("opennebula-vnm", "pre");
  assert.notEqual((await lab.run({ program: other, stdin: btoa(vmXml()) })).code, 0);
  assert.deepEqual(lab.files(), []);
});

Deno.test("OpenNebula post: a control character in a later NIC's value leaves every NIC unwritten", async () => {
  using lab = new HookLab();
  const post = lab.link("opennebula-vnm", "post");
  // The control characters XML 1.0 allows (as character references): the others do not parse.
  for (const code of ["&#9;", "&#10;", "&#13;", "&#127;"]) {
    const xml = vmXml().replace("<TARGET>one-42-1</TARGET>", `<TARGET>one-42-${code}1</TARGET>`);
    const result = await lab.run({ program: post, args: ["one-42"], stdin: btoa(xml) });
    assert.notEqual(result.code, 0, code);
    assert.match(result.stderr, /refusing INDEV "one-42-\?1": it holds a control character/);
    assert.deepEqual(lab.files(), [], "NIC 0's binding was written");
  }
});
