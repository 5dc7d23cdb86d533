/** The keys of nfdhcpd.conf as the code knows them, for the tests that must name every one. */
import { parseConfig } from "../../src/config/config.ts";
import { SectionReader } from "../../src/config/section_reader.ts";

/**
 * Every key each section's reader asks for: the schema, as the daemon and `check` know it
 * (section name → its keys, in the order read).
 */
export function schemaKeys(): Map<string, Set<string>> {
  const asked = new Map<string, Set<string>>();
  const original = SectionReader.prototype.entry;
  SectionReader.prototype.entry = function (this: SectionReader, key: string) {
    const keys = asked.get(this.name) ?? new Set<string>();
    asked.set(this.name, keys.add(key));
    return original.call(this, key);
  };
  try {
    // Empty, and with every section present and DHCP valid: keys read only in either count too.
    parseConfig("", "schema.conf");
    parseConfig("[general]\n[dhcp]\nserver_ip = 192.0.2.1\n[ipv6]\n", "schema.conf");
  } finally {
    SectionReader.prototype.entry = original;
  }
  return asked;
}
