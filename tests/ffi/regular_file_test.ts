import assert from "node:assert/strict";
import { RegularFileReader } from "../../ffi/regular_file.ts";

async function withDir(body: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "nfdhcpd-regular-file-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("RegularFileReader.read gives a small file's text and refuses links and large files", () =>
  withDir((dir) => {
    const reader = new RegularFileReader(8);
    Deno.writeTextFileSync(`${dir}/small`, "MAC=x\n");
    Deno.writeTextFileSync(`${dir}/large`, "123456789");
    Deno.symlinkSync(`${dir}/small`, `${dir}/link`);
    assert.deepEqual(reader.read(`${dir}/small`), { kind: "text", text: "MAC=x\n" });
    assert.deepEqual(reader.read(`${dir}/gone`), { kind: "missing" });
    assert.deepEqual(reader.read(`${dir}/link`), {
      kind: "refused",
      reason: "it is a symbolic link",
    });
    assert.deepEqual(reader.read(`${dir}/large`), {
      kind: "refused",
      reason: "it is larger than 8 bytes",
    });
    assert.deepEqual(reader.read(dir), { kind: "refused", reason: "it is a directory" });
  }));

Deno.test("RegularFileReader.statusChangedAt is the ctime lstat gives, of a link itself", () =>
  withDir(async (dir) => {
    const reader = new RegularFileReader(64);
    Deno.writeTextFileSync(`${dir}/file`, "a");
    const before = reader.statusChangedAt(`${dir}/file`)!;
    // Deno's lstat gives ctime in whole seconds.
    const ctime = Deno.lstatSync(`${dir}/file`).ctime!.getTime();
    assert.equal(Math.floor(before / 1000) * 1000, ctime);
    await new Promise((resolve) => setTimeout(resolve, 20));
    Deno.chmodSync(`${dir}/file`, 0o600); // Content unchanged: the status changed all the same.
    const after = reader.statusChangedAt(`${dir}/file`)!;
    assert.ok(after > before, `${after} is not after ${before}`);
    assert.ok(Math.abs(after - Date.now()) < 5000, "in ms since the epoch");

    await new Promise((resolve) => setTimeout(resolve, 20));
    Deno.symlinkSync(`${dir}/file`, `${dir}/link`);
    assert.ok(reader.statusChangedAt(`${dir}/link`)! > after, "the link's own, not its target's");
    assert.equal(reader.statusChangedAt(`${dir}/gone`), null);
  }));

Deno.test("RegularFileReader.read of a file listed as regular never waits on what replaced it", () =>
  withDir(async (dir) => {
    const reader = new RegularFileReader(8);
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    assert.ok(made.success, "mkfifo");
    // No writer: an empty read, at once.
    assert.deepEqual(reader.read(`${dir}/fifo`, true), { kind: "text", text: "" });
    const writer = Deno.openSync(`${dir}/fifo`, { read: true, write: true });
    try {
      // A writer that wrote nothing: EAGAIN, at once.
      assert.deepEqual(reader.read(`${dir}/fifo`, true), {
        kind: "refused",
        reason: "cannot read it: Resource temporarily unavailable",
      });
    } finally {
      writer.close();
    }
    assert.deepEqual(reader.read("/dev/zero", true), {
      kind: "refused",
      reason: "it is larger than 8 bytes",
    });
    assert.equal(reader.read(dir, true).kind, "refused");
    // Not listed: the type is checked on the descriptor and named.
    assert.deepEqual(reader.read(`${dir}/fifo`), { kind: "refused", reason: "it is a FIFO" });
  }));
