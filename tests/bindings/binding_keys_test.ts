/**
 * Every key of a binding file read from text, one row each: the forms it accepts with the value
 * the binding then holds, the forms it refuses with the line and reason (a warning that says what
 * is turned off, an error under `check`, an error always for MAC and INDEV), and the odd forms it
 * warns about. A key parseBinding() knows and the table does not fails the test: add its row.
 */
import assert from "node:assert/strict";
import { parseIpv4, parseIpv6 } from "../../src/address.ts";
import { type Binding, parseBinding } from "../../src/bindings/binding.ts";

const v4 = (text: string) => parseIpv4(text)!;
const v6 = (text: string) => [...parseIpv6(text)!];
const TAP = "tap7";
/** Every file `fileWith` writes has the key on this line. */
const KEY_LINE = 3;

interface Row {
  readonly read: (b: Binding) => unknown;
  /** Value text → what `read` gives, without a warning. */
  readonly accepted: ReadonlyArray<readonly [string, unknown]>;
  /** Value text → why it is refused. */
  readonly rejected: ReadonlyArray<readonly [string, string]>;
  /** What a refused value turns off (in the daemon's warning); absent for MAC and INDEV (fatal). */
  readonly off?: string;
  /** Value text → the warning it gives (the value is still read), and one that follows. */
  readonly warned?: ReadonlyArray<readonly [string, string, string?]>;
  /** Lines after the key, when it needs company to make sense (IP needs a SUBNET...). */
  readonly with?: string;
}

const IPV4_OFF = "no DHCPv4 for this VM";
const IPV6_OFF = "no IPv6 (RA, NA, DHCPv6) for this VM";
const flagRow = (key: string, read: (b: Binding) => boolean): Row => ({
  read,
  accepted: [["1", true], ["yes", true], ["x", true], ["", false], ['""', false]],
  rejected: [],
  warned: ["0", "no", "False", "OFF"].map((
    v,
  ) => [v, `${key}=${v} sets ${key}: any non-empty value does`]),
});
const hostnameRow = (key: string): Row => ({
  read: (b) => b.hostname,
  accepted: [["vm1", "vm1"], ["vm1.example.org", "vm1.example.org"], [
    "vm1.example.org.",
    "vm1.example.org",
  ]],
  rejected: [],
  warned: [
    ["vm_1", `${key} "vm_1" is not a DNS host name; sent as "vm-1"`],
    ["-vm-.a..b", `${key} "-vm-.a..b" is not a DNS host name; sent as "vm.a.b"`],
    [
      "___",
      `${key} "___" has nothing DNS allows in a host name; no host name sent`,
      `Binding ${TAP}: no HOSTNAME (or INSTANCE); replies carry no host name`,
    ],
  ],
});

