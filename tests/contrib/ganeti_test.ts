/** contrib/ganeti-kvm-ifup, run with the environment Ganeti's KVM hypervisor gives its ifup script. */

import assert from "node:assert/strict";
import { bindingLines, CONTRIB, HookLab } from "./hook_run.ts";

const HOOK = `${CONTRIB}/ganeti-kvm-ifup`;

/**
 * What Ganeti exports for a NIC (its ConfigureNIC): the NIC's own variables, the instance's tags,
 * LINK and, when bridged, BRIDGE, and the NETWORK_* variables of the Ganeti network it is on.
 */
function ganetiEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    INSTANCE: "web1.example.org",
    MAC: "aa:00:00:4e:2f:11",
    MODE: "routed",
    INTERFACE: "tap3",
    INTERFACE_INDEX: "0",
    INTERFACE_UUID: "6a9c5a8e-1f0e-4bde-9a6e-0f2b6a1c9d01",
    INTERFACE_NAME: "eth0",
    TAGS: "web production",
    IP: "192.0.2.10",
    LINK: "rt_vms",
    NETWORK_NAME: "public",
    NETWORK_UUID: "0c3f6c52-3e84-4d1a-8a0e-54f9b8b2c6aa",
    NETWORK_SUBNET: "192.0.2.0/24",
    NETWORK_GATEWAY: "192.0.2.1",
    NETWORK_SUBNET6: "2001:db8:1::/64",
    NETWORK_GATEWAY6: "2001:db8:1::1",
    NETWORK_MAC_PREFIX: "aa:00:00",
    NETWORK_TAGS: "nfdhcpd",
    ...overrides,
  };
}

Deno.test("Ganeti ifup: a routed NIC's binding, every key from Ganeti's variables, INDEV the TAP", async () => {
  using lab = new HookLab();
  const result = await lab.run({ program: HOOK, args: ["tap3"], env: ganetiEnv() });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(lab.files(), ["tap3"]);
  assert.deepEqual(bindingLines(lab.text("tap3")), [
    "INSTANCE=web1.example.org",
    "INDEV=tap3",
    "MAC=aa:00:00:4e:2f:11",
    "IP=192.0.2.10",
    "SUBNET=192.0.2.0/24",
    "GATEWAY=192.0.2.1",
    "SUBNET6=2001:db8:1::/64",
    "GATEWAY6=2001:db8:1::1",
    'TAGS="web production"',
  ]);
  const binding = lab.binding("tap3");
  assert.equal(binding.hostname, "web1.example.org");
  assert.equal(binding.indev, "tap3");
});

Deno.test("Ganeti ifup: a bridged NIC's INDEV is its bridge (LINK)", async () => {
  using lab = new HookLab();
  const env = ganetiEnv({ MODE: "bridged", LINK: "br0", BRIDGE: "br0", INTERFACE: "tap4" });
  const result = await lab.run({ program: HOOK, args: ["tap4"], env });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(lab.binding("tap4").indev, "br0");
});

Deno.test("Ganeti ifup: a NIC without IP or network gets MAC and INDEV only", async () => {
  using lab = new HookLab();
  const env = ganetiEnv();
  for (const key of Object.keys(env)) {
    if (key.startsWith("NETWORK_") || key === "IP") delete env[key];
  }
  const result = await lab.run({ program: HOOK, args: ["tap3"], env: { ...env, TAGS: "" } });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(bindingLines(lab.text("tap3")), [
    "INSTANCE=web1.example.org",
    "INDEV=tap3",
    "MAC=aa:00:00:4e:2f:11",
  ]);
});

Deno.test("Ganeti ifup: run again, the binding is replaced by rename, no temp file left", async () => {
  using lab = new HookLab();
  assert.equal((await lab.run({ program: HOOK, args: ["tap3"], env: ganetiEnv() })).code, 0);
  const before = lab.inode("tap3");
  const again = await lab.run({
    program: HOOK,
    args: ["tap3"],
    env: ganetiEnv({ IP: "192.0.2.11" }),
  });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(lab.files(), ["tap3"]);
  assert.notEqual(lab.inode("tap3"), before, "rewritten in place: nfdhcpd could read half a file");
  assert.match(lab.text("tap3"), /^IP=192\.0\.2\.11$/m);
});

