/** Tests for the configobj-subset INI parser: syntax accepted, values produced, errors with lines. */
import assert from "node:assert/strict";
import { type IniDocument, iniLocation, parseIni } from "../../src/config/ini.ts";

const FILE = "/etc/nfdhcpd/test.conf";

function parsed(text: string): IniDocument {
  const result = parseIni(text, FILE);
  if (!result.ok) assert.fail(`unexpected errors: ${result.errors.join("\n")}`);
  return result.document;
}

function errorsOf(text: string): readonly string[] {
  const result = parseIni(text, FILE);
  if (result.ok) assert.fail("expected errors");
  return result.errors;
}

/** The value of `key` in `section`. */
function value(doc: IniDocument, section: string, key: string) {
  return doc.sections.get(section)?.entries.get(key)?.value;
}

Deno.test("parseIni() reads sections and keys with their line numbers", () => {
  const doc = parsed("# head\n\n[general]\npidfile = /run/x.pid\n\n[dhcp]\nenable_dhcp=yes\n");
  assert.deepEqual([...doc.sections.keys()], ["general", "dhcp"]);
  assert.equal(doc.sections.get("general")?.line, 3);
  assert.deepEqual(doc.sections.get("general")?.entries.get("pidfile"), {
    key: "pidfile",
    value: "/run/x.pid",
    line: 4,
  });
  assert.equal(doc.sections.get("dhcp")?.entries.get("enable_dhcp")?.line, 7);
  assert.equal(doc.root.entries.size, 0);
});

Deno.test("parseIni() drops inline comments, full-line comments and blank lines", () => {
  const doc = parsed(
    "[s]\n  # indented comment\na = 1 # one\nb = x#y\nc =   spaced value\t# tab\n",
  );
  assert.equal(value(doc, "s", "a"), "1");
  assert.equal(value(doc, "s", "b"), "x");
  assert.equal(value(doc, "s", "c"), "spaced value");
});

Deno.test("parseIni() keeps # and , inside quotes, in single or double quotes", () => {
  const doc = parsed(`[s]\na = "x # y, z"  # comment\nb = 'it "is"'\nc = ""\n`);
  assert.equal(value(doc, "s", "a"), "x # y, z");
  assert.equal(value(doc, "s", "b"), 'it "is"');
  assert.equal(value(doc, "s", "c"), "");
});

Deno.test("parseIni() reads comma lists: several, trailing comma, lone comma, quoted items", () => {
  const doc = parsed(
    `[s]\nmany = a, b ,c\none = a,\nnone = ,\nquoted = "a,b", 'c' # x\nblank = "", 'x'\nempty =\nbare = # only comment\n`,
  );
  assert.deepEqual(value(doc, "s", "many"), ["a", "b", "c"]);
  assert.deepEqual(value(doc, "s", "one"), ["a"]);
  assert.deepEqual(value(doc, "s", "none"), []);
  assert.deepEqual(value(doc, "s", "quoted"), ["a,b", "c"]);
  assert.deepEqual(value(doc, "s", "blank"), ["", "x"]);
  assert.equal(value(doc, "s", "empty"), "");
  assert.equal(value(doc, "s", "bare"), "");
});

Deno.test("parseIni() splits a key at the first = and accepts quoted keys and section names", () => {
  const doc = parsed(`[ "my section" ] # c\n"a key" = v\nx = a=b\n`);
  assert.equal(value(doc, "my section", "a key"), "v");
  assert.equal(value(doc, "my section", "x"), "a=b");
});

Deno.test("parseIni() puts keys before the first section in the root section", () => {
  const doc = parsed("stray = 1\n[s]\n");
  assert.equal(doc.root.entries.get("stray")?.value, "1");
  assert.equal(doc.root.entries.get("stray")?.line, 1);
});

Deno.test("parseIni() accepts CRLF line endings and a byte-order mark", () => {
  const doc = parsed("\uFEFF[s]\r\na = 1\r\nb = 2\r\n");
  assert.equal(value(doc, "s", "a"), "1");
  assert.equal(doc.sections.get("s")?.entries.get("b")?.line, 3);
});

