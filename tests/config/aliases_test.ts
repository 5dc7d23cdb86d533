/** readDatapath(): `datapath`, or the OpenNebula fork's `datadir`, each case with its warning. */
import assert from "node:assert/strict";
import { readDatapath } from "../../src/config/aliases.ts";
import { Findings } from "../../src/config/findings.ts";
import { parseIni } from "../../src/config/ini.ts";
import { SectionReader } from "../../src/config/section_reader.ts";

/** readDatapath() over `[general]` holding `lines`; the path and the findings as text. */
function read(...lines: string[]): { path: string; told: string[] } {
  const ini = parseIni(`[general]\n${lines.join("\n")}\n`, "c");
  if (!ini.ok) throw new Error(ini.errors.join("; "));
  const findings = new Findings();
  const r = new SectionReader("general", ini.document.sections.get("general"), findings);
  const path = readDatapath(r, "/var/lib/nfdhcpd");
  return {
    path,
    told: findings.problems.map((p) => `${p.severity} ${p.line} ${p.key}: ${p.reason}`),
  };
}

Deno.test("readDatapath() takes datapath, or the default, without a word", () => {
  assert.deepEqual(read("datapath = /srv/b"), { path: "/srv/b", told: [] });
  assert.deepEqual(read(), { path: "/var/lib/nfdhcpd", told: [] });
});

Deno.test("readDatapath() reads datadir alone as datapath, with a warning to rename it", () => {
  assert.deepEqual(read("datadir = /srv/one"), {
    path: "/srv/one",
    told: [
      "warning 2 datadir: the OpenNebula fork's name for datapath; read as datapath (rename it)",
    ],
  });
});

Deno.test("readDatapath() ignores datadir beside datapath, with a warning", () => {
  assert.deepEqual(read("datadir = /srv/one", "datapath = /srv/two"), {
    path: "/srv/two",
    told: ["warning 2 datadir: the OpenNebula fork's name for datapath; ignored, datapath is set"],
  });
});

Deno.test("readDatapath() with an empty datapath reads datadir, and says the path is empty", () => {
  const { path, told } = read("datapath =", "datadir = /srv/one");
  assert.equal(path, "/srv/one");
  assert.deepEqual(told, [
    "error 2 datapath: empty path",
    "warning 3 datadir: the OpenNebula fork's name for datapath; read as datapath (rename it)",
  ]);
});
