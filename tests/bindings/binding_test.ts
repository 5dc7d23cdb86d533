/** Tests for binding-file parsing: every key, quotes, empty values, each bad line with its reason. */
import assert from "node:assert/strict";
import {
  type Binding,
  BindingInterner,
  isInterfaceName,
  parseBinding,
} from "../../src/bindings/binding.ts";
import { parseIpv4, parseIpv6, parseMac } from "../../src/address.ts";

function ok(tap: string, text: string): { binding: Binding; warnings: string[] } {
  const result = parseBinding(tap, text);
  if (!result.ok) assert.fail(`unexpected errors:\n${result.errors.join("\n")}`);
  return result;
}

function errors(tap: string, text: string): string[] {
  const result = parseBinding(tap, text);
  if (result.ok) assert.fail("expected errors");
  return result.errors;
}

const MAC = "MAC=52:54:00:12:34:56\n";

Deno.test("parseBinding() reads every key of a Ganeti/snf-network binding file", () => {
  const { binding, warnings } = ok(
    "tap3",
    `INDEV=br0
IP=10.0.0.5
MAC=52:54:00:AB:cd:EF
HOSTNAME=vm1.example.org
TAGS="ip-less-routed nfdhcpd"
GATEWAY=10.0.0.1
SUBNET=10.0.0.0/24
GATEWAY6=2001:db8:1::1
SUBNET6=2001:db8:1::/64
EUI64=2001:db8:1:0:5054:abff:fecd:ef
MTU=1450
PRIVATE=1
MACSPOOF=yes
`,
  );
  assert.deepEqual(warnings, []);
  assert.deepEqual(binding, {
    tap: "tap3",
    hostname: "vm1.example.org",
    indev: "br0",
    mac: parseMac("52:54:00:ab:cd:ef"),
    macText: "52:54:00:ab:cd:ef",
    ip: parseIpv4("10.0.0.5"),
    subnet: { network: parseIpv4("10.0.0.0"), prefixLength: 24 },
    gateway: parseIpv4("10.0.0.1"),
    subnet6: { prefix: parseIpv6("2001:db8:1::"), prefixLength: 64 },
    gateway6: parseIpv6("2001:db8:1::1"),
    eui64: parseIpv6("2001:db8:1:0:5054:abff:fecd:ef"),
    mtu: 1450,
    private: true,
    macspoof: true,
  });
});

Deno.test("parseBinding() takes empty values as absent and needs only MAC", () => {
  const { binding } = ok(
    "tap0",
    `${MAC}HOSTNAME=vm\nINDEV=\nIP=\nSUBNET=\nGATEWAY=\nSUBNET6=\nGATEWAY6=\nEUI64=\nMTU=\nPRIVATE=\nMACSPOOF=\n`,
  );
  assert.equal(binding.indev, "tap0");
  for (const key of ["ip", "subnet", "gateway", "subnet6", "gateway6", "eui64", "mtu"] as const) {
    assert.equal(binding[key], null, key);
  }
  assert.equal(binding.private, false);
  assert.equal(binding.macspoof, false);
});

Deno.test("parseBinding() unquotes '' and \"\" values, empty ones included", () => {
  const { binding } = ok(
    "tap0",
    `MAC="52:54:00:12:34:56"\nHOSTNAME='vm1'\nPRIVATE=""\nMACSPOOF=''\nIP="10.0.0.2"\n`,
  );
  assert.equal(binding.macText, "52:54:00:12:34:56");
  assert.equal(binding.hostname, "vm1");
  assert.equal(binding.private, false);
  assert.equal(binding.macspoof, false);
  assert.equal(binding.ip, parseIpv4("10.0.0.2"));
});

Deno.test("parseBinding() ignores comments, blank lines, white space around keys and CRLF", () => {
  const { binding, warnings } = ok(
    "tap0",
    "# written by hand\r\n\r\n  MAC = 52:54:00:12:34:56  \r\n\t# indented\r\nIP=10.0.0.9\r\n",
  );
  assert.equal(binding.macText, "52:54:00:12:34:56");
  assert.equal(binding.ip, parseIpv4("10.0.0.9"));
  assert.deepEqual(warnings, [
    "Binding tap0: no HOSTNAME (or INSTANCE); replies carry no host name",
    "Binding tap0 line 5: IP is set but SUBNET is not; no lease (as the original), see lease_without_subnet",
  ]);
});

