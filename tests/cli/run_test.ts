/** `nfdhcpd [run]`'s flags: help, the version under each of its spellings, usage errors. */
import assert from "node:assert/strict";
import { RUN_USAGE, runCommand } from "../../src/cli/run.ts";
import { VERSION } from "../../src/version.ts";
import { capturing } from "../console.ts";

Deno.test("run -h and --help print the usage on stdout, exit 0, and start nothing", async () => {
  for (const flag of ["-h", "--help"]) {
    const printed = await capturing(() => runCommand([flag]));
    assert.equal(printed.result, 0, flag);
    assert.deepEqual(printed.out, [RUN_USAGE]);
  }
});

Deno.test("run -v, -V and --version print `nfdhcpd VERSION`, exit 0", async () => {
  for (const flag of ["-v", "-V", "--version"]) {
    const printed = await capturing(() => runCommand([flag]));
    assert.equal(printed.result, 0, flag);
    assert.deepEqual(printed.out, [`nfdhcpd ${VERSION}`]);
  }
});

Deno.test("run: -h wins over the version when both are given", async () => {
  const printed = await capturing(() => runCommand(["-V", "-h"]));
  assert.deepEqual(printed.out, [RUN_USAGE]);
});

Deno.test("run: an unknown flag, a positional or -c without a file is a usage error, exit 2", async () => {
  for (const args of [["--bogus"], ["extra"], ["-c"]]) {
    const printed = await capturing(() => runCommand(args));
    assert.equal(printed.result, 2, args.join(" "));
    assert.deepEqual(printed.out, []);
    assert.match(printed.err[0]!, /^nfdhcpd: .+\n\nUsage: nfdhcpd \[run\] \[options\]/);
  }
});