Deno.test("Ganeti ifdown: removes the binding it wrote, not another one", async () => {
  using lab = new HookLab();
  const down = lab.link("ganeti-kvm-ifup", "kvm-ifdown-custom");
  assert.equal((await lab.run({ program: HOOK, args: ["tap3"], env: ganetiEnv() })).code, 0);
  const other = ganetiEnv({ INSTANCE: "db1.example.org" });
  assert.equal((await lab.run({ program: down, args: ["tap3"], env: other })).code, 0);
  assert.deepEqual(lab.files(), ["tap3"], "removed the binding of another instance");
  const result = await lab.run({ program: down, args: ["tap3"], env: ganetiEnv() });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(lab.files(), []);
  const flag = await lab.run({ program: HOOK, args: ["--down", "tap3"], env: ganetiEnv() });
  assert.equal(flag.code, 0, "ifdown of a NIC without a binding must succeed");
});

Deno.test("Ganeti ifup: a value that could forge a key is refused and nothing is written", async () => {
  using lab = new HookLab();
  for (const INSTANCE of ["web1\nMACSPOOF=1", 'web1" MACSPOOF="1']) {
    const result = await lab.run({ program: HOOK, args: ["tap3"], env: ganetiEnv({ INSTANCE }) });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /refusing INSTANCE/);
  }
  const path = await lab.run({ program: HOOK, args: ["../etc"], env: ganetiEnv() });
  assert.notEqual(path.code, 0);
  assert.deepEqual(lab.files(), []);
});

Deno.test("Ganeti ifup: a control character in any value, or the TAP's name, is refused and writes nothing", async () => {
  using lab = new HookLab();
  for (const c of ["\n", "\r", "\t", "\x01", "\x1b", "\x7f"]) {
    for (const key of ["INSTANCE", "MAC", "IP", "TAGS", "NETWORK_GATEWAY6"]) {
      // The backslash sequence must reach stderr as it is, not as the line break it spells.
      const env = ganetiEnv({ [key]: `${ganetiEnv()[key]}${c}x\\nFORGED` });
      const result = await lab.run({ program: HOOK, args: ["tap3"], env });
      assert.notEqual(result.code, 0, `${key} with ${JSON.stringify(c)}`);
      assert.match(
        result.stderr,
        /^nfdhcpd hook: refusing \w+ "[^\n]*\?x\\nFORGED": it holds a control/,
      );
      assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
    }
    const tap = await lab.run({ program: HOOK, args: [`tap${c}3`], env: ganetiEnv() });
    assert.notEqual(tap.code, 0);
    assert.match(tap.stderr, /refusing the interface name "tap\?3"/);
  }
  assert.deepEqual(lab.files(), []);
});

Deno.test("Ganeti ifdown: an INSTANCE whose lines look like another instance's marker removes nothing", async () => {
  using lab = new HookLab();
  assert.equal((await lab.run({ program: HOOK, args: ["tap3"], env: ganetiEnv() })).code, 0);
  const forged = [
    "db1\n# nfdhcpd: Ganeti NIC of web1.example.org",
    "db1\nMAC=aa:00:00:4e:2f:11",
    "web1.example.org\r",
  ];
  for (const INSTANCE of forged) {
    const env = ganetiEnv({ INSTANCE });
    const result = await lab.run({ program: HOOK, args: ["--down", "tap3"], env });
    assert.notEqual(result.code, 0, JSON.stringify(INSTANCE));
    assert.match(
      result.stderr,
      /refusing the marker line "# nfdhcpd: Ganeti NIC of [^"]*\?[^"]*": it holds a control/,
    );
    assert.deepEqual(lab.files(), ["tap3"], `removed by ${JSON.stringify(INSTANCE)}`);
  }
});