Deno.test("parseBinding() names the VM by HOSTNAME, else by the older INSTANCE", () => {
  assert.equal(ok("tap0", `${MAC}INSTANCE=old.example`).binding.hostname, "old.example");
  assert.equal(ok("tap0", `${MAC}HOSTNAME=new.example`).binding.hostname, "new.example");
  const both = ok("tap0", `${MAC}HOSTNAME=new.example\nINSTANCE=old.example\n`);
  assert.equal(both.binding.hostname, "new.example");
  assert.deepEqual(both.warnings, [
    "Binding tap0 line 2: HOSTNAME and INSTANCE (line 3) differ; using HOSTNAME",
  ]);
  assert.equal(ok("tap0", `${MAC}HOSTNAME=\nINSTANCE=old.example`).binding.hostname, "old.example");
  assert.deepEqual(ok("tap0", `${MAC}HOSTNAME=a\nINSTANCE=a\n`).warnings, []);
});

Deno.test("parseBinding() sets PRIVATE and MACSPOOF for any non-empty value", () => {
  const { binding, warnings } = ok("tap0", `${MAC}HOSTNAME=vm\nPRIVATE=no\nMACSPOOF=0\n`);
  assert.equal(binding.private, true);
  assert.equal(binding.macspoof, true);
  assert.deepEqual(warnings, [
    "Binding tap0 line 3: PRIVATE=no sets PRIVATE: any non-empty value does",
    "Binding tap0 line 4: MACSPOOF=0 sets MACSPOOF: any non-empty value does",
  ]);
});

Deno.test("parseBinding() ignores TAGS and warns about unknown keys and stray lines", () => {
  const { warnings } = ok(
    "tap0",
    `${MAC}HOSTNAME=vm\nTAGS=a b c\nNAMESERVER=10.0.0.53\ngarbage\n`,
  );
  assert.deepEqual(warnings, [
    "Binding tap0 line 4: unknown key NAMESERVER, ignored",
    'Binding tap0 line 5: not KEY=VALUE, ignored: "garbage"',
  ]);
});

Deno.test("parseBinding() keeps the last of repeated keys, with a warning", () => {
  const { binding, warnings } = ok("tap0", `${MAC}HOSTNAME=vm\nMAC=52:54:00:00:00:01\n`);
  assert.equal(binding.macText, "52:54:00:00:00:01");
  assert.deepEqual(warnings, ["Binding tap0 line 3: MAC repeats line 1; the last value wins"]);
});

Deno.test("parseBinding() reads SUBNET as prefix length, dotted netmask or bare address", () => {
  const subnet = (text: string) => ok("tap0", `${MAC}HOSTNAME=vm\nSUBNET=${text}\n`).binding.subnet;
  assert.deepEqual(subnet("192.168.0.0/16"), {
    network: parseIpv4("192.168.0.0"),
    prefixLength: 16,
  });
  assert.deepEqual(subnet("10.1.2.0/255.255.255.0"), {
    network: parseIpv4("10.1.2.0"),
    prefixLength: 24,
  });
  assert.deepEqual(subnet("10.1.2.3"), { network: parseIpv4("10.1.2.3"), prefixLength: 32 });
  assert.deepEqual(subnet("0.0.0.0/0"), { network: 0, prefixLength: 0 });
});

Deno.test("parseBinding() warns about content that parses but is probably wrong", () => {
  const { warnings } = ok(
    "tap0",
    `${MAC}HOSTNAME=vm\nIP=10.0.1.5\nSUBNET=10.0.0.0/24\nSUBNET6=2001:db8::/48\nEUI64=2001:db9::1\n`,
  );
  assert.deepEqual(warnings, [
    "Binding tap0 line 3: IP 10.0.1.5 is outside SUBNET 10.0.0.0/24",
    "Binding tap0 line 5: SUBNET6 is a /48; SLAAC needs a /64",
    "Binding tap0 line 6: EUI64 2001:db9::1 is outside SUBNET6",
  ]);
});

