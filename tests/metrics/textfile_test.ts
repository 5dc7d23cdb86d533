/** The metrics file: written whole by rename, readable by all, rewritten on a timer, errors told. */
import assert from "node:assert/strict";
import { MetricsFileWriter, writeAtomically } from "../../src/metrics/textfile.ts";
import { inTempDir } from "../temp_dir.ts";

Deno.test("writeAtomically() replaces the file with mode 0644 and leaves no temporary file", async () => {
  await inTempDir((dir) => {
    const path = `${dir}/nfdhcpd.prom`;
    Deno.writeTextFileSync(path, "old\n", { mode: 0o600 });
    writeAtomically(path, "new 1\n");
    assert.equal(Deno.readTextFileSync(path), "new 1\n");
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o644);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["nfdhcpd.prom"]);
  });
});

Deno.test("writeAtomically() that cannot rename throws and removes its temporary file", async () => {
  await inTempDir((dir) => {
    const path = `${dir}/taken`;
    Deno.mkdirSync(path);
    Deno.writeTextFileSync(`${path}/x`, ""); // a directory that is not empty: no rename onto it
    assert.throws(() => writeAtomically(path, "text"));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["taken"]);
  });
});

Deno.test("MetricsFileWriter writes at start, again on its timer, and stops", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/m.prom`;
    let renders = 0;
    const errors: string[] = [];
    const writer = new MetricsFileWriter(
      path,
      0.01,
      () => `n ${++renders}\n`,
      (m) => errors.push(m),
    );
    writer.start();
    try {
      assert.equal(renders, 1, "written at once");
      assert.equal(Deno.readTextFileSync(path), "n 1\n");
      const deadline = Date.now() + 5000;
      while (renders < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.ok(renders >= 2, "written again on the timer");
      assert.equal(Deno.readTextFileSync(path), `n ${renders}\n`);
    } finally {
      writer.stop();
      writer.stop();
    }
    assert.deepEqual(errors, []);
  });
});

Deno.test("MetricsFileWriter tells onError when it cannot write, and goes on", async () => {
  await inTempDir((dir) => {
    const errors: string[] = [];
    const path = `${dir}/missing/m.prom`;
    const writer = new MetricsFileWriter(path, 60, () => "x 1\n", (m) => errors.push(m));
    writer.writeNow();
    writer.writeNow();
    assert.equal(errors.length, 2);
    assert.match(errors[0]!, new RegExp(`^Cannot write the metrics file ${path}: .+`));
  });
});
