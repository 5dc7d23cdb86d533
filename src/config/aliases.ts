/** Names other versions of nfdhcpd gave to keys we read under another name, taken with a warning. */
import type { SectionReader } from "./section_reader.ts";

/**
 * `[general] datapath`, or `datadir`, the name unistra's OpenNebula fork gave it: read as
 * datapath with a warning (a configuration carried over from the fork keeps working), and ignored
 * with a warning when datapath is set too.
 */
export function readDatapath(r: SectionReader, fallback: string): string {
  const datapath = r.path("datapath", fallback);
  if (r.scalar("datadir") === undefined) return datapath;
  if (r.given("datapath")) {
    r.warn("datadir", "the OpenNebula fork's name for datapath; ignored, datapath is set");
    return datapath;
  }
  r.warn("datadir", "the OpenNebula fork's name for datapath; read as datapath (rename it)");
  return r.path("datadir", fallback);
}