Deno.test("parseBinding() rejects a bad MAC or INDEV, naming the TAP, the line and the reason", () => {
  const cases: Array<[string, string]> = [
    ["MAC=zz", 'MAC is not a MAC address: "zz"'],
    ["MAC=52:54:00:12:34", 'MAC is not a MAC address: "52:54:00:12:34"'],
    ['MAC="52:54:00:12:34:56', 'MAC has no closing quote: "\\"52:54:00:12:34:56"'],
    ["INDEV=br0:1", 'INDEV is not an interface name: "br0:1"'],
    ["INDEV=a-very-long-bridge-name", 'INDEV is not an interface name: "a-very-long-bridge-name"'],
  ];
  for (const [line, reason] of cases) {
    const text = line.startsWith("MAC=") ? `HOSTNAME=vm\n${line}\n` : `${MAC}${line}\n`;
    assert.deepEqual(errors("tap3", text), [`Cannot parse binding tap3 line 2: ${reason}`], line);
  }
});

Deno.test("parseBinding() warns about any other bad value and turns off only what depends on it", () => {
  const v4 = "no DHCPv4 for this VM";
  const v6 = "no IPv6 (RA, NA, DHCPv6) for this VM";
  const cases: Array<[string, string]> = [
    ["IP=10.0.0.256", `IP is not an IPv4 address: "10.0.0.256"; ${v4}`],
    ["IP=2001:db8::1", `IP is not an IPv4 address: "2001:db8::1"; ${v4}`],
    ["SUBNET=10.0.0.0/33", `SUBNET is not an IPv4 subnet (address/prefix): "10.0.0.0/33"; ${v4}`],
    [
      "SUBNET=10.0.0.0/255.0.255.0",
      `SUBNET is not an IPv4 subnet (address/prefix): "10.0.0.0/255.0.255.0"; ${v4}`,
    ],
    [
      "SUBNET=10.0.0.0/24/1",
      `SUBNET is not an IPv4 subnet (address/prefix): "10.0.0.0/24/1"; ${v4}`,
    ],
    ["SUBNET=10.0.0.5/24", `SUBNET has host bits set: "10.0.0.5/24" (is it 10.0.0.0/24?); ${v4}`],
    ["GATEWAY=gw", `GATEWAY is not an IPv4 address: "gw"; ${v4}`],
    [
      "SUBNET6=2001:db8::/129",
      `SUBNET6 is not an IPv6 prefix (address/length): "2001:db8::/129"; ${v6}`,
    ],
    [
      "SUBNET6=2001:db8::1/64",
      `SUBNET6 has host bits set: "2001:db8::1/64" (is it 2001:db8::/64?); ${v6}`,
    ],
    ["EUI64=10.0.0.1", `EUI64 is not an IPv6 address: "10.0.0.1"; ${v6}`],
    ["GATEWAY6=fe80::g", 'GATEWAY6 is not an IPv6 address: "fe80::g"; GATEWAY6 ignored'],
    ["MTU=67", 'MTU is not 0 or an integer from 68 to 65535: "67"; no MTU option'],
    ["MTU=65536", 'MTU is not 0 or an integer from 68 to 65535: "65536"; no MTU option'],
    ["MTU=1500bytes", 'MTU is not 0 or an integer from 68 to 65535: "1500bytes"; no MTU option'],
    ['TAGS="unclosed', 'TAGS has no closing quote: "\\"unclosed"; TAGS ignored'],
  ];
  const good = "HOSTNAME=vm\nIP=10.0.0.2\nSUBNET=10.0.0.0/24\nGATEWAY=10.0.0.1\n" +
    "SUBNET6=2001:db8::/64\nGATEWAY6=2001:db8::1\nEUI64=2001:db8::2\nMTU=1450\n";
  for (const [line, reason] of cases) {
    const key = line.slice(0, line.indexOf("="));
    const text = `${MAC}${
      good.split("\n").filter((l) => !l.startsWith(`${key}=`)).join("\n")
    }${line}\n`;
    const { binding, warnings } = ok("tap3", text);
    const at = text.split("\n").indexOf(line) + 1;
    assert.deepEqual(warnings, [`Binding tap3 line ${at}: ${reason}`], line);
    const ipv4 = ["IP", "SUBNET", "GATEWAY"].includes(key);
    const ipv6 = ["SUBNET6", "EUI64"].includes(key);
    assert.equal(binding.ip === null, ipv4, `${line}: DHCPv4 ${ipv4 ? "on" : "off"}`);
    assert.equal(binding.subnet6 === null, ipv6, `${line}: IPv6 ${ipv6 ? "on" : "off"}`);
    assert.equal(binding.mtu === null, key === "MTU", line);
    assert.equal(binding.gateway6 === null, key === "GATEWAY6", line);
  }
  // nfdhcpd check (strict) still calls each of them an error.
  const strict = parseBinding("tap3", `${MAC}GATEWAY6=fe80::g\n`, true);
  assert.equal(strict.ok, false);
});

