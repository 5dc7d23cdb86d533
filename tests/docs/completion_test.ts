/**
 * completion/nfdhcpd.bash, called as bash calls it (COMP_WORDS, COMP_CWORD): subcommands and
 * flags as `nfdhcpd help` and each `--help` list them, --format values as `rules --help` lists
 * them, files, and TAP names from the configuration's binding directory.
 */
import assert from "node:assert/strict";
import { flagsIn, REPO_ROOT, subcommands, usages } from "./usage.ts";

const SCRIPT = `${REPO_ROOT}completion/nfdhcpd.bash`;

/** Sources the script, completes the last of `words` and gives COMPREPLY; fails on stderr. */
async function complete(...words: string[]): Promise<string[]> {
  const program = 'source "$1" && shift && COMP_WORDS=("$@") && COMP_CWORD=$(($# - 1)) && ' +
    'COMP_LINE="$*" && COMP_POINT=${#COMP_LINE} && _nfdhcpd && ' +
    '{ ((${#COMPREPLY[@]} == 0)) || printf "%s\\n" "${COMPREPLY[@]}"; }';
  const r = await new Deno.Command("bash", {
    args: ["--norc", "-c", program, "bash", SCRIPT, "nfdhcpd", ...words],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  assert.equal(r.code, 0, `${words.join(" ")}: exit ${r.code}: ${text(r.stderr)}`);
  assert.equal(text(r.stderr), "", `${words.join(" ")}: stderr`);
  return text(r.stdout).split("\n").filter((line) => line !== "");
}

const sorted = (words: readonly string[]) => [...words].sort();

Deno.test("completion: the script registers _nfdhcpd for nfdhcpd", async () => {
  const r = await new Deno.Command("bash", {
    args: ["--norc", "-c", 'source "$1" && complete -p nfdhcpd', "bash", SCRIPT],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(r.stderr), "");
  assert.equal(new TextDecoder().decode(r.stdout).trim(), "complete -F _nfdhcpd nfdhcpd");
});

Deno.test("completion: the first word is a subcommand of `nfdhcpd help`", async () => {
  assert.deepEqual(await complete("st"), ["status"]);
  assert.deepEqual(await complete("r"), ["run", "rules", "replay"]);
  assert.deepEqual(sorted(await complete("")), sorted(await subcommands()));
  assert.deepEqual(await complete("help", ""), []);
});

Deno.test("completion: each subcommand's flags are exactly those of its usage", async () => {
  for (const [name, usage] of await usages()) {
    const offered = await complete(name, "-");
    const flags = flagsIn(usage);
    const missing = flags.filter((flag) => !offered.includes(flag));
    assert.deepEqual(missing, [], `${name}: flags not completed`);
    // -h and --help work everywhere; -c's long form wherever -c does.
    const allowed = [...flags, "-h", "--help", ...(flags.includes("-c") ? ["--config"] : [])];
    const stale = offered.filter((flag) => !allowed.includes(flag));
    assert.deepEqual(stale, [], `${name}: completes flags it does not take`);
  }
  // Without a subcommand, the daemon's flags.
  assert.deepEqual(await complete("-"), await complete("run", "-"));
  assert.deepEqual(await complete("check", "--c"), ["--config", "--config-only"]);
});

/** The formats `rules --help` lists under --format. */
function formatsIn(usage: string): string[] {
  const lines = usage.split("\n");
  const first = lines.findIndex((line) => /^\s+--format FORMAT/.test(line));
  const last = lines.findIndex((line, i) => i > first && line.includes("(default"));
  assert.ok(first >= 0 && last > first, usage);
  return lines.slice(first, last).map((line) =>
    line.replace(/^.*--format FORMAT/, "").trim().split(/\s+/)[0]!
  );
}

Deno.test("completion: --format values are those of `rules --help`, in each spelling", async () => {
  const formats = formatsIn((await usages()).get("rules")!);
  assert.deepEqual(formats, ["iptables", "ip6tables", "ferm", "nft", "nft-limit"]);
  assert.deepEqual(await complete("rules", "--format", ""), formats);
  assert.deepEqual(await complete("rules", "--format", "n"), ["nft", "nft-limit"]);
  assert.deepEqual(await complete("rules", "-c", "x.conf", "--format", "i"), [
    "iptables",
    "ip6tables",
  ]);
  // Bash splits `--format=n` at = (COMP_WORDBREAKS); without = there, the word stays whole.
  assert.deepEqual(await complete("rules", "--format", "=", "n"), ["nft", "nft-limit"]);
  assert.deepEqual(await complete("rules", "--format", "="), formats);
  assert.deepEqual(await complete("rules", "--format=f"), ["--format=ferm"]);
});

Deno.test("completion: files for -c, check and replay; directories for --bindings; nothing for a MAC", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-completion-" });
  try {
    await Deno.writeTextFile(`${dir}/nfdhcpd.conf`, "");
    await Deno.writeTextFile(`${dir}/capture one.pcap`, "");
    await Deno.mkdir(`${dir}/bindings`);
    assert.deepEqual(await complete("-c", `${dir}/nf`), [`${dir}/nfdhcpd.conf`]);
    assert.deepEqual(await complete("status", "--config", `${dir}/nf`), [`${dir}/nfdhcpd.conf`]);
    assert.deepEqual(await complete("check", `${dir}/nf`), [`${dir}/nfdhcpd.conf`]);
    // A name with a space stays one word.
    assert.deepEqual(await complete("replay", `${dir}/cap`), [`${dir}/capture one.pcap`]);
    assert.deepEqual(await complete("replay", "x", "--bindings", `${dir}/`), [`${dir}/bindings`]);
    assert.deepEqual(await complete("replay", "x", "--indev-mac", ""), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("completion: TAP names are the binding files of the configuration's datapath", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-completion-" });
  try {
    const bindings = `${dir}/bindings`;
    await Deno.mkdir(bindings);
    // What the daemon reads (tap1, tap2) and what it skips (dot files, editor leftovers).
    for (const name of ["tap1", "tap2", ".tap3.swp", "tap4~", "tap5.dpkg-new", "tap6.tmp"]) {
      await Deno.writeTextFile(`${bindings}/${name}`, "MAC=52:54:00:12:34:56\n");
    }
    const conf = `${dir}/nfdhcpd.conf`;
    await Deno.writeTextFile(
      conf,
      `[dhcp]\ndatapath = /nowhere\n[general]\n  datapath = "${bindings}"  # the VMs\n`,
    );
    assert.deepEqual(await complete("clients", "-c", conf, "t"), ["tap1", "tap2"]);
    assert.deepEqual(await complete("trace", "--config", "=", conf, ""), ["tap1", "tap2"]);
    assert.deepEqual(await complete("trace", `--config=${conf}`, "tap2"), ["tap2"]);
    assert.deepEqual(await complete("replay", "x", "--bindings", bindings, "--tap", ""), [
      "tap1",
      "tap2",
    ]);
    // No binding there: the host's interfaces.
    await Deno.writeTextFile(conf, `[general]\ndatapath = ${dir}/missing\n`);
    assert.ok((await complete("clients", "-c", conf, "l")).includes("lo"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
