/** The hooks' PREFIX6: written into the binding, and routed to the VM when NFDHCPD_ROUTE_PREFIX6 says so (with `ip` stubbed); the binding directory from datapath or datadir. */

import assert from "node:assert/strict";
import { bindingLines, CONTRIB, HookLab } from "./hook_run.ts";

const SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
const PREFIXES = "2001:db8:500::/56, 2001:db8:600::/64";
/** What the hooks run for PREFIXES on tap5 of MAC 52:54:00:12:34:58 (fe80::5054:ff:fe12:3458). */
const routes = (verb: string, dev = "tap5") =>
  ["2001:db8:500::/56", "2001:db8:600::/64"].map((prefix) =>
    `-6 route ${verb} ${prefix} via fe80::5054:ff:fe12:3458 dev ${dev}`
  );

/** A lab whose `ip` only records its arguments, one line a call. */
class StubbedLab extends HookLab {
  readonly log = `${this.dir}/ip.log`;

  constructor() {
    super();
    Deno.mkdirSync(`${this.dir}/bin`);
    Deno.writeTextFileSync(`${this.dir}/bin/ip`, `#!/bin/sh\nprintf '%s\\n' "$*" >>"$IP_LOG"\n`, {
      mode: 0o755,
    });
  }

  /** The environment that puts the stub first, with `extra`. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { PATH: `${this.dir}/bin:${SYSTEM_PATH}`, IP_LOG: this.log, ...extra };
  }

  /** The calls of `ip` so far. */
  calls(): string[] {
    try {
      return Deno.readTextFileSync(this.log).split("\n").filter((line) => line !== "");
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
  }
}

/** Ganeti's variables for a routed NIC on tap5, with the operator's NFDHCPD_PREFIX6. */
const ganeti = (extra: Record<string, string> = {}) => ({
  INSTANCE: "node5.example.org",
  MAC: "52:54:00:12:34:58",
  MODE: "routed",
  INTERFACE: "tap5",
  NFDHCPD_PREFIX6: PREFIXES,
  ...extra,
});
const GANETI = `${CONTRIB}/ganeti-kvm-ifup`;

Deno.test("Ganeti ifup: NFDHCPD_PREFIX6 becomes PREFIX6, routed only with NFDHCPD_ROUTE_PREFIX6=yes", async () => {
  using lab = new StubbedLab();
  const plain = await lab.run({ program: GANETI, args: ["tap5"], env: lab.env(ganeti()) });
  assert.equal(plain.code, 0, plain.stderr);
  assert.ok(bindingLines(lab.text("tap5")).includes(`PREFIX6="${PREFIXES}"`));
  assert.equal(lab.binding("tap5").dhcp6?.prefixes?.length, 2);
  assert.deepEqual(lab.calls(), [], "routed without being asked to");
  const env = lab.env(ganeti({ NFDHCPD_ROUTE_PREFIX6: "yes" }));
  const up = await lab.run({ program: GANETI, args: ["tap5"], env });
  assert.equal(up.code, 0, up.stderr);
  assert.deepEqual(lab.calls(), routes("replace"));
  const down = await lab.run({ program: GANETI, args: ["--down", "tap5"], env });
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(lab.calls(), [...routes("replace"), ...routes("del")]);
  assert.deepEqual(lab.files(), []);
});

Deno.test("the setting may come from /etc/default/nfdhcpd; the environment's no overrides it", async () => {
  using lab = new StubbedLab();
  Deno.writeTextFileSync(lab.defaults, 'NFDHCPD_OPTS=""\nNFDHCPD_ROUTE_PREFIX6="yes"\n');
  const off = lab.env(ganeti({ NFDHCPD_ROUTE_PREFIX6: "no" }));
  assert.equal((await lab.run({ program: GANETI, args: ["tap5"], env: off })).code, 0);
  assert.deepEqual(lab.calls(), []);
  const result = await lab.run({ program: GANETI, args: ["tap5"], env: lab.env(ganeti()) });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(lab.calls(), routes("replace"));
});

Deno.test("a prefix that is no IPv6 prefix, or a MAC that is no MAC, is refused before ip runs", async () => {
  using lab = new StubbedLab();
  for (
    const [prefix, mac, reason] of [
      ["-net 2001:db8::/56", "52:54:00:12:34:58", /not an IPv6 prefix, no route: '-net'/],
      ["2001:db8:500::/56", "52:54:00:12:34", /not a MAC address, no route for PREFIX6/],
    ] as const
  ) {
    const env = lab.env(
      ganeti({ NFDHCPD_PREFIX6: prefix, MAC: mac, NFDHCPD_ROUTE_PREFIX6: "yes" }),
    );
    const result = await lab.run({ program: GANETI, args: ["tap5"], env });
    assert.notEqual(result.code, 0, prefix);
    assert.match(result.stderr, reason);
  }
  assert.deepEqual(lab.calls(), []);
});

/** A started domain with one routed NIC (tap5) whose metadata delegates PREFIXES. */
const DOMAIN = `<domain type='kvm'><name>node5</name><metadata>
  <nfdhcpd:bindings xmlns:nfdhcpd="urn:nfdhcpd:binding:1">
    <nfdhcpd:nic mac="52:54:00:12:34:58" subnet6="2001:db8:5::/64" prefix6="${PREFIXES}"/>
  </nfdhcpd:bindings></metadata>
  <devices><interface type='ethernet'><mac address='52:54:00:12:34:58'/><target dev='tap5'/></interface></devices>
</domain>`;

Deno.test("libvirt qemu hook: prefix6 becomes PREFIX6 and is routed on started, unrouted on stopped", async () => {
  using lab = new StubbedLab();
  const env = lab.env({ NFDHCPD_ROUTE_PREFIX6: "yes" });
  const call = (op: string) =>
    lab.run({
      program: `${CONTRIB}/libvirt-qemu`,
      args: ["node5", op, "-", "-"],
      stdin: DOMAIN,
      env,
    });
  const started = await call("started");
  assert.equal(started.code, 0, started.stderr);
  assert.equal(lab.binding("tap5").dhcp6?.prefixes?.length, 2);
  assert.deepEqual(lab.calls(), routes("replace"));
  const stopped = await call("stopped");
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.deepEqual(lab.files(), []);
  assert.deepEqual(lab.calls(), [...routes("replace"), ...routes("del")]);
});

Deno.test("OpenNebula: the NIC's NFDHCPD_PREFIX6 becomes PREFIX6 and is routed on its TAP (TARGET)", async () => {
  using lab = new StubbedLab();
  const xml = `<VM><ID>42</ID><TEMPLATE><NIC><NIC_ID>0</NIC_ID><MAC>52:54:00:12:34:58</MAC>` +
    `<TARGET>one-42-0</TARGET><NFDHCPD>YES</NFDHCPD><NFDHCPD_PREFIX6>${PREFIXES}</NFDHCPD_PREFIX6>` +
    `</NIC></TEMPLATE></VM>`;
  const env = lab.env({ NFDHCPD_ROUTE_PREFIX6: "yes" });
  const post = await lab.run({
    program: lab.link("opennebula-vnm", "post"),
    stdin: btoa(xml),
    env,
  });
  assert.equal(post.code, 0, post.stderr);
  assert.equal(lab.binding("one-42-0").dhcp6?.prefixes?.length, 2);
  const clean = await lab.run({
    program: lab.link("opennebula-vnm", "clean"),
    stdin: btoa(xml),
    env,
  });
  assert.equal(clean.code, 0, clean.stderr);
  assert.deepEqual(lab.calls(), [...routes("replace", "one-42-0"), ...routes("del", "one-42-0")]);
});

Deno.test("the hooks find the binding directory in datapath, else in the OpenNebula fork's datadir", async () => {
  using lab = new HookLab();
  const env = { INSTANCE: "web1", MAC: "52:54:00:12:34:58" };
  const datadir = `[general]\ndatadir = "${lab.datapath}"\n`;
  const fromDatadir = await lab.run({ program: GANETI, args: ["tap1"], env, conf: datadir });
  assert.equal(fromDatadir.code, 0, fromDatadir.stderr);
  assert.match(fromDatadir.stderr, /datadir is the OpenNebula fork's name for datapath/);
  assert.deepEqual(lab.files(), ["tap1"]);
  // With both, datapath wins and datadir is not mentioned.
  const both = `[general]\ndatadir = /nonexistent\ndatapath = ${lab.datapath}  # here\n`;
  const fromDatapath = await lab.run({ program: GANETI, args: ["tap2"], env, conf: both });
  assert.equal(fromDatapath.code, 0, fromDatapath.stderr);
  assert.equal(fromDatapath.stderr, "");
  assert.deepEqual(lab.files(), ["tap1", "tap2"]);
});