Deno.test("parseBinding() rejects a file without a MAC, or with an empty one", () => {
  assert.deepEqual(errors("tap1", "HOSTNAME=vm\nIP=10.0.0.2\n"), [
    "Cannot parse binding tap1: MAC is missing",
  ]);
  assert.deepEqual(errors("tap1", "MAC=\n"), ["Cannot parse binding tap1 line 1: MAC is empty"]);
  assert.deepEqual(errors("tap1", ""), ["Cannot parse binding tap1: MAC is missing"]);
});

Deno.test("parseBinding() reports every bad line of a file", () => {
  const result = parseBinding("tap2", "MAC=x\nIP=y\nMTU=z\n");
  assert.equal(result.ok, false);
  const strict = parseBinding("tap2", "MAC=x\nIP=y\nMTU=z\n", true);
  if (strict.ok) assert.fail("expected errors");
  assert.deepEqual(strict.errors, [
    'Cannot parse binding tap2 line 1: MAC is not a MAC address: "x"',
    'Cannot parse binding tap2 line 2: IP is not an IPv4 address: "y"',
    'Cannot parse binding tap2 line 3: MTU is not 0 or an integer from 68 to 65535: "z"',
  ]);
});

Deno.test("isInterfaceName() accepts what Linux accepts as an interface name", () => {
  for (const name of ["tap0", "br-vm.100", "a", "x".repeat(15), "one-5-0", "eth0@x"]) {
    assert.equal(isInterfaceName(name), true, name);
  }
  for (const name of ["", ".", "..", "x".repeat(16), "a/b", "a:b", "a b", "tab\t", "é".repeat(8)]) {
    assert.equal(isInterfaceName(name), false, name);
  }
});

Deno.test("parseBinding() shares SUBNET, SUBNET6 and GATEWAY6 values through the interner it is given only", () => {
  const text =
    "MAC=52:54:00:00:00:01\nSUBNET=10.0.0.0/24\nSUBNET6=2001:db8:7::/64\nGATEWAY6=2001:db8:7::1\n";
  const parse = (interner?: BindingInterner) => {
    const r = parseBinding("tap0", text, false, interner);
    if (!r.ok) throw new Error(r.errors.join("; "));
    return r.binding;
  };
  const interner = new BindingInterner();
  const [a, b] = [parse(interner), parse(interner)];
  assert.equal(a.subnet, b.subnet);
  assert.equal(a.subnet6, b.subnet6);
  assert.equal(a.gateway6, b.gateway6);
  const [c, d] = [parse(), parse()];
  assert.notEqual(c.subnet, d.subnet, "no interner, no sharing between calls");
  assert.notEqual(c.subnet6, d.subnet6);
  assert.notEqual(c.gateway6, d.gateway6);
  assert.deepEqual(c.subnet, { network: 0x0a000000, prefixLength: 24 });
  assert.deepEqual(c.subnet6, a.subnet6);
  assert.deepEqual(c.gateway6, a.gateway6);
  const other = parseBinding("tap1", text.replace("10.0.0.0/24", "10.0.0.0/16"), false, interner);
  assert.ok(other.ok);
  assert.deepEqual(other.binding.subnet, { network: 0x0a000000, prefixLength: 16 });
});

Deno.test("parseBinding() keeps each MAC in a block shared by 64 bindings, every one its own bytes", () => {
  const interner = new BindingInterner();
  const macs = Array.from({ length: 130 }, (_, i) => {
    const r = parseBinding(
      `tap${i}`,
      `MAC=02:00:00:00:${(i >> 8).toString(16)}:${(i & 255).toString(16)}\n`,
      false,
      interner,
    );
    if (!r.ok) throw new Error(r.errors.join("; "));
    return r.binding.mac;
  });
  macs.forEach((mac, i) => {
    assert.deepEqual([...mac], [2, 0, 0, 0, i >> 8, i & 255], `MAC ${i}`);
    assert.equal(mac.byteLength, 6);
  });
  assert.equal(macs[0]!.buffer, macs[63]!.buffer, "the first 64 share a block");
  assert.notEqual(macs[63]!.buffer, macs[64]!.buffer, "the 65th starts the next");
  assert.equal(macs[64]!.byteOffset, 0);
  assert.equal(macs[129]!.buffer, macs[128]!.buffer);
  assert.notEqual(macs[127]!.buffer, macs[128]!.buffer);
});