const ROWS: Record<string, Row> = {
  INSTANCE: hostnameRow("INSTANCE"),
  HOSTNAME: hostnameRow("HOSTNAME"),
  INDEV: {
    read: (b) => b.indev,
    accepted: [["br0", "br0"], ["", TAP], ["a".repeat(15), "a".repeat(15)], ["'br-vms'", "br-vms"]],
    rejected: [
      ["br 0", `INDEV is not an interface name: "br 0"`],
      ["a".repeat(16), `INDEV is not an interface name: "${"a".repeat(16)}"`],
      ["br:0", `INDEV is not an interface name: "br:0"`],
      ["..", `INDEV is not an interface name: ".."`],
    ],
  },
  MAC: {
    read: (b) => b.macText,
    accepted: [["52:54:00:AB:cd:EF", "52:54:00:ab:cd:ef"], ["2:4:0:a:b:c", "02:04:00:0a:0b:0c"], [
      "52-54-00-AB-CD-EF",
      "52:54:00:ab:cd:ef",
    ], [
      '"52:54:00:00:00:01" # web',
      "52:54:00:00:00:01",
    ]],
    rejected: [
      ["52:54:00:ab:cd", `MAC is not a MAC address: "52:54:00:ab:cd"`],
      ["52:54:00:ab:cd:xy", `MAC is not a MAC address: "52:54:00:ab:cd:xy"`],
      ["52:54-00:ab:cd:ef", `MAC is not a MAC address: "52:54-00:ab:cd:ef"`],
      ["", "MAC is empty"],
    ],
  },
  IP: {
    read: (b) => b.ip,
    with: "SUBNET=10.0.0.0/24",
    accepted: [["10.0.0.5", v4("10.0.0.5")], ["10.0.0.5 # web", v4("10.0.0.5")], ["", null]],
    rejected: [["10.0.0.256", `IP is not an IPv4 address: "10.0.0.256"`], [
      "10.0.0",
      `IP is not an IPv4 address: "10.0.0"`,
    ]],
    off: IPV4_OFF,
    warned: [["10.0.1.5", "IP 10.0.1.5 is outside SUBNET 10.0.0.0/24"]],
  },
  SUBNET: {
    read: (b) => b.subnet,
    with: "IP=10.0.0.5",
    accepted: [
      ["10.0.0.0/24", { network: v4("10.0.0.0"), prefixLength: 24 }],
      ["10.0.0.0/255.255.255.0", { network: v4("10.0.0.0"), prefixLength: 24 }],
      ["0.0.0.0/0", { network: 0, prefixLength: 0 }],
      ["10.0.0.5/32", { network: v4("10.0.0.5"), prefixLength: 32 }],
      ["10.0.0.4/31", { network: v4("10.0.0.4"), prefixLength: 31 }],
      ["10.0.0.5", { network: v4("10.0.0.5"), prefixLength: 32 }],
    ],
    rejected: [
      ["10.0.0.1/24", `SUBNET has host bits set: "10.0.0.1/24" (is it 10.0.0.0/24?)`],
      [
        "10.0.0.0/255.0.255.0",
        `SUBNET is not an IPv4 subnet (address/prefix): "10.0.0.0/255.0.255.0"`,
      ],
      ["10.0.0.0/33", `SUBNET is not an IPv4 subnet (address/prefix): "10.0.0.0/33"`],
      ["10.0.0.0/24/1", `SUBNET is not an IPv4 subnet (address/prefix): "10.0.0.0/24/1"`],
    ],
    off: IPV4_OFF,
  },
  GATEWAY: {
    read: (b) => b.gateway,
    accepted: [["10.0.0.1", v4("10.0.0.1")], ["", null]],
    rejected: [["gw", `GATEWAY is not an IPv4 address: "gw"`]],
    off: IPV4_OFF,
  },
  SUBNET6: {
    read: (b) => b.subnet6 && { prefix: [...b.subnet6.prefix], length: b.subnet6.prefixLength },
    accepted: [["2001:db8:1::/64", { prefix: v6("2001:db8:1::"), length: 64 }], ["", null]],
    rejected: [
      [
        "2001:db8:1::1/64",
        `SUBNET6 has host bits set: "2001:db8:1::1/64" (is it 2001:db8:1::/64?)`,
      ],
      ["2001:db8:1::/129", `SUBNET6 is not an IPv6 prefix (address/length): "2001:db8:1::/129"`],
      ["2001:db8:1::/6x", `SUBNET6 is not an IPv6 prefix (address/length): "2001:db8:1::/6x"`],
      ["10.0.0.0/24", `SUBNET6 is not an IPv6 prefix (address/length): "10.0.0.0/24"`],
    ],
    off: IPV6_OFF,
    warned: [
      ["2001:db8:1::/48", "SUBNET6 is a /48; SLAAC needs a /64"],
      ["2001:db8:1::7", "SUBNET6 is a /128; SLAAC needs a /64"],
    ],
  },
  GATEWAY6: {
    read: (b) => b.gateway6 && [...b.gateway6],
    accepted: [["fe80::1", v6("fe80::1")], ["", null]],
    rejected: [["fe80::g", `GATEWAY6 is not an IPv6 address: "fe80::g"`]],
    off: "GATEWAY6 ignored",
  },
  EUI64: {
    read: (b) => b.eui64 && [...b.eui64],
    with: "SUBNET6=2001:db8:1::/64",
    accepted: [["2001:db8:1:0:5054:ff:fe12:3456", v6("2001:db8:1:0:5054:ff:fe12:3456")], [
      "",
      null,
    ]],
    rejected: [["2001:db8:1::5054::1", `EUI64 is not an IPv6 address: "2001:db8:1::5054::1"`]],
    off: IPV6_OFF,
    warned: [["2001:db8:2::1", "EUI64 2001:db8:2::1 is outside SUBNET6"]],
  },
  MTU: {
    read: (b) => b.mtu,
    accepted: [["1500", 1500], ["68", 68], ["65535", 65535], ["0", null], ["", null]],
    rejected: ["67", "65536", "1500.0", "-1", "1e3", "015000"].map((v) => [
      v,
      `MTU is not 0 or an integer from 68 to 65535: "${v}"`,
    ]),
    off: "no MTU option",
  },
  PRIVATE: flagRow("PRIVATE", (b) => b.private),
  MACSPOOF: flagRow("MACSPOOF", (b) => b.macspoof),
  TAGS: {
    // Read by the hooks' authors only: nfdhcpd accepts it and uses nothing of it.
    read: (b) => b.overrides,
    accepted: [['"ip-less-routed nfdhcpd"', undefined], ["a#b", undefined], ["", undefined]],
    rejected: [],
  },
  ROUTES: {
    read: (b) => b.overrides?.routes,
    accepted: [
      ["10.1.0.0/16 10.0.0.1, 0.0.0.0/0 10.0.0.1", [
        { destination: v4("10.1.0.0"), prefixLength: 16, router: v4("10.0.0.1") },
        { destination: 0, prefixLength: 0, router: v4("10.0.0.1") },
      ]],
      ["'192.0.2.7 10.0.0.1,'", [{
        destination: v4("192.0.2.7"),
        prefixLength: 32,
        router: v4("10.0.0.1"),
      }]],
      ["", undefined],
    ],
    rejected: ["10.1.0.0/16", "10.1.0.1/16 10.0.0.1", "10.1.0.0/16 gw"].map((v) => [
      v,
      `ROUTES is not routes ("DEST/LEN ROUTER, ..."): "${v}"`,
    ]),
    off: "ROUTES ignored",
  },
  NAMESERVERS: {
    read: (b) => b.overrides?.nameservers,
    accepted: [
      ["10.0.0.2", [v4("10.0.0.2")]],
      ["10.0.0.2 10.0.0.3", [v4("10.0.0.2"), v4("10.0.0.3")]],
      ['"10.0.0.2, 10.0.0.3"', [v4("10.0.0.2"), v4("10.0.0.3")]],
      ["", undefined],
    ],
    rejected: [["10.0.0.2,ns1", `NAMESERVERS is not IPv4 addresses: "10.0.0.2,ns1"`]],
    off: "NAMESERVERS ignored",
  },
  NAMESERVERS6: {
    read: (b) => b.overrides?.nameservers6?.map((a) => [...a]),
    accepted: [["2001:db8::53", [v6("2001:db8::53")]], ["2001:db8::53,2001:db8::54", [
      v6("2001:db8::53"),
      v6("2001:db8::54"),
    ]], ["", undefined]],
    rejected: [["10.0.0.2", `NAMESERVERS6 is not IPv6 addresses: "10.0.0.2"`]],
    off: "NAMESERVERS6 ignored",
  },
  DOMAIN: {
    read: (b) => b.overrides?.domain,
    accepted: [["tenant.example", "tenant.example"], ["tenant.example #x", "tenant.example"], [
      "",
      undefined,
    ]],
    rejected: [["a..b", `DOMAIN is not a domain name: "a..b"`], [
      // A # inside a word starts no comment, even with white space after it.
      "a.example# x",
      `DOMAIN is not a domain name: "a.example# x"`,
    ], [
      `${"a".repeat(64)}.example`,
      `DOMAIN is not a domain name: "${"a".repeat(64)}.example"`,
    ]],
    off: "DOMAIN ignored",
  },
  DOMAIN_SEARCH: {
    read: (b) => b.overrides?.domainSearch,
    accepted: [["a.example b.example", ["a.example", "b.example"]], ["a.example,", ["a.example"]], [
      "",
      undefined,
    ]],
    rejected: [["a.example a..b", `DOMAIN_SEARCH is not domain names: "a.example a..b"`]],
    off: "DOMAIN_SEARCH ignored",
  },
  NTP: {
    read: (b) => b.overrides?.ntp,
    accepted: [["10.0.0.123", [v4("10.0.0.123")]], ["10.0.0.123, 10.0.0.124", [
      v4("10.0.0.123"),
      v4("10.0.0.124"),
    ]], ["", undefined]],
    rejected: [["pool.ntp.org", `NTP is not IPv4 or IPv6 addresses: "pool.ntp.org"`]],
    off: "NTP ignored",
  },
};

