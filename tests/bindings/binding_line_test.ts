/** One `KEY=VALUE` line of a binding file taken apart (src/bindings/binding_line.ts). */
import assert from "node:assert/strict";
import { splitBindingLine } from "../../src/bindings/binding_line.ts";

/** What splitBindingLine() gives for an unquoted value: `written` is the value as it stands. */
const parts = (key: string, value: string, onlyComment = false) => ({
  key,
  value,
  written: value,
  onlyComment,
});

Deno.test("splitBindingLine() splits at the first = and trims key and value", () => {
  assert.deepEqual(splitBindingLine("IP = 10.0.0.2 "), parts("IP", "10.0.0.2"));
  assert.deepEqual(splitBindingLine("OPTION_77=a=b"), parts("OPTION_77", "a=b"));
  assert.deepEqual(splitBindingLine("PRIVATE="), parts("PRIVATE", ""));
  // A key of one character is a key (the daemon then calls it unknown).
  assert.deepEqual(splitBindingLine("X=1"), parts("X", "1"));
});

Deno.test("splitBindingLine() gives null for a line with no key", () => {
  assert.equal(splitBindingLine("=10.0.0.2"), null);
  assert.equal(splitBindingLine("IP 10.0.0.2"), null);
});

Deno.test("splitBindingLine() starts a comment at a # first in the value or after white space", () => {
  assert.deepEqual(splitBindingLine("IP=10.0.0.2  # web"), parts("IP", "10.0.0.2"));
  assert.deepEqual(splitBindingLine("IP=10.0.0.2\t#web"), parts("IP", "10.0.0.2"));
  assert.deepEqual(splitBindingLine("MACSPOOF=#x"), parts("MACSPOOF", "", true));
  assert.deepEqual(splitBindingLine("MACSPOOF=   # x"), parts("MACSPOOF", "", true));
});

Deno.test("splitBindingLine() keeps a # inside a word or inside quotes", () => {
  assert.equal(splitBindingLine("TAGS=a#b")?.value, "a#b");
  assert.equal(splitBindingLine('TAGS="a # b"')?.value, "a # b");
  assert.equal(splitBindingLine("TAGS='a # b' # c")?.value, "a # b");
  // A quote of the other kind inside quotes does not end them.
  assert.equal(splitBindingLine(`TAGS="it's # one" # two`)?.value, "it's # one");
});

Deno.test("splitBindingLine() takes off matching quotes and gives null for an unclosed one", () => {
  assert.equal(splitBindingLine('HOSTNAME="vm1"')?.value, "vm1");
  assert.equal(splitBindingLine("HOSTNAME='vm1'")?.value, "vm1");
  assert.equal(splitBindingLine('HOSTNAME=""')?.value, "");
  const open = splitBindingLine('HOSTNAME="vm1');
  assert.equal(open?.value, null);
  assert.equal(open?.written, '"vm1');
  // One quote alone, and quotes that do not match, are not closed either.
  assert.equal(splitBindingLine('HOSTNAME="')?.value, null);
  assert.equal(splitBindingLine(`HOSTNAME="vm1'`)?.value, null);
  // An unclosed quote runs to the end of the line: the # in it starts no comment.
  assert.equal(splitBindingLine('HOSTNAME="vm1 # x')?.written, '"vm1 # x');
  // Quotes inside a word are kept as they are.
  assert.equal(splitBindingLine('HOSTNAME=vm"1"')?.value, 'vm"1"');
});
