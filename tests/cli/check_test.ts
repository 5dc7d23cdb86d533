/**
 * `nfdhcpd check`: every kind of problem as FILE:LINE: reason, hints for near misses, the summary
 * and exit codes; run as the unit runs it, without --allow-ffi (and as nobody when root).
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/config.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;
const FIXTURES = "tests/fixtures/check";

/** What a check printed and how it exited. */
interface Checked {
  code: number;
  out: string;
  err: string;
}

/** Runs `nfdhcpd check ARGS` from the repository root with read access only (no FFI, no run). */
function check(...args: string[]): Promise<Checked> {
  return checkWith(["--allow-read"], {}, args);
}

/** Runs `nfdhcpd check ARGS` with Deno `permissions` and `env` added to the environment. */
async function checkWith(
  permissions: string[],
  env: Record<string, string>,
  args: string[],
): Promise<Checked> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...permissions, MAIN, "check", ...args],
    env,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: r.code, out: text(r.stdout), err: text(r.stderr) };
}

function lines(out: string): string[] {
  return out.trimEnd().split("\n");
}

Deno.test("check: the shipped conf/nfdhcpd.conf passes, exit 0", async () => {
  const r = await check("-c", "conf/nfdhcpd.conf", "--config-only");
  assert.equal(r.err, "");
  assert.deepEqual(lines(r.out), ["conf/nfdhcpd.conf: OK; bindings not checked (--config-only)"]);
  assert.equal(r.code, 0);
});