/** The keys parseBinding() knows: its KNOWN_KEYS set, read from the source (it is not exported). */
function knownKeys(): string[] {
  const source = Deno.readTextFileSync(new URL("../../src/bindings/binding.ts", import.meta.url));
  const set = /const KNOWN_KEYS = new Set\(\[([^\]]*)\]\)/.exec(source);
  assert.ok(set, "KNOWN_KEYS not found in src/bindings/binding.ts: update knownKeys()");
  return [...set[1]!.matchAll(/"([A-Z0-9_]+)"/g)].map((m) => m[1]!);
}

/** The file: a comment, a MAC (or the key, for MAC), the key at line 3, its company, a HOSTNAME. */
function fileWith(key: string, value: string, row: Row): string {
  const mac = key === "MAC" ? "# no other MAC" : "MAC=52:54:00:12:34:56";
  const company = row.with === undefined ? "" : `${row.with}\n`;
  // A binding without a host name warns: give one, unless the row is about the host name.
  const name = key === "HOSTNAME" || key === "INSTANCE" ? "" : "HOSTNAME=vm7\n";
  return `# row ${key}\n${mac}\n${key}=${value}\n${company}${name}`;
}

Deno.test("every key parseBinding() knows has a row, and every row is a key it knows", () => {
  const known = knownKeys();
  assert.ok(known.length >= 20, `keys found: ${known}`);
  assert.deepEqual(
    known.filter((k) => !(k in ROWS)),
    [],
    "keys without a row: add how each is read",
  );
  assert.deepEqual(Object.keys(ROWS).filter((k) => !known.includes(k)), [], "rows of no key");
  // And the list read from the source is the one in force: none of its keys is unknown.
  for (const key of known) {
    const result = parseBinding(TAP, `MAC=52:54:00:12:34:56\n${key}=\n`, true);
    assert.ok(result.ok || !result.errors.some((e) => /unknown key/.test(e)), key);
  }
  const unknown = parseBinding(TAP, "MAC=52:54:00:12:34:56\nNOT_A_KEY=1\n", true);
  assert.ok(!unknown.ok && unknown.errors.some((e) => /unknown key NOT_A_KEY/.test(e)));
});

