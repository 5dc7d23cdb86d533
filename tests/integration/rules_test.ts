/**
 * Root tests: every format of `nfdhcpd rules` loads into its real tool in a fresh network
 * namespace, and loading it again leaves one copy of each rule.
 */
import assert from "node:assert/strict";
import { daemonCommand } from "../../lab/daemon.ts";
import { REPO_ROOT, requireCommands, requireRoot, run } from "../../lab/proc.ts";

const SHIPPED = `${REPO_ROOT}/conf/nfdhcpd.conf`;
let namespaces = 0;

/** `nfdhcpd rules ARGS` as the integration tests run the program (the bundle). */
async function rules(...args: string[]): Promise<string> {
  const r = await run([...daemonCommand(), "rules", ...args]);
  return r.stdout;
}

/** Runs `body` with a fresh network namespace (empty firewall), removed afterwards. */
async function withNamespace(body: (ns: string) => Promise<void>): Promise<void> {
  const ns = `nfdt-rules-${Deno.pid}-${++namespaces}`;
  await run(["ip", "netns", "add", ns]);
  try {
    await body(ns);
  } finally {
    await run(["ip", "netns", "del", ns]);
  }
}

/** A temporary directory removed after `body`. */
async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-rules-" });
  try {
    await body(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** The shell command the iptables output's comments give for adding the jump. */
function jumpCommand(out: string): string {
  const comments = out.split("\n").map((l) => l.replace(/^#\s*/, ""));
  const first = comments.findIndex((l) => / -C PREROUTING -j NFDHCPD /.test(l));
  assert.ok(first >= 0, out);
  return `${comments[first]} ${comments[first + 1]}`;
}

const RENUMBERED = "[dhcp]\nserver_ip = 192.0.2.1\ndhcp_queue = 100\n" +
  "[ipv6]\nrs_queue = 101\nns_queue = 102\ndhcpv6_queue = 103\n";

Deno.test("rules --format iptables/ip6tables: restore --test passes; loaded twice, one copy; renumbered, replaced", async () => {
  requireRoot();
  requireCommands(["ip", "iptables-restore", "ip6tables-restore", "iptables", "ip6tables", "sh"]);
  for (
    const [format, tool, bridged] of [["iptables", "iptables", true], [
      "ip6tables",
      "ip6tables",
      false,
    ]] as const
  ) {
    const extra = bridged ? ["--bridged"] : [];
    const out = await rules("-c", SHIPPED, "--format", format, ...extra);
    await withNamespace(async (ns) => {
      const test = await run([`${tool}-restore`, "--test"], { ns, stdin: out, allowFailure: true });
      assert.equal(test.code, 0, `${tool}-restore --test: ${test.stderr}`);
      const load = async (text: string) => {
        await run([`${tool}-restore`, "--noflush"], { ns, stdin: text });
        await run(["sh", "-c", jumpCommand(text)], { ns });
      };
      const listed = async () =>
        (await run([tool, "-t", "mangle", "-S"], { ns })).stdout.split("\n").filter((l) =>
          l.startsWith("-A")
        );
      await load(out);
      const once = await listed();
      await load(out);
      assert.deepEqual(await listed(), once, `${format}: loading again changed the rules`);
      const chain = out.split("\n").filter((l) => l.startsWith("-A NFDHCPD"));
      assert.equal(chain.length, bridged ? 2 : 3);
      // iptables -S prints ICMPv6 types by number.
      const numbered = chain.map((l) =>
        l.replace("router-solicitation", "133").replace("neighbour-solicitation", "135")
      );
      assert.deepEqual(once, ["-A PREROUTING -j NFDHCPD", ...numbered]);

      await withDir(async (dir) => {
        Deno.writeTextFileSync(`${dir}/nfdhcpd.conf`, RENUMBERED);
        await load(await rules("-c", `${dir}/nfdhcpd.conf`, "--format", format, ...extra));
      });
      const renumbered = await listed();
      assert.equal(renumbered.filter((l) => l === "-A PREROUTING -j NFDHCPD").length, 1);
      assert.equal(renumbered.length, once.length);
      assert.ok(renumbered.every((l) => !/--queue-num 4[2-5] /.test(l)), renumbered.join("\n"));
      assert.ok(
        renumbered.slice(1).every((l) => /--queue-num 10[0-3] /.test(l)),
        renumbered.join("\n"),
      );
    });
  }
});

Deno.test("rules --format ferm: ferm --noexec gives the rules with the configured queues", async () => {
  requireCommands(["ferm"]);
  await withDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/nfdhcpd.conf`, RENUMBERED);
    const file = `${dir}/nfdhcpd.ferm`;
    Deno.writeTextFileSync(
      file,
      await rules("-c", `${dir}/nfdhcpd.conf`, "--format", "ferm", "--bridged"),
    );
    const r = await run(["ferm", "--noexec", "--lines", "--slow", file], { allowFailure: true });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const applied = (r.stdout + r.stderr).split("\n").filter((l) => l.includes(" -A PREROUTING "))
      .map((l) => l.replace(/^\S+\/(ip6?tables)(-legacy|-nft)? /, "$1 "));
    assert.deepEqual(applied, [
      "iptables -t mangle -A PREROUTING --protocol udp --dport 67 --in-interface tap+ --jump NFQUEUE --queue-num 100 --queue-bypass",
      "iptables -t mangle -A PREROUTING --protocol udp --dport 67 --match physdev --physdev-in tap+ --jump NFQUEUE --queue-num 100 --queue-bypass",
      "ip6tables -t mangle -A PREROUTING --in-interface tap+ --protocol icmpv6 --icmpv6-type router-solicitation --jump NFQUEUE --queue-num 101 --queue-bypass",
      "ip6tables -t mangle -A PREROUTING --in-interface tap+ --protocol icmpv6 --icmpv6-type neighbour-solicitation --jump NFQUEUE --queue-num 102 --queue-bypass",
      "ip6tables -t mangle -A PREROUTING --in-interface tap+ --protocol udp --dport 547 --jump NFQUEUE --queue-num 103 --queue-bypass",
    ]);
  });
});

/** Whether this kernel has the nftables queue expression, and if not, nft's words for it. */
async function probeNftQueue(): Promise<{ readonly has: boolean; readonly why: string }> {
  if (Deno.uid() !== 0) return { has: false, why: "not root: nft -c cannot ask the kernel" };
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-rules-probe-" });
  try {
    Deno.writeTextFileSync(
      `${dir}/probe.nft`,
      "table inet nfdhcpd_probe {\n\tchain c {\n\t\ttype filter hook prerouting priority 0;\n" +
        "\t\tqueue num 1 bypass\n\t}\n}\n",
    );
    const r = await run(["nft", "-c", "-f", `${dir}/probe.nft`], { allowFailure: true });
    return { has: r.code === 0, why: (r.stderr + r.stdout).trim().split("\n")[0] ?? "" };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const NFT_QUEUE = await probeNftQueue();
if (!NFT_QUEUE.has) {
  console.log(
    `rules_test: this kernel has no nftables queue expression (${NFT_QUEUE.why}); ` +
      "the nft queue table is checked against that error instead of being loaded",
  );
}

/** Loads `text` twice in `ns` with nft -f and lists the ruleset. */
async function loadTwice(ns: string, dir: string, text: string): Promise<string> {
  Deno.writeTextFileSync(`${dir}/rules.nft`, text);
  for (const pass of ["first", "again"]) {
    const r = await run(["nft", "-f", `${dir}/rules.nft`], { ns, allowFailure: true });
    assert.equal(r.code, 0, `nft -f (${pass}): ${r.stderr}`);
  }
  return (await run(["nft", "list", "ruleset"], { ns })).stdout;
}

// One test, whatever the kernel: the queue table is loaded for real where the kernel has the
// nftables queue expression; elsewhere the queue statements must fail with the kernel's error and
// everything else must load. Neither branch is skipped.
Deno.test("rules --format nft: loads twice leaving one copy (only the queue statements fail without nft_queue)", async () => {
  requireRoot();
  requireCommands(["ip", "nft"]);
  const out = await rules("-c", SHIPPED, "--format", "nft");
  if (NFT_QUEUE.has) await nftWithQueue(out);
  else await nftWithoutQueue(out);
});

async function nftWithQueue(out: string): Promise<void> {
  await withDir((dir) =>
    withNamespace(async (ns) => {
      const listed = await loadTwice(ns, dir, out);
      assert.equal(
        listed.match(/queue (flags bypass )?to 4[2-5]|queue num 4[2-5]/g)?.length,
        4,
        listed,
      );
      assert.equal(listed.match(/^table /gm)?.length, 2, listed);
    })
  );
}

async function nftWithoutQueue(out: string): Promise<void> {
  await withDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/rules.nft`, out);
    const r = await run(["nft", "-c", "-f", `${dir}/rules.nft`], { allowFailure: true });
    assert.notEqual(r.code, 0);
    const errors = r.stderr.split("\n").filter((l) => l.includes("Error:"));
    assert.equal(errors.length, 4, r.stderr);
    assert.ok(
      errors.every((l) => l.endsWith("Error: Could not process rule: No such file or directory")),
      r.stderr,
    );
    const failing = r.stderr.split("\n").filter((l) =>
      /^\s+iifname "tap\*" .* queue num \d+ bypass$/.test(l)
    );
    assert.equal(failing.length, 4, r.stderr);
    // With each queue statement made an accept, everything else loads for real, twice.
    assert.equal(out.match(/queue num \d+ bypass/g)?.length, 4);
    await withNamespace(async (ns) => {
      const listed = await loadTwice(ns, dir, out.replaceAll(/queue num \d+ bypass/g, "accept"));
      assert.deepEqual(listed.match(/^table .*$/gm), [
        "table inet nfdhcpd {",
        "table inet nfdhcpd_limit {",
      ]);
      assert.equal(listed.match(/ accept$/gm)?.length, 4, listed);
      assert.equal(listed.match(/ drop$/gm)?.length, 4, listed);
    });
  });
}

Deno.test("rules --format nft-limit --bridged: loads twice into a namespace, one copy of each table", async () => {
  requireRoot();
  requireCommands(["ip", "nft"]);
  const out = await rules("-c", SHIPPED, "--format", "nft-limit", "--bridged");
  await withDir((dir) =>
    withNamespace(async (ns) => {
      const listed = await loadTwice(ns, dir, out);
      assert.deepEqual(listed.match(/^table .*$/gm), [
        "table inet nfdhcpd_limit {",
        "table bridge nfdhcpd_limit {",
      ]);
      const limits = listed.split("\n").map((l) => l.trim()).filter((l) => l.endsWith(" drop"));
      const perTap =
        "{ iifname limit rate over 10/second burst 50 packets } counter packets 0 bytes 0 drop";
      assert.deepEqual(limits, [
        `iifname "tap*" meta nfproto ipv4 udp dport 67 update @dhcp4 ${perTap}`,
        `iifname "tap*" icmpv6 type nd-router-solicit update @rs ${perTap}`,
        `iifname "tap*" icmpv6 type nd-neighbor-solicit update @ns ${perTap}`,
        `iifname "tap*" meta nfproto ipv6 udp dport 547 update @dhcp6 ${perTap}`,
        `iifname "tap*" ether type ip udp dport 67 update @dhcp4 ${perTap}`,
      ]);
    })
  );
});