Deno.test("parseIni() reports a duplicate key with both lines", () => {
  assert.deepEqual(errorsOf("[dhcp]\na = 1\na = 2\n"), [
    `${FILE} [dhcp] a (line 3): duplicate key, first set on line 2`,
  ]);
});

Deno.test("parseIni() reports a duplicate section with both lines", () => {
  assert.deepEqual(errorsOf("[dhcp]\n[ipv6]\n[dhcp]\n"), [
    `${FILE} [dhcp] line 3: duplicate section, first on line 1`,
  ]);
  // Its keys stay its own: none lands in the section before it (which has `mode` already).
  assert.deepEqual(errorsOf("[dhcp]\n[ipv6]\nmode = slaac\n[dhcp]\nmode = dhcpv6\n"), [
    `${FILE} [dhcp] line 4: duplicate section, first on line 1`,
  ]);
});

Deno.test("parseIni() reports each malformed line with its line number and reason", () => {
  const cases: Array<[string, string]> = [
    ["[[sub]]", `${FILE} line 1: nested sections ([[name]]) are not supported`],
    ["[dhcp", `${FILE} line 1: section header has no closing "]": "[dhcp"`],
    ["[dhcp] x", `${FILE} line 1: unexpected text after the section header: "x"`],
    ["[ ]", `${FILE} line 1: empty section name`],
    ['[""]', `${FILE} line 1: empty section name`],
    ["just words", `${FILE} line 1: expected "[section]" or "key = value": "just words"`],
    ["= 1", `${FILE} line 1: empty key: "= 1"`],
    [`"k = 1`, `${FILE} line 1: key has no closing quote: "\\"k = 1"`],
    [`"k" 1`, `${FILE} line 1: expected "=" after the key: "\\"k\\" 1"`],
    [`a = "x`, `${FILE} a (line 1): missing closing quote: "\\"x"`],
    [`a = "x" y`, `${FILE} a (line 1): unexpected text after the closing quote: "y"`],
    ["a = x,,y", `${FILE} a (line 1): empty item in list: "x,,y"`],
    ["a = , x", `${FILE} a (line 1): empty item in list: ", x"`],
    [`a = """x"""`, `${FILE} a (line 1): multi-line (triple-quoted) values are not supported`],
  ];
  for (const [text, message] of cases) assert.deepEqual(errorsOf(text), [message], text);
});

Deno.test("parseIni() names the section of a bad key line", () => {
  assert.deepEqual(errorsOf("[dhcp]\n\nserver_ip = '1.2.3.4\n"), [
    `${FILE} [dhcp] server_ip (line 3): missing closing quote: "'1.2.3.4"`,
  ]);
});

Deno.test("parseIni() reports every error of the file, not only the first", () => {
  const errors = errorsOf("[a]\nx = 'y\n[a]\nz\n");
  assert.equal(errors.length, 3);
  assert.match(errors[0]!, /line 2/);
  assert.match(errors[1]!, /line 3/);
  assert.match(errors[2]!, /line 4/);
});

Deno.test("iniLocation() names file, section, key and line, leaving out what is unknown", () => {
  assert.equal(iniLocation("f", "dhcp", "k", 7), "f [dhcp] k (line 7)");
  assert.equal(iniLocation("f", "dhcp", "k"), "f [dhcp] k");
  assert.equal(iniLocation("f", "dhcp", undefined, 3), "f [dhcp] line 3");
  assert.equal(iniLocation("f", "", "k", 2), "f k (line 2)");
});

Deno.test("parseIni() calls a quoted empty key empty, its quote closed", () => {
  assert.deepEqual(errorsOf(`"" = 1`), [`${FILE} line 1: empty key: "\\"\\" = 1"`]);
});

Deno.test("parseIni() reads a quoted key followed at once by its =", () => {
  const doc = parsed(`[s]\n"a b"=1\n'c'= 2\n`);
  assert.equal(value(doc, "s", "a b"), "1");
  assert.equal(value(doc, "s", "c"), "2");
});

Deno.test("parseIni() takes a lone quote as a section's name, not as quotes around nothing", () => {
  const doc = parsed('["]\nx = 1\n["a"]\n');
  assert.deepEqual([...doc.sections.keys()].filter((n) => n !== ""), ['"', "a"]);
  assert.equal(value(doc, '"', "x"), "1");
});