Deno.test("check: every binding of the configuration's datapath, summarised", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-check-" });
  try {
    const conf = Deno.readTextFileSync(`${ROOT}conf/nfdhcpd.conf`)
      .replace(/^datapath = \S+/m, `datapath = ${dir}/bindings`);
    Deno.writeTextFileSync(`${dir}/nfdhcpd.conf`, conf);
    Deno.mkdirSync(`${dir}/bindings`);
    for (const tap of ["tapgood", "tapbadmac"]) {
      Deno.copyFileSync(`${ROOT}${FIXTURES}/${tap}`, `${dir}/bindings/${tap}`);
    }
    // Names the daemon never reads are not checked either: an editor's copy, a hidden file.
    Deno.writeTextFileSync(`${dir}/bindings/tapgood~`, "junk");
    Deno.writeTextFileSync(`${dir}/bindings/.tapgood.swp`, "junk");
    const r = await check("-c", `${dir}/nfdhcpd.conf`);
    assert.deepEqual(lines(r.err), [
      `${dir}/bindings/tapbadmac:2: MAC is not a MAC address: "52:54:00:zz:34:57"`,
      `${dir}/nfdhcpd.conf: OK; 1 binding OK, 1 with problems`,
    ]);
    assert.equal(r.code, 1);
    Deno.removeSync(`${dir}/bindings/tapbadmac`);
    const clean = await check("-c", `${dir}/nfdhcpd.conf`);
    assert.deepEqual(lines(clean.out), [`${dir}/nfdhcpd.conf: OK; 1 binding OK, 0 with problems`]);
    assert.equal(clean.code, 0);
    Deno.removeSync(`${dir}/bindings`, { recursive: true });
    const gone = await check("-c", `${dir}/nfdhcpd.conf`);
    assert.match(
      lines(gone.err)[0]!,
      new RegExp(`^${dir}/bindings: cannot list the binding directory: `),
    );
    assert.equal(
      lines(gone.err)[1],
      `${dir}/nfdhcpd.conf: OK; bindings not checked: cannot list ${dir}/bindings`,
    );
    assert.equal(gone.code, 1);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("check: a bad value is FILE:LINE: [section] key: reason, exit 1", async () => {
  const r = await check("-c", `${FIXTURES}/bad_value.conf`, "--config-only");
  assert.deepEqual(lines(r.err), [
    `${FIXTURES}/bad_value.conf:3: [dhcp] lease_lifetime: not a non-negative integer: "abc"`,
    `${FIXTURES}/bad_value.conf: 1 error; bindings not checked (--config-only)`,
  ]);
  assert.equal(r.code, 1);
});

Deno.test("check: unknown keys are errors with the key probably meant, or its section", async () => {
  const r = await check("-c", `${FIXTURES}/unknown_key.conf`, "--config-only");
  assert.deepEqual(lines(r.err), [
    `${FIXTURES}/unknown_key.conf:3: [dhcp] lease-lifetime: unknown key; did you mean lease_lifetime?`,
    `${FIXTURES}/unknown_key.conf:4: [dhcp] Server_IP: unknown key; did you mean server_ip?`,
    `${FIXTURES}/unknown_key.conf:5: [dhcp] ra_period: unknown key; ra_period belongs in [ipv6]`,
    `${FIXTURES}/unknown_key.conf: 3 errors; bindings not checked (--config-only)`,
  ]);
  assert.equal(r.code, 1);
});

Deno.test("check: an unknown section is an error with the section probably meant", async () => {
  const r = await check("-c", `${FIXTURES}/unknown_section.conf`, "--config-only");
  assert.deepEqual(lines(r.err), [
    `${FIXTURES}/unknown_section.conf:4: [dhpc]: unknown section; did you mean [dhcp]?`,
    `${FIXTURES}/unknown_section.conf: [dhcp] server_ip: not set; DHCP replies need it unless server_on_link = yes`,
    `${FIXTURES}/unknown_section.conf: 2 errors; bindings not checked (--config-only)`,
  ]);
  assert.equal(r.code, 1);
});

Deno.test("check: under the journal, errors go to stderr at priority err, warnings at warning", async () => {
  // As the unit runs it: the launcher grants env access, systemd sets JOURNAL_STREAM.
  const journal = { JOURNAL_STREAM: "8:12345" };
  const bad = await checkWith(["--allow-read", "--allow-env"], journal, [
    "-c",
    `${FIXTURES}/bad_value.conf`,
    "--config-only",
  ]);
  assert.equal(bad.out, "");
  assert.deepEqual(lines(bad.err), [
    `<3>${FIXTURES}/bad_value.conf:3: [dhcp] lease_lifetime: not a non-negative integer: "abc"`,
    `<3>${FIXTURES}/bad_value.conf: 1 error; bindings not checked (--config-only)`,
  ]);
  assert.equal(bad.code, 1);
  const warned = await checkWith(["--allow-read", "--allow-env"], journal, [
    "-c",
    "conf/nfdhcpd.conf",
    `${FIXTURES}/tapwarn`,
  ]);
  assert.match(lines(warned.err)[0]!, /^<4>tests\/fixtures\/check\/tapwarn: warning: /);
  assert.deepEqual(lines(warned.out), ["conf/nfdhcpd.conf: OK; 1 binding OK, 0 with problems"]);
  assert.equal(warned.code, 0);
  // Without env access it cannot know, and writes no prefix (nor asks for the permission).
  const plain = await checkWith(["--allow-read"], journal, [
    "-c",
    `${FIXTURES}/bad_value.conf`,
    "--config-only",
  ]);
  assert.match(plain.err, /^tests\/fixtures\/check\/bad_value\.conf:3: /);
});

Deno.test("check: a configuration from the forks passes with warnings (datadir, [dns])", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-check-fork-" });
  try {
    const conf = `${dir}/nfdhcpd.conf`;
    Deno.writeTextFileSync(
      conf,
      `[general]\ndatadir = ${dir}\n[dhcp]\nserver_ip = 192.0.2.1\ndhcp6_queue = 43\n` +
        "[dns]\nenable_dns = yes\n",
    );
    const r = await check("-c", conf, "--config-only");
    assert.deepEqual(lines(r.err).map((l) => l.replace(/: warning: .*/, "")), [
      `${conf}:2`,
      `${conf}:5`,
      `${conf}:6`,
    ]);
    assert.deepEqual(lines(r.out), [
      `${conf}: OK (3 warnings); bindings not checked (--config-only)`,
    ]);
    assert.equal(r.code, 0);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("check: the daemon keeps unknown names as warnings, with the same hints", () => {
  const text = Deno.readTextFileSync(`${ROOT}${FIXTURES}/unknown_key.conf`);
  const result = parseConfig(text, "f.conf");
  if (!result.ok) assert.fail(result.errors.join("\n"));
  assert.deepEqual(result.warnings, [
    "f.conf [dhcp] lease-lifetime (line 3): unknown key, ignored; did you mean lease_lifetime?",
    "f.conf [dhcp] Server_IP (line 4): unknown key, ignored; did you mean server_ip?",
    "f.conf [dhcp] ra_period (line 5): unknown key, ignored; ra_period belongs in [ipv6]",
  ]);
  const section = parseConfig("[dhcp]\nserver_ip = 192.0.2.1\n[ipv4]\n[zzz]\n", "f.conf");
  if (!section.ok) assert.fail(section.errors.join("\n"));
  assert.deepEqual(section.warnings, [
    "f.conf [ipv4] line 3: unknown section, ignored; did you mean [ipv6]?",
    "f.conf [zzz] line 4: unknown section, ignored",
  ]);
});

Deno.test("check: each bad binding file is FILE:LINE: reason; warnings do not fail it", async () => {
  const taps = ["tapbadip", "tapbadmac", "tapdupkey", "tapgood", "tapnomac", "taptypo", "tapwarn"];
  const r = await check("-c", "conf/nfdhcpd.conf", ...taps.map((t) => `${FIXTURES}/${t}`));
  assert.deepEqual(lines(r.err), [
    `${FIXTURES}/tapbadip:2: IP is not an IPv4 address: "192.0.2.300"`,
    `${FIXTURES}/tapbadmac:2: MAC is not a MAC address: "52:54:00:zz:34:57"`,
    `${FIXTURES}/tapdupkey:3: IP repeats line 2; the last value wins`,
    `${FIXTURES}/tapnomac: MAC is missing`,
    `${FIXTURES}/taptypo:2: unknown key IPADDR, ignored`,
    `${FIXTURES}/tapwarn: warning: no HOSTNAME (or INSTANCE); replies carry no host name`,
    `${FIXTURES}/tapwarn:2: warning: IP is set but SUBNET is not; no lease (as the original), see lease_without_subnet`,
    "conf/nfdhcpd.conf: OK; 2 bindings OK, 5 with problems",
  ]);
  assert.equal(r.code, 1);
  const good = await check("-c", "conf/nfdhcpd.conf", `${FIXTURES}/tapgood`);
  assert.deepEqual(lines(good.out), ["conf/nfdhcpd.conf: OK; 1 binding OK, 0 with problems"]);
  assert.equal(good.code, 0);
});

Deno.test("check: bad DHCPv4 keys of a binding, each FILE:LINE: reason; owned options say why", async () => {
  const r = await check("-c", "conf/nfdhcpd.conf", `${FIXTURES}/tapdhcp4keys`);
  assert.deepEqual(lines(r.err), [
    `${FIXTURES}/tapdhcp4keys:5: NEXT_SERVER is not an IPv4 address: "192.0.2.300"`,
    `${FIXTURES}/tapdhcp4keys:7: LEASE is not seconds from 1 to 4294967295: "forever"`,
    `${FIXTURES}/tapdhcp4keys:8: OPTION_53: option 53 is the daemon's: the message type says what the reply is`,
    `${FIXTURES}/tapdhcp4keys:9: OPTION_252 is not hex bytes (two hex digits a byte, colons between): "hex:zz"`,
    `${FIXTURES}/tapdhcp4keys:10: OPTION_300: option 300 is out of range (1 to 254)`,
    "conf/nfdhcpd.conf: OK; 0 bindings OK, 1 with problems",
  ]);
  assert.equal(r.code, 1);
});

Deno.test("check: links, FIFOs, huge files and names the daemon ignores are refused unread", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-check-" });
  try {
    Deno.symlinkSync(`${ROOT}${FIXTURES}/tapgood`, `${dir}/taplink`);
    // A FIFO nobody writes: opening it to read would wait for ever (the test's timeout fails it).
    await new Deno.Command("mkfifo", { args: [`${dir}/tapfifo`] }).output();
    Deno.writeTextFileSync(`${dir}/taphuge`, `MAC=52:54:00:12:34:56\n#${"x".repeat(70_000)}\n`);
    Deno.copyFileSync(`${ROOT}${FIXTURES}/tapgood`, `${dir}/tapgood.tmp`);
    const r = await check(
      "-c",
      "conf/nfdhcpd.conf",
      ...["taplink", "tapfifo", "taphuge", "tapgood.tmp", "tapmissing"].map((n) => `${dir}/${n}`),
    );
    assert.deepEqual(lines(r.err), [
      `${dir}/taplink: a symbolic link; the daemon reads only regular files (it never follows links)`,
      `${dir}/tapfifo: a FIFO; the daemon reads only regular files (it never follows links)`,
      `${dir}/taphuge: 70024 bytes; the daemon reads no binding file over 65536`,
      `${dir}/tapgood.tmp: the daemon ignores this file: its name is not an interface name, is ` +
      "hidden or looks like a temporary file",
      `${dir}/tapmissing: cannot read: No such file or directory (os error 2): lstat '${dir}/tapmissing'`,
      "conf/nfdhcpd.conf: OK; 0 bindings OK, 5 with problems",
    ]);
    assert.equal(r.code, 1);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("check: usage errors exit 2 with the usage", async () => {
  for (const args of [["--bogus"], ["--config-only", "tap0"], ["-c"]]) {
    const r = await check(...args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.err, /Usage: nfdhcpd check/);
    assert.equal(r.out, "");
  }
  const help = await check("--help");
  assert.equal(help.code, 0);
  assert.match(help.out, /^Usage: nfdhcpd check/);
});

Deno.test("check: an unreadable configuration is a problem, exit 1", async () => {
  const r = await check("-c", "/nonexistent/nfdhcpd.conf", "--config-only");
  assert.match(lines(r.err)[0]!, /^\/nonexistent\/nfdhcpd\.conf: cannot read: No such file/);
  assert.equal(r.code, 1);
});

Deno.test({
  name: "check: runs as nobody, without --allow-ffi",
  // Needs root to become nobody: `make unit` may run unprivileged; under CI it always runs (and
  // fails when not root), never skipped.
  ignore: Deno.uid() !== 0 && Deno.env.get("CI") === undefined,
  fn: async () => {
    const cache = Deno.makeTempDirSync({ prefix: "nfdhcpd-check-cache-" });
    try {
      Deno.chmodSync(cache, 0o777);
      const r = await new Deno.Command("setpriv", {
        args: [
          "--reuid=nobody",
          "--regid=nogroup",
          "--clear-groups",
          "--",
          Deno.execPath(),
          "run",
          "--no-prompt",
          "--allow-read",
          MAIN,
          "check",
          "-c",
          "conf/nfdhcpd.conf",
          `${FIXTURES}/tapgood`,
        ],
        cwd: ROOT,
        env: { DENO_DIR: cache, HOME: cache },
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const text = (b: Uint8Array) => new TextDecoder().decode(b);
      assert.equal(
        text(r.stdout),
        "conf/nfdhcpd.conf: OK; 1 binding OK, 0 with problems\n",
        text(r.stderr),
      );
      assert.equal(r.code, 0);
    } finally {
      Deno.removeSync(cache, { recursive: true });
    }
  },
});

Deno.test("conf/nfdhcpd.service checks nfdhcpd.conf before start and before the reload signal", async () => {
  const unit = Deno.readTextFileSync(`${ROOT}conf/nfdhcpd.service`);
  const exec = unit.split("\n").filter((l) => /^Exec(StartPre|Start|Reload)=/.test(l));
  const check = "/usr/local/sbin/nfdhcpd check -c /etc/nfdhcpd/nfdhcpd.conf --config-only";
  assert.deepEqual(exec.filter((l) => !l.startsWith("ExecStart=")), [
    `ExecStartPre=${check}`,
    `ExecReload=${check}`,
    "ExecReload=/bin/kill -HUP $MAINPID",
  ]);
  // The unit verifies once every nfdhcpd path names an existing program.
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-unit-" });
  try {
    Deno.writeTextFileSync(
      `${dir}/nfdhcpd.service`,
      unit.replaceAll("/usr/local/sbin/nfdhcpd", Deno.execPath()),
    );
    const r = await new Deno.Command("systemd-analyze", {
      args: ["verify", `${dir}/nfdhcpd.service`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 0, text);
    assert.equal(text, "");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("check: a binding file that changes while it is checked is warned about", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-check-" });
  const path = `${dir}/tap7`;
  Deno.writeTextFileSync(path, "MAC=52:54:00:00:00:07\n");
  const writer = setInterval(() => {
    Deno.writeTextFileSync(path, `MAC=52:54:00:00:00:07\n# ${Date.now()}\n`);
  }, 20);
  try {
    const r = await check("-c", "conf/nfdhcpd.conf", path);
    assert.match(
      r.err,
      new RegExp(`^${path}: warning: the file changed while it was checked`, "m"),
    );
    assert.equal(r.code, 0, "a warning, not an error: the daemon waits for the file");
  } finally {
    clearInterval(writer);
    Deno.removeSync(dir, { recursive: true });
  }
  const still = Deno.makeTempDirSync({ prefix: "nfdhcpd-check-" });
  try {
    Deno.writeTextFileSync(`${still}/tap7`, "MAC=52:54:00:00:00:07\n");
    const r = await check("-c", "conf/nfdhcpd.conf", `${still}/tap7`);
    assert.doesNotMatch(r.err, /changed while/);
  } finally {
    Deno.removeSync(still, { recursive: true });
  }
});

Deno.test("check: a file whose name the log escapes gets its lines and reasons", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-check-" });
  try {
    const path = `${dir}/tap\\9`;
    Deno.writeTextFileSync(path, "HOSTNAME=vm\nMAC=zz\n");
    const r = await check("-c", "conf/nfdhcpd.conf", path);
    const shown = `${dir}/tap\\\\9`;
    assert.equal(lines(r.err)[0], `${shown}:2: MAC is not a MAC address: "zz"`);
    assert.equal(r.code, 1);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("check: bad DHCPv6 keys are FILE:LINE: reason, saying why an option is the daemon's", async () => {
  const r = await check("-c", "conf/nfdhcpd.conf", `${FIXTURES}/tapdhcp6`);
  assert.deepEqual(lines(r.err), [
    `${FIXTURES}/tapdhcp6:4: IP6: 2001:db8:6::10 is outside SUBNET6 2001:db8:5::/64`,
    `${FIXTURES}/tapdhcp6:5: PREFIX6: 2001:db8:600::/8: a delegated prefix is a /32 to a /128`,
    `${FIXTURES}/tapdhcp6:7: OPTION6_1: option 1 is the daemon's: the client identifier is the client's`,
    `${FIXTURES}/tapdhcp6:8: OPTION6_17: not hex: (pairs of hex digits, colons allowed between pairs): "hex:0:1"`,
    `${FIXTURES}/tapdhcp6:9: OPTION6_70000: the option number must be 1 to 65535`,
    "conf/nfdhcpd.conf: OK; 0 bindings OK, 1 with problems",
  ]);
  assert.equal(r.code, 1);
});