Deno.test("every binding key reads each accepted form to its value, quietly, strict or not", () => {
  for (const [key, row] of Object.entries(ROWS)) {
    for (const [value, expected] of row.accepted) {
      const where = `${key}=${value}`;
      for (const strict of [false, true]) {
        const result = parseBinding(TAP, fileWith(key, value, row), strict);
        if (!result.ok) assert.fail(`${where}: ${result.errors.join("; ")}`);
        assert.deepEqual(result.warnings, [], where);
        assert.deepEqual(row.read(result.binding), expected, where);
      }
    }
  }
});

Deno.test("every binding key refuses each rejected form with its line and reason, and says what goes", () => {
  for (const [key, row] of Object.entries(ROWS)) {
    for (const [value, reason] of row.rejected) {
      const where = `${key}=${value}`;
      const strict = parseBinding(TAP, fileWith(key, value, row), true);
      const error = `Cannot parse binding ${TAP} line ${KEY_LINE}: ${reason}`;
      assert.deepEqual(strict.ok ? strict.warnings : strict.errors, [error], `${where} (check)`);
      const daemon = parseBinding(TAP, fileWith(key, value, row));
      if (row.off === undefined) {
        assert.deepEqual(daemon.ok ? daemon.warnings : daemon.errors, [error], where);
        continue;
      }
      if (!daemon.ok) assert.fail(`${where}: ${daemon.errors.join("; ")}`);
      assert.deepEqual(
        daemon.warnings,
        [`Binding ${TAP} line ${KEY_LINE}: ${reason}; ${row.off}`],
        where,
      );
    }
  }
});

Deno.test("binding keys with a value that works but is odd warn with its line and reason", () => {
  let warned = 0;
  for (const [key, row] of Object.entries(ROWS)) {
    for (const [value, reason, then] of row.warned ?? []) {
      const result = parseBinding(TAP, fileWith(key, value, row));
      const where = `${key}=${value}`;
      if (!result.ok) assert.fail(`${where}: ${result.errors.join("; ")}`);
      const expected = [`Binding ${TAP} line ${KEY_LINE}: ${reason}`, ...(then ? [then] : [])];
      assert.deepEqual(result.warnings, expected, where);
      warned++;
    }
  }
  assert.equal(warned, 18);
});
