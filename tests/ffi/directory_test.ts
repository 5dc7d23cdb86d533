import assert from "node:assert/strict";
import { listDirectory } from "../../ffi/directory.ts";

const byName = (a: Deno.DirEntry, b: Deno.DirEntry) => a.name.localeCompare(b.name);

Deno.test("listDirectory gives what Deno.readDirSync gives: names and types, no . or ..", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-directory-" });
  try {
    Deno.writeTextFileSync(`${dir}/tap0`, "x");
    Deno.mkdirSync(`${dir}/sub`);
    Deno.symlinkSync(`${dir}/tap0`, `${dir}/link`);
    Deno.writeTextFileSync(`${dir}/name with spaces and é`, "");
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    assert.ok(made.success, "mkfifo");
    const listed = listDirectory(dir)!.sort(byName);
    assert.deepEqual(listed, [...Deno.readDirSync(dir)].map((e) => ({ ...e })).sort(byName));
    assert.deepEqual(listed.map((e) => e.name), [
      "fifo",
      "link",
      "name with spaces and é",
      "sub",
      "tap0",
    ]);
    assert.deepEqual(listed.find((e) => e.name === "fifo"), {
      name: "fifo",
      isFile: false,
      isDirectory: false,
      isSymlink: false,
    });
    assert.deepEqual(listDirectory(`${dir}/sub`), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("listDirectory gives null for a missing directory, and throws naming the call otherwise", () => {
  assert.equal(listDirectory("/nonexistent-nfdhcpd-dir"), null);
  assert.throws(
    () => listDirectory("/etc/hostname"),
    /^Error: Cannot opendir\(\/etc\/hostname\): Not a directory/,
  );
});