Deno.test("BindingInterner keeps at most 1024 values of a kind, then starts over", () => {
  const interner = new BindingInterner();
  for (let i = 0; i < 1024; i++) interner.ipv6(`2001:db8::${i.toString(16)}`);
  assert.equal(interner.addresses6.size, 1024);
  interner.ipv6("2001:db8::ffff");
  assert.equal(interner.addresses6.size, 1);
  assert.equal(interner.ipv6("not an address"), null);
});

Deno.test("parseBinding() ends a value at a # that starts it or follows white space", () => {
  const { binding, warnings } = ok(
    "tap0",
    `MAC=52:54:00:12:34:56   # the VM's NIC\nHOSTNAME=vm.example # name\nIP=10.0.0.2\t# tab\n` +
      `SUBNET=10.0.0.0/24#not a comment, a bad SUBNET\nTAGS="a # b" # quoted # kept\n`,
  );
  assert.equal(binding.macText, "52:54:00:12:34:56");
  assert.equal(binding.hostname, "vm.example");
  assert.equal(binding.ip, null, "SUBNET is bad, so no DHCPv4");
  assert.deepEqual(warnings, [
    'Binding tap0 line 4: SUBNET is not an IPv4 subnet (address/prefix): "10.0.0.0/24#not a comment, a bad SUBNET"; no DHCPv4 for this VM',
  ]);
});

Deno.test("parseBinding() reads a flag whose value is only a comment as not set, with a warning", () => {
  const { binding, warnings } = ok(
    "tap0",
    `${MAC}HOSTNAME=vm\nMACSPOOF=   # non-empty: skip the MAC check\nPRIVATE=#yes\n`,
  );
  assert.equal(binding.macspoof, false);
  assert.equal(binding.private, false);
  assert.deepEqual(warnings, [
    "Binding tap0 line 3: MACSPOOF has only a comment for a value: read as empty",
    "Binding tap0 line 4: PRIVATE has only a comment for a value: read as empty",
  ]);
  assert.deepEqual(ok("tap0", `${MAC}HOSTNAME=vm\nPRIVATE=\n`).warnings, [], "plain empty: quiet");
});

Deno.test("parseBinding() reads MTU=0 as no MTU option, as the original", () => {
  const { binding, warnings } = ok("tap0", `${MAC}HOSTNAME=vm\nMTU=0\n`);
  assert.equal(binding.mtu, null);
  assert.deepEqual(warnings, []);
});

Deno.test("parseBinding() serves a HOSTNAME DNS does not allow cleaned up, with a warning", () => {
  const cases: Array<[string, string | null]> = [
    ["two words", "two-words"],
    ["web_1.example.org", "web-1.example.org"],
    ["-vm-.example..org", "vm.example.org"],
    ["caf\u00e9", "caf"],
    ["***", null],
  ];
  for (const [name, sent] of cases) {
    const { binding, warnings } = ok("tap0", `${MAC}HOSTNAME=${name}\n`);
    assert.equal(binding.hostname, sent, name);
    const shown = JSON.stringify(name);
    const warning = sent === null
      ? `HOSTNAME ${shown} has nothing DNS allows in a host name; no host name sent`
      : `HOSTNAME ${shown} is not a DNS host name; sent as ${JSON.stringify(sent)}`;
    assert.equal(warnings[0], `Binding tap0 line 2: ${warning}`, name);
  }
  const long = `${"a".repeat(70)}.example.org`;
  assert.equal(
    ok("tap0", `${MAC}HOSTNAME=${long}\n`).binding.hostname,
    `${"a".repeat(63)}.example.org`,
  );
  assert.deepEqual(ok("tap0", `${MAC}HOSTNAME=vm.example.org.\n`).warnings, []);
});

Deno.test("isInterfaceName() takes a name of exactly 15 bytes also when they are not ASCII", () => {
  assert.equal(isInterfaceName(`tap${"é".repeat(6)}`), true);
  assert.equal(isInterfaceName(`tapx${"é".repeat(6)}`), false);
});

Deno.test("parseBinding(): a key whose last line has no closing quote loses its earlier value", () => {
  const result = parseBinding("tap0", 'MAC=52:54:00:12:34:56\nHOSTNAME=web\nHOSTNAME="db\n');
  assert.ok(result.ok);
  assert.equal(result.binding.hostname, null);
});
