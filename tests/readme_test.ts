/** The README's binding examples are files the daemon takes exactly as shown, and its defaults are the code's. */
import assert from "node:assert/strict";
import { parseBinding } from "../src/bindings/binding.ts";
import { CONFIG_DEFAULTS } from "../src/config/config.ts";

const README = Deno.readTextFileSync(new URL("../README.md", import.meta.url));

/** The fenced `sh` blocks of README "Binding files" whose first line names a binding file. */
function bindingExamples(): Array<{ name: string; text: string }> {
  const start = README.indexOf("\n## Binding files\n");
  const end = README.indexOf("\n## ", start + 1);
  assert.ok(start >= 0 && end > start, "README has a Binding files section");
  const section = README.slice(start, end);
  const examples: Array<{ name: string; text: string }> = [];
  for (const [, text] of section.matchAll(/\n```sh\n([\s\S]*?)\n```/g)) {
    const first = /^# \/var\/lib\/nfdhcpd\/(\S+)/.exec(text!);
    if (first) examples.push({ name: first[1]!, text: `${text}\n` });
  }
  return examples;
}

Deno.test("README: every binding example parses with no error and no warning, also strictly", () => {
  const examples = bindingExamples();
  assert.deepEqual(examples.map((e) => e.name), ["tap3", "one-42-0", "tap5"]);
  for (const { name, text } of examples) {
    for (const strict of [false, true]) {
      const result = parseBinding(name, text, strict);
      if (!result.ok) assert.fail(`${name}:\n${result.errors.join("\n")}`);
      assert.deepEqual(result.warnings, [], name);
    }
  }
});

Deno.test("README: the tap3 example means what its comments say", () => {
  const tap3 = bindingExamples().find((e) => e.name === "tap3")!;
  const result = parseBinding("tap3", tap3.text);
  if (!result.ok) assert.fail(result.errors.join("\n"));
  const b = result.binding;
  assert.equal(b.hostname, "web1.example.org");
  assert.equal(b.macText, "52:54:00:12:34:56");
  assert.equal(b.mtu, 1450);
  assert.equal(b.private, false, "PRIVATE= is not set");
  assert.equal(b.macspoof, false, "MACSPOOF= is not set: the MAC check stays on");
  assert.notEqual(b.ip, null);
  assert.notEqual(b.subnet6, null);
  assert.notEqual(b.gateway6, null);
});

Deno.test("README: the configuration table's ra_period is the code's default, the original's 600", () => {
  assert.equal(CONFIG_DEFAULTS.raPeriod, 600);
  const row = README.split("\n").find((line) => /^\| ipv6 +\| ra_period /.test(line));
  assert.ok(row, "README lists ra_period");
  assert.equal(row!.split("|")[3]!.trim(), String(CONFIG_DEFAULTS.raPeriod));
});
