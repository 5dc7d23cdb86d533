/** Tests for the store's INDEV keying: files named after the VM and NIC (OpenNebula), served on their TAP. */
import assert from "node:assert/strict";
import { BindingStore } from "../../src/bindings/store.ts";

/** A store over a fresh directory holding `files`, where the interfaces are `interfaces`. */
async function storeOf(
  files: Record<string, string>,
  interfaces: Set<string>,
): Promise<{ store: BindingStore; warnings: string[]; dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-indev-" });
  for (const [name, text] of Object.entries(files)) Deno.writeTextFileSync(`${dir}/${name}`, text);
  const warnings: string[] = [];
  const ignore = () => {};
  const store = new BindingStore(
    dir,
    { debug: ignore, info: ignore, warn: (m) => warnings.push(m), error: ignore },
    { isInterface: (name) => interfaces.has(name) },
  );
  await store.load();
  return {
    store,
    warnings,
    dir,
    async [Symbol.asyncDispose]() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const one = (mac: string, indev: string) => `HOSTNAME=one-42\nINDEV=${indev}\nMAC=${mac}\n`;

Deno.test("BindingStore serves an OpenNebula file (one-42-0, INDEV=tap3) on its INDEV", async () => {
  await using lab = await storeOf(
    { "one-42-0": one("02:00:c0:a8:00:10", "tap3") },
    new Set(["tap3", "br0"]),
  );
  const binding = lab.store.get("tap3");
  assert.equal(binding?.macText, "02:00:c0:a8:00:10");
  assert.equal(lab.store.get("one-42-0"), binding, "still found by its file name");
  assert.equal(lab.store.interfaceOf(binding!), "tap3");
  assert.deepEqual(lab.warnings, []);
});

Deno.test("BindingStore keys a file named after an interface by that name (Ganeti bridged)", async () => {
  await using lab = await storeOf(
    { tap0: one("52:54:00:00:00:01", "br0"), tap1: one("52:54:00:00:00:02", "br0") },
    new Set(["tap0", "tap1", "br0"]),
  );
  assert.equal(lab.store.get("br0"), undefined, "the bridge is no VM's");
  assert.equal(lab.store.interfaceOf(lab.store.get("tap0")!), "tap0");
  assert.deepEqual(lab.warnings, []);
});

Deno.test("BindingStore serves neither of two files claiming one TAP, and says so", async () => {
  await using lab = await storeOf(
    { "one-42-0": one("02:00:c0:a8:00:10", "tap3"), "one-43-0": one("02:00:c0:a8:00:11", "tap3") },
    new Set(["tap3"]),
  );
  assert.equal(lab.store.get("tap3"), undefined);
  assert.equal(lab.warnings.length, 1);
  assert.match(lab.warnings[0]!, /one-4[23]-0, one-4[23]-0 all name INDEV tap3, .*none is served/);
  // The stale one goes: the other is served.
  Deno.removeSync(`${lab.dir}/one-42-0`);
  await lab.store.load();
  assert.equal(lab.store.get("tap3")?.macText, "02:00:c0:a8:00:11");
});

Deno.test("BindingStore prefers the file named after the TAP to a file claiming it by INDEV", async () => {
  await using lab = await storeOf(
    { tap3: one("52:54:00:00:00:03", "tap3"), "one-42-0": one("02:00:c0:a8:00:10", "tap3") },
    new Set(["tap3"]),
  );
  assert.equal(lab.store.get("tap3")?.macText, "52:54:00:00:00:03");
  assert.deepEqual(lab.warnings, []);
});

Deno.test("BindingStore serves the one file claiming a TAP by INDEV when the other claimant is an interface's own", async () => {
  await using lab = await storeOf(
    { "one-42-0": one("02:00:c0:a8:00:10", "tap3"), tap9: one("52:54:00:00:00:09", "tap3") },
    new Set(["tap3", "tap9"]),
  );
  assert.equal(lab.store.get("tap3")?.macText, "02:00:c0:a8:00:10");
  assert.equal(lab.store.get("tap9")?.macText, "52:54:00:00:00:09");
  assert.deepEqual(lab.warnings, []);
});

Deno.test("BindingStore.useInterfaces() puts a file claiming a TAP by INDEV on it, once names are known", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-indev-" });
  Deno.writeTextFileSync(`${dir}/one-42-0`, one("02:00:c0:a8:00:10", "tap3"));
  const ignore = () => {};
  const store = new BindingStore(dir, { debug: ignore, info: ignore, warn: ignore, error: ignore });
  try {
    await store.load();
    // Every name taken for an interface's: one-42-0 is served by its own name only.
    assert.equal(store.get("tap3"), undefined);
    store.useInterfaces((name) => name === "tap3");
    assert.equal(store.get("tap3")?.macText, "02:00:c0:a8:00:10");
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
