/**
 * `nfdhcpd rules`: the rules follow the configured queues and enabled services in every format,
 * as the shipped files hold them; usage and configuration errors.
 */
import assert from "node:assert/strict";
import { statements } from "../firewall/statements.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;

/** Runs `nfdhcpd rules ARGS` with read access only. */
async function rules(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", MAIN, "rules", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: r.code, out: text(r.stdout), err: text(r.stderr) };
}

/** A configuration file in a temporary directory; removed by the returned function. */
function tempConf(text: string): { path: string; remove: () => void } {
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-rules-" });
  Deno.writeTextFileSync(`${dir}/nfdhcpd.conf`, text);
  return { path: `${dir}/nfdhcpd.conf`, remove: () => Deno.removeSync(dir, { recursive: true }) };
}

const RENUMBERED = "[dhcp]\nserver_ip = 192.0.2.1\ndhcp_queue = 100\n" +
  "[ipv6]\nrs_queue = 101\nns_queue = 102\ndhcpv6_queue = 103\n";

Deno.test("rules: iptables and ip6tables hold the shipped rules in the NFDHCPD chain", async () => {
  const v4 = await rules("-c", "conf/nfdhcpd.conf", "--format", "iptables", "--bridged");
  assert.equal(v4.code, 0, v4.err);
  assert.deepEqual(statements(v4.out), [
    "*mangle",
    ":NFDHCPD - [0:0]",
    "-F NFDHCPD",
    "-A NFDHCPD -i tap+ -p udp -m udp --dport 67 -j NFQUEUE --queue-num 42 --queue-bypass",
    "-A NFDHCPD -p udp -m physdev --physdev-in tap+ -m udp --dport 67 -j NFQUEUE --queue-num 42 --queue-bypass",
    "COMMIT",
  ]);
  // The same rules as the shipped file, in the chain instead of PREROUTING.
  const shipped = Deno.readTextFileSync(`${ROOT}conf/nfdhcpd.rules.v4`).split("\n")
    .filter((l) => l.startsWith("-A PREROUTING")).map((l) => l.replace("PREROUTING", "NFDHCPD"));
  assert.deepEqual(statements(v4.out).filter((l) => l.startsWith("-A")), shipped);
  assert.match(v4.out, /iptables -t mangle -C PREROUTING -j NFDHCPD 2>\/dev\/null \|\|/);
  assert.match(
    v4.out,
    /nfdhcpd rules -c conf\/nfdhcpd.conf --format nft-limit --bridged \| nft -f -/,
  );

  const v6 = await rules("-c", "conf/nfdhcpd.conf", "--format", "ip6tables");
  const shipped6 = Deno.readTextFileSync(`${ROOT}conf/nfdhcpd.rules.v6`).split("\n")
    .filter((l) => l.startsWith("-A PREROUTING")).map((l) => l.replace("PREROUTING", "NFDHCPD"));
  assert.deepEqual(statements(v6.out).filter((l) => l.startsWith("-A")), shipped6);
  assert.equal(v6.code, 0);
});

Deno.test("rules: the configured queue numbers, in every format", async () => {
  const conf = tempConf(RENUMBERED);
  try {
    const out = async (format: string) => {
      const r = await rules("-c", conf.path, "--format", format);
      assert.equal(r.code, 0, r.err);
      return statements(r.out).join("\n");
    };
    const v4 = await out("iptables");
    assert.match(v4, /--dport 67 -j NFQUEUE --queue-num 100 --queue-bypass/);
    assert.doesNotMatch(v4, /physdev/, "routed only without --bridged");
    const v6 = await out("ip6tables");
    for (const [type, q] of [["router-solicitation", 101], ["neighbour-solicitation", 102]]) {
      assert.match(v6, new RegExp(`--icmpv6-type ${type} -j NFQUEUE --queue-num ${q} `));
    }
    assert.match(v6, /--dport 547 -j NFQUEUE --queue-num 103 /);
    assert.deepEqual((await out("ferm")).split("\n"), [
      "domain ip table mangle chain PREROUTING proto udp dport 67 {",
      "    interface tap+ NFQUEUE queue-num 100 queue-bypass;",
      "}",
      "domain ip6 table mangle chain PREROUTING interface tap+ {",
      "    proto icmpv6 icmpv6-type router-solicitation NFQUEUE queue-num 101 queue-bypass;",
      "    proto icmpv6 icmpv6-type neighbour-solicitation NFQUEUE queue-num 102 queue-bypass;",
      "    proto udp dport 547 NFQUEUE queue-num 103 queue-bypass;",
      "}",
    ]);
    const nft = (await out("nft")).split("\n").map((l) => l.trim());
    assert.deepEqual(nft.filter((l) => l.includes(" queue num ")), [
      'iifname "tap*" meta nfproto ipv4 udp dport 67 queue num 100 bypass',
      'iifname "tap*" icmpv6 type nd-router-solicit queue num 101 bypass',
      'iifname "tap*" icmpv6 type nd-neighbor-solicit queue num 102 bypass',
      'iifname "tap*" meta nfproto ipv6 udp dport 547 queue num 103 bypass',
    ]);
  } finally {
    conf.remove();
  }
});

