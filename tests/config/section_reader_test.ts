/** SectionReader: each typed getter's accepted and refused forms, with the line of each problem. */
import assert from "node:assert/strict";
import { type ConfigProblem, Findings } from "../../src/config/findings.ts";
import { parseIni } from "../../src/config/ini.ts";
import { SectionReader } from "../../src/config/section_reader.ts";

/** A reader over `[s]` holding `lines` (line 2 onwards), and its findings. */
function reader(...lines: string[]): { r: SectionReader; problems: ConfigProblem[] } {
  const ini = parseIni(`[s]\n${lines.join("\n")}\n`, "t.conf");
  if (!ini.ok) throw new Error(ini.errors.join("; "));
  const findings = new Findings();
  return {
    r: new SectionReader("s", ini.document.sections.get("s"), findings),
    problems: findings.problems,
  };
}

/** The problems as `severity line key: reason`. */
const told = (problems: readonly ConfigProblem[]) =>
  problems.map((p) => `${p.severity} ${p.line} ${p.key}: ${p.reason}`);

Deno.test("scalar() trims one value, quoted too, is undefined when absent, and refuses a list", () => {
  const { r, problems } = reader('a = "  x  "', "b = x, y");
  assert.equal(r.scalar("a"), "x");
  assert.equal(r.scalar("none"), undefined);
  assert.equal(r.scalar("b"), undefined);
  assert.deepEqual(told(problems), ['error 3 b: expected one value, not a list: ["x","y"]']);
});

Deno.test("list() gives a list of one for a value, none for an empty one, trimmed items", () => {
  const { r, problems } = reader("one = x", "empty =", "many = a , b,c");
  assert.deepEqual(r.list("one"), ["x"]);
  assert.deepEqual(r.list("empty"), []);
  assert.deepEqual(r.list("many"), ["a", "b", "c"]);
  assert.deepEqual(r.list("none"), []);
  assert.deepEqual(problems, []);
});

Deno.test("boolean() takes yes/no, true/false, on/off, 1/0 in any case; else an error and the default", () => {
  const { r, problems } = reader(
    "a = YES",
    "b = off",
    "c = True",
    "d = 0",
    "e = on",
    "f = no",
    "g = 1",
    "h = false",
    "i = maybe",
  );
  assert.deepEqual(
    ["a", "b", "c", "d", "e", "f", "g", "h"].map((k) => r.boolean(k, false)),
    [true, false, true, false, true, false, true, false],
  );
  assert.equal(r.boolean("none", true), true);
  assert.equal(r.boolean("i", true), true);
  assert.deepEqual(told(problems), [
    'error 10 i: not a boolean (yes/no, true/false, on/off, 1/0): "maybe"',
  ]);
});

Deno.test("integer() takes digits (a leading +) within its bounds, both bounds included", () => {
  const { r, problems } = reader("lo = 1", "hi = 10", "plus = +5", "empty =");
  assert.equal(r.integer("lo", 1, 10, 7), 1);
  assert.equal(r.integer("hi", 1, 10, 7), 10);
  assert.equal(r.integer("plus", 1, 10, 7), 5);
  assert.equal(r.integer("none", 1, 10, 7), 7);
  assert.equal(r.integer("empty", 1, 10, null, true), null);
  assert.deepEqual(problems, []);
});

Deno.test("integer() refuses out of range, signs, fractions, words and empty (unless allowed)", () => {
  const { r, problems } = reader(
    "below = 0",
    "above = 11",
    "minus = -1",
    "frac = 1.5",
    "word = ten",
    "empty =",
  );
  for (const key of ["below", "above", "minus", "frac", "word", "empty"]) {
    assert.equal(r.integer(key, 1, 10, 7), 7, key);
  }
  assert.deepEqual(told(problems), [
    "error 2 below: out of range (1 to 10): 0",
    "error 3 above: out of range (1 to 10): 11",
    'error 4 minus: not a non-negative integer: "-1"',
    'error 5 frac: not a non-negative integer: "1.5"',
    'error 6 word: not a non-negative integer: "ten"',
    'error 7 empty: not a non-negative integer: ""',
  ]);
});

