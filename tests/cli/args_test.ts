import assert from "node:assert/strict";
import { parseArgs } from "../../src/cli/args.ts";

const OPTIONS = {
  config: { type: "string", short: "c", default: "/etc/nfdhcpd/nfdhcpd.conf" },
  socket: { type: "string" },
  debug: { type: "boolean", short: "d", default: false },
  foreground: { type: "boolean", short: "f", default: false },
  v: { type: "boolean", default: false },
} as const;

const parse = (args: string[], allowPositionals = true) =>
  parseArgs({ args, options: OPTIONS, allowPositionals });

Deno.test("parseArgs gives the defaults when no option is given", () => {
  assert.deepEqual(parse([]), {
    values: {
      config: "/etc/nfdhcpd/nfdhcpd.conf",
      socket: undefined,
      debug: false,
      foreground: false,
      v: false,
    },
    positionals: [],
  });
});

Deno.test("parseArgs reads every spelling of a string option, the last one winning", () => {
  for (
    const args of [["-c", "a"], ["-ca"], ["--config", "a"], ["--config=a"], ["-c", "b", "-ca"]]
  ) {
    assert.equal(parse(args).values.config, "a", args.join(" "));
  }
  assert.equal(parse(["--config="]).values.config, "");
});

Deno.test("parseArgs reads flags alone and joined, and a one-letter name as its own short", () => {
  const { values } = parse(["-df", "-v"]);
  assert.equal(values.debug, true);
  assert.equal(values.foreground, true);
  assert.equal(values.v, true);
  assert.equal(parse(["-dcX"]).values.config, "X");
  assert.equal(parse(["-dcX"]).values.debug, true);
});

Deno.test("parseArgs keeps positionals in order, and everything after -- as positionals", () => {
  assert.deepEqual(parse(["a", "-d", "b", "--", "-f", "c"]).positionals, ["a", "b", "-f", "c"]);
  assert.equal(parse(["--", "-f"]).values.foreground, false);
});

Deno.test("parseArgs refuses what strict node:util parseArgs refuses, naming the argument", () => {
  assert.throws(() => parse(["--bogus"]), /^Error: Unknown option '--bogus'$/);
  assert.throws(() => parse(["-x"]), /^Error: Unknown option '-x'$/);
  assert.throws(() => parse(["-c"]), /^Error: Option '-c' argument missing$/);
  assert.throws(() => parse(["--socket", "-d"]), /^Error: Option '--socket' argument missing$/);
  assert.throws(
    () => parse(["--debug=yes"]),
    /^Error: Option '--debug' does not take an argument$/,
  );
  assert.throws(() => parse(["x"], false), /^Error: Unexpected argument 'x'\./);
  assert.deepEqual(parse(["-"]).positionals, ["-"]);
});
