/** The command line: subcommands by name, the daemon's flags without one (as the original). */
import assert from "node:assert/strict";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function nfdhcpd(...args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: r.code, out: text(r.stdout) + text(r.stderr) };
}

Deno.test("main.ts: `help` lists the subcommands, exit 0", async () => {
  const r = await nfdhcpd("help");
  assert.equal(r.code, 0);
  assert.match(r.out, /^Subcommands:\n {2}run +run the daemon/m);
});

Deno.test("main.ts: the original's flags work without a subcommand, and after `run`", async () => {
  for (const args of [["-V"], ["run", "--version"]]) {
    const r = await nfdhcpd(...args);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^nfdhcpd \d+\.\d+\.\d+$/m);
  }
});

Deno.test("main.ts: an unknown option is a usage error (exit 2) with the usage", async () => {
  const r = await nfdhcpd("--bogus");
  assert.equal(r.code, 2);
  assert.match(r.out, /Unknown option '--bogus'[^]*Usage: nfdhcpd/);
});

Deno.test("main.ts: a word that is no subcommand is not taken for one (toString, constructor)", async () => {
  const r = await nfdhcpd("toString");
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /Unexpected argument 'toString'|Usage:/);
});
