/** Which binding replay decides a packet with (src/replay/bindings.ts): by file, by TAP, by source MAC. */
import assert from "node:assert/strict";
import { parseMac } from "../../src/address.ts";
import { bindingDirectory, bindingFile } from "../../src/replay/bindings.ts";

const SHARED_MAC = "52:54:00:00:00:aa";

async function withDirectory(
  files: Record<string, string>,
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-replay-bindings-" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const binding = (mac: string, ip: string) =>
  `MAC=${mac}\nIP=${ip}\nSUBNET=10.0.0.0/24\nHOSTNAME=vm\n`;

Deno.test("bindingDirectory() picks the first binding by name when two share the packet's MAC", async () => {
  // Written in the other order, and named so that "tap10" sorts before "tap9": names decide,
  // not the directory's order or the TAP's number.
  await withDirectory({
    tap9: binding(SHARED_MAC, "10.0.0.9"),
    tap10: binding(SHARED_MAC, "10.0.0.10"),
    tap2: binding("52:54:00:00:00:02", "10.0.0.2"),
  }, async (dir) => {
    const loaded = await bindingDirectory(dir, null);
    assert.deepEqual(loaded.problems, []);
    const shared = loaded.choose(parseMac(SHARED_MAC)!);
    assert.ok(typeof shared !== "string", shared as string);
    assert.equal(shared.tap, "tap10");
    const other = loaded.choose(parseMac("52:54:00:00:00:02")!);
    assert.ok(typeof other !== "string");
    assert.equal(other.tap, "tap2");
    assert.equal(loaded.source, `bindings in ${dir}, matched by source MAC`);
  });
});

Deno.test("bindingDirectory() says why a packet has no binding: no source MAC, or no file with it", async () => {
  await withDirectory({ tap1: binding(SHARED_MAC, "10.0.0.1") }, async (dir) => {
    const { choose } = await bindingDirectory(dir, null);
    assert.equal(
      choose(null),
      `no source MAC in the capture to find a binding in ${dir} (use --tap)`,
    );
    assert.equal(
      choose(parseMac("52:54:00:00:00:bb")!),
      `no binding in ${dir} has MAC 52:54:00:00:00:bb`,
    );
  });
});

Deno.test("bindingDirectory() with a TAP uses that binding for every packet, whatever its MAC", async () => {
  await withDirectory({
    tap1: binding(SHARED_MAC, "10.0.0.1"),
    tap2: binding(SHARED_MAC, "10.0.0.2"),
  }, async (dir) => {
    const loaded = await bindingDirectory(dir, "tap2");
    for (const mac of [parseMac(SHARED_MAC)!, parseMac("52:54:00:00:00:bb")!, null]) {
      const b = loaded.choose(mac);
      assert.ok(typeof b !== "string");
      assert.equal(b.tap, "tap2");
    }
    assert.equal(loaded.source, `binding ${dir}/tap2`);
    await assert.rejects(() => bindingDirectory(dir, "tap3"), /has no usable binding for TAP tap3/);
  });
});

Deno.test("bindingDirectory() reports files that are too large or do not parse, and skips them", async () => {
  await withDirectory({
    tap1: binding(SHARED_MAC, "10.0.0.1"),
    tap2: "IP=10.0.0.2\n",
    tap3: `# ${"x".repeat(64 * 1024)}\n${binding("52:54:00:00:00:03", "10.0.0.3")}`,
    "tap4.tmp": binding("52:54:00:00:00:04", "10.0.0.4"),
  }, async (dir) => {
    const loaded = await bindingDirectory(dir, null);
    assert.deepEqual(loaded.problems, [
      "Cannot parse binding tap2: MAC is missing",
      `${dir}/tap3: larger than 65536 bytes, not a binding`,
    ]);
    assert.equal(typeof loaded.choose(parseMac("52:54:00:00:00:03")!), "string");
    // A name the daemon ignores (an editor's or a hook's temporary file) is not read.
    assert.equal(typeof loaded.choose(parseMac("52:54:00:00:00:04")!), "string");
    await assert.rejects(() => bindingDirectory(dir, "tap2"), /no usable binding for TAP tap2/);
  });
});

Deno.test("bindingFile() names the binding after its file and uses it for every packet", async () => {
  await withDirectory({ vm7: `${binding(SHARED_MAC, "10.0.0.7")}NOT_A_KEY=1\n` }, async (dir) => {
    const loaded = await bindingFile(`${dir}/vm7`);
    const b = loaded.choose(null);
    assert.ok(typeof b !== "string");
    assert.equal(b.tap, "vm7");
    assert.equal(b.ip, 0x0a000007);
    assert.deepEqual(loaded.problems, ["Binding vm7 line 5: unknown key NOT_A_KEY, ignored"]);
    assert.equal(loaded.source, `binding ${dir}/vm7`);
  });
  await withDirectory({ bad: "IP=10.0.0.2\n" }, async (dir) => {
    await assert.rejects(() => bindingFile(`${dir}/bad`), /MAC is missing/);
  });
});