Deno.test("path() and optional(): the fallback or null when absent, an empty path is an error", () => {
  const { r, problems } = reader("p = /var/lib/x", "empty =", "o = text");
  assert.equal(r.path("p", "/d"), "/var/lib/x");
  assert.equal(r.path("none", "/d"), "/d");
  assert.equal(r.path("empty", "/d"), "");
  assert.equal(r.optional("o"), "text");
  assert.equal(r.optional("empty"), null);
  assert.equal(r.optional("none"), null);
  assert.deepEqual(told(problems), ["error 3 empty: empty path"]);
});

Deno.test("ipv4() and ipv4List() parse addresses; each bad one is an error naming it", () => {
  const { r, problems } = reader(
    "one = 192.0.2.1",
    "bad = 192.0.2.256",
    "list = 192.0.2.2, nope, 10.0.0.1",
  );
  assert.equal(r.ipv4("one"), 0xc0000201);
  assert.equal(r.ipv4("none"), null);
  assert.equal(r.ipv4("bad"), null);
  assert.deepEqual(r.ipv4List("list"), [0xc0000202, 0x0a000001]);
  assert.deepEqual(told(problems), [
    'error 3 bad: not an IPv4 address: "192.0.2.256"',
    'error 4 list: not an IPv4 address: "nope"',
  ]);
});

Deno.test("ipv6List() parses each address and names each bad one", () => {
  const { r, problems } = reader("list = 2001:db8::1, 2001:db8::g, ::1");
  const got = r.ipv6List("list");
  assert.equal(got.length, 2);
  assert.deepEqual(Array.from(got[1]!), [...new Array(15).fill(0), 1]);
  assert.deepEqual(told(problems), ['error 2 list: not an IPv6 address: "2001:db8::g"']);
});

Deno.test("domain() and domainList() keep the names, bad ones reported", () => {
  const { r, problems } = reader("d = example.org.", "bad = a..b", "list = a.example, -ok_, b c");
  assert.equal(r.domain("d"), "example.org.");
  assert.equal(r.domain("none"), null);
  assert.equal(r.domain("bad"), "a..b");
  assert.deepEqual(r.domainList("list"), ["a.example", "-ok_", "b c"]);
  assert.deepEqual(told(problems), [
    'error 3 bad: not a domain name: "a..b"',
    'error 4 list: not a domain name: "b c"',
  ]);
});

Deno.test("routes() parses `DEST/LEN ROUTER` items and reports the others with why", () => {
  const { r, problems } = reader("routes = 10.0.0.0/8 192.0.2.1, 10.0.0.0/33 192.0.2.1");
  assert.deepEqual(r.routes("routes").map((x) => [x.destination, x.prefixLength, x.router]), [
    [0x0a000000, 8, 0xc0000201],
  ]);
  assert.deepEqual(told(problems), [
    'error 2 routes: not an IPv4 destination (address/length): "10.0.0.0/33"',
  ]);
});

Deno.test("given() is true for a key with a value, valid or not; false when empty or absent", () => {
  const { r } = reader("a = x", "b =");
  assert.equal(r.given("a"), true);
  assert.equal(r.given("b"), false);
  assert.equal(r.given("c"), false);
});

Deno.test("known and unused(): the keys asked for, and the section's keys nobody asked for", () => {
  const { r } = reader("a = 1", "b = 2", "c = 3");
  r.scalar("a");
  r.list("c");
  r.scalar("absent");
  assert.deepEqual([...r.known], ["a", "c", "absent"]);
  assert.deepEqual(r.unused().map((e) => [e.key, e.line]), [["b", 3]]);
});

Deno.test("a reader of a section the file lacks gives defaults, and problems at line 0", () => {
  const findings = new Findings();
  const r = new SectionReader("gone", undefined, findings);
  assert.equal(r.scalar("x"), undefined);
  assert.equal(r.boolean("x", true), true);
  assert.deepEqual(r.unused(), []);
  r.warn("x", "careful");
  r.error("y", "wrong");
  assert.deepEqual(findings.problems, [
    { severity: "warning", section: "gone", key: "x", line: 0, reason: "careful" },
    { severity: "error", section: "gone", key: "y", line: 0, reason: "wrong" },
  ]);
});