Deno.test("rules: nft holds the queue table and the shipped per-TAP limit", async () => {
  const r = await rules("-c", "conf/nfdhcpd.conf", "--format", "nft");
  assert.equal(r.code, 0, r.err);
  const shippedQueue = statements(Deno.readTextFileSync(`${ROOT}conf/nfdhcpd.nft`));
  const shippedLimit = statements(Deno.readTextFileSync(`${ROOT}conf/nfdhcpd-limit.nft`));
  const bridgeTable = shippedLimit.indexOf("table bridge nfdhcpd_limit {");
  // The shipped limit file declares and deletes both tables first; ours only the inet one.
  const inetLimit = [
    "table inet nfdhcpd_limit",
    "delete table inet nfdhcpd_limit",
    ...shippedLimit.slice(shippedLimit.indexOf("table inet nfdhcpd_limit {"), bridgeTable),
  ];
  assert.deepEqual(statements(r.out), [...shippedQueue, ...inetLimit]);

  const bridged = await rules("-c", "conf/nfdhcpd.conf", "--format", "nft-limit", "--bridged");
  assert.equal(bridged.code, 0, bridged.err);
  assert.deepEqual(statements(bridged.out), [
    ...inetLimit,
    "table bridge nfdhcpd_limit",
    "delete table bridge nfdhcpd_limit",
    ...shippedLimit.slice(bridgeTable),
  ]);
});

Deno.test("rules: a service turned off gets no rule, and no limit", async () => {
  const conf = tempConf(
    "[dhcp]\nenable_dhcp = no\n[ipv6]\nmode = slaac\nrs_queue = 43\nns_queue = 44\n",
  );
  try {
    const v4 = await rules("-c", conf.path, "--format", "iptables");
    assert.deepEqual(statements(v4.out), ["*mangle", ":NFDHCPD - [0:0]", "-F NFDHCPD", "COMMIT"]);
    const ferm = await rules("-c", conf.path, "--format", "ferm");
    assert.doesNotMatch(ferm.out, /domain ip table|dport (67|547)/);
    const limit = await rules("-c", conf.path, "--format", "nft-limit", "--bridged");
    assert.deepEqual(
      statements(limit.out).filter((l) => l.includes("update @")).map((l) =>
        l.trim().split(" update")[0]
      ),
      [
        'iifname "tap*" icmpv6 type nd-router-solicit',
        'iifname "tap*" icmpv6 type nd-neighbor-solicit',
      ],
    );
    assert.doesNotMatch(limit.out, /table bridge/, "no DHCPv4: no bridged limit");
  } finally {
    conf.remove();
  }
});

Deno.test("rules: usage errors exit 2; a broken configuration exits 1 with its errors", async () => {
  for (
    const args of [["--format", "pf"], ["--format", "nft", "--bridged"], ["extra"], ["--bogus"]]
  ) {
    const r = await rules("-c", "conf/nfdhcpd.conf", ...args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.err, /Usage: nfdhcpd rules/);
    assert.equal(r.out, "");
  }
  const bad = await rules("-c", "tests/fixtures/check/bad_value.conf");
  assert.equal(bad.code, 1);
  assert.match(bad.err, /lease_lifetime \(line 3\): not a non-negative integer/);
  assert.equal(bad.out, "");
});
