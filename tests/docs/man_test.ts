/**
 * The manual pages against the code: man(1) formats them without a warning, nfdhcpd(8) describes
 * every subcommand and every flag its usage names (and none it no longer has), and
 * nfdhcpd.conf(5) every key the configuration reader asks for, with the code's default.
 */
import assert from "node:assert/strict";
import { CONFIG_DEFAULTS, parseConfig } from "../../src/config/config.ts";
import { VERSION } from "../../src/version.ts";
import { schemaKeys } from "../config/schema.ts";
import { flagsIn, mentions, REPO_ROOT, subcommands, usages } from "./usage.ts";

const DAEMON_PAGE = `${REPO_ROOT}man/nfdhcpd.8`;
const CONF_PAGE = `${REPO_ROOT}man/nfdhcpd.conf.5`;

async function man(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command("man", {
    args,
    // One line per paragraph: a flag or a default is never split by the line width.
    env: { MANWIDTH: "1000", MAN_KEEP_FORMATTING: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: r.code, out: text(r.stdout), err: text(r.stderr) };
}

/** The page as plain ASCII text. */
async function render(page: string): Promise<string> {
  const r = await man(["-E", "ascii", "-l", page]);
  assert.equal(r.code, 0, r.err);
  return r.out;
}

/** Splits rendered text at the heading lines that `heading` matches (its group 1 names them). */
function split(lines: readonly string[], heading: RegExp): Map<string, string[]> {
  const parts = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of lines) {
    const name = line.match(heading)?.[1];
    if (name !== undefined) parts.set(name, current = []);
    else current?.push(line);
  }
  return parts;
}

/** The page's sections (.SH), by title. */
function sections(text: string): Map<string, string[]> {
  return split(text.split("\n"), /^([A-Z][A-Z ]*[A-Z])$/);
}

function section(text: string, title: string): string[] {
  const lines = sections(text).get(title);
  assert.ok(lines, `no section ${title}`);
  return lines;
}

/** The subcommands' subsections (.SS "nfdhcpd check"), by subcommand (`run` for `[run]`). */
function subcommandSections(text: string): Map<string, string> {
  const lines = section(text, "SUBCOMMANDS AND OPTIONS");
  const parts = split(lines, /^ {3}nfdhcpd (\S+)$/);
  return new Map(
    [...parts].map(([name, body]) => [name.replace(/^\[(.*)\]$/, "$1"), body.join("\n")]),
  );
}

Deno.test("man pages: man --warnings formats both without a warning", async () => {
  for (const page of [DAEMON_PAGE, CONF_PAGE]) {
    const r = await man(["--warnings", "-E", "UTF-8", "-l", "-Tutf8", page]);
    assert.equal(r.code, 0, `${page}: ${r.err}`);
    assert.equal(r.err, "", `${page} has warnings`);
  }
});

Deno.test("man pages: the title line names the version of src/version.ts", async () => {
  for (const page of [DAEMON_PAGE, CONF_PAGE]) {
    const th = (await Deno.readTextFile(page)).split("\n").find((line) => line.startsWith(".TH "));
    assert.match(th ?? "", new RegExp(` "nfdhcpd ${VERSION.replaceAll(".", "\\.")}" `), page);
  }
});

Deno.test("nfdhcpd(8): every subcommand of `nfdhcpd help` is in the synopsis and has a subsection", async () => {
  const text = await render(DAEMON_PAGE);
  const synopsis = section(text, "SYNOPSIS").join("\n");
  const described = subcommandSections(text);
  const names = await subcommands();
  assert.ok(names.includes("check"), `help lists no subcommand: ${names}`);
  for (const name of names) {
    const head = name === "run" ? "nfdhcpd [run]" : `nfdhcpd ${name}`;
    assert.ok(
      synopsis.includes(`\n       ${head}`) || synopsis.startsWith(`       ${head}`),
      `${name} not in the SYNOPSIS`,
    );
    assert.ok(described.has(name), `no subsection "nfdhcpd ${name}" under SUBCOMMANDS AND OPTIONS`);
  }
  assert.deepEqual([...described.keys()].sort(), [...names].sort(), "subsections of no subcommand");
});

Deno.test("nfdhcpd(8): each subcommand's subsection names every flag of its usage, and no other", async () => {
  const text = await render(DAEMON_PAGE);
  const described = subcommandSections(text);
  // -h and --help are described once for all, before the subsections.
  const lines = section(text, "SUBCOMMANDS AND OPTIONS");
  const intro = lines.slice(0, lines.findIndex((line) => line.startsWith("   nfdhcpd "))).join(
    "\n",
  );
  const common = ["-h", "--help"].filter((flag) => mentions(intro, flag));
  assert.deepEqual(common, ["-h", "--help"], "-h, --help not described for every subcommand");
  for (const [name, usage] of await usages()) {
    const flags = flagsIn(usage);
    assert.ok(flags.length > 0, `${name} --help names no flag:\n${usage}`);
    const body = described.get(name) ?? "";
    const missing = flags.filter((flag) => !common.includes(flag) && !mentions(body, flag));
    assert.deepEqual(missing, [], `nfdhcpd(8) does not describe ${name}'s ${missing.join(", ")}`);
    // -c's long form is accepted wherever -c is.
    const allowed = new Set([
      ...flags,
      "-h",
      "--help",
      ...(flags.includes("-c") ? ["--config"] : []),
    ]);
    const stale = flagsIn(body).filter((flag) => !allowed.has(flag));
    assert.deepEqual(stale, [], `nfdhcpd(8) describes flags ${name} does not have: ${stale}`);
  }
});

/** nfdhcpd.conf(5)'s keys: section name to key to the text of its entry. */
async function documentedKeys(): Promise<Map<string, Map<string, string>>> {
  const lines = section(await render(CONF_PAGE), "SECTIONS AND KEYS");
  const bySection = split(lines, /^ {3}\[(\w+)\]$/);
  return new Map([...bySection].map(([name, body]) => {
    const entries = split(body, /^ {7}([a-z0-9_]+) = /);
    return [name, new Map([...entries].map(([key, text]) => [key, text.join(" ")]))];
  }));
}

/** The defaults the code states: CONFIG_DEFAULTS, and those a minimal configuration shows. */
function codeDefaults(schema: Map<string, Set<string>>): Map<string, string> {
  const defaults = new Map<string, string>();
  const order = ["general", "dhcp", "ipv6"];
  for (const [name, value] of Object.entries(CONFIG_DEFAULTS)) {
    const key = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    // dhcp_queue is also [ipv6]'s deprecated name of dhcpv6_queue; its default is [dhcp]'s.
    const home = order.find((s) => schema.get(s)?.has(key));
    assert.ok(home, `CONFIG_DEFAULTS.${name}: no section reads ${key}`);
    defaults.set(`${home}.${key}`, String(value));
  }
  const minimal = "[dhcp]\nserver_ip = 192.0.2.1\n";
  const parsed = parseConfig(minimal, "minimal.conf");
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const yesNo = (b: boolean) => (b ? "yes" : "no");
  defaults.set("dhcp.enable_dhcp", yesNo(parsed.config.dhcp.enable));
  defaults.set("dhcp.server_on_link", yesNo(parsed.config.dhcp.serverOnLink));
  defaults.set("ipv6.enable_ipv6", yesNo(parsed.config.ipv6.enable));
  const auto = parseConfig(`${minimal}[ipv6]\nmode = auto\n`, "minimal.conf");
  assert.ok(auto.ok);
  assert.deepEqual(auto.config, parsed.config, "mode left out is not mode = auto");
  defaults.set("ipv6.mode", "auto");
  return defaults;
}

Deno.test("nfdhcpd.conf(5): every key of the schema, and no other, with its default", async () => {
  const schema = schemaKeys();
  assert.deepEqual([...schema.keys()], ["general", "dhcp", "ipv6"]);
  const documented = await documentedKeys();
  assert.deepEqual([...documented.keys()], [...schema.keys()], "sections of nfdhcpd.conf(5)");
  const defaults = codeDefaults(schema);
  for (const [name, keys] of schema) {
    const entries = documented.get(name)!;
    const missing = [...keys].filter((key) => !entries.has(key));
    assert.deepEqual(missing, [], `nfdhcpd.conf(5) [${name}] does not describe ${missing}`);
    const stale = [...entries.keys()].filter((key) => !keys.has(key));
    assert.deepEqual(stale, [], `nfdhcpd.conf(5) [${name}] describes keys nothing reads: ${stale}`);
    for (const key of keys) {
      const text = entries.get(key)!;
      assert.match(text, /Default: \S/, `[${name}] ${key}: no default given`);
      const value = defaults.get(`${name}.${key}`);
      if (value === undefined) continue;
      const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      assert.match(
        text,
        new RegExp(`Default: ${escaped}(?![\\w/.-])`),
        `[${name}] ${key}: default ${value}`,
      );
    }
  }
  assert.ok(defaults.size >= 15, `only ${defaults.size} defaults checked`);
});
