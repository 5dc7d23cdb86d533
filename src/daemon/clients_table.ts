/** The table of known clients that SIGUSR2 logs: one aligned line per binding. */
import type { Binding } from "../bindings/binding.ts";
import { formatIpv4 } from "../address.ts";
import { ipv6Summary } from "../serve/ipv6_binding.ts";

const HEADER = ["TAP", "IFINDEX", "MAC", "IPV4", "IPV6", "HOSTNAME"] as const;
const NONE = "-";

function rowOf(b: Binding, ifindexOf: (tap: string) => number | null): string[] {
  const ifindex = ifindexOf(b.tap);
  // The addresses the DHCPv6 responder leases the VM (the first by the RA's rule too), then the
  // prefixes delegated to it.
  const { addresses, prefixes } = ipv6Summary(b);
  const ipv6 = [...addresses, ...prefixes].join(",");
  return [
    b.tap,
    ifindex === null ? NONE : String(ifindex),
    b.macText,
    b.ip === null ? NONE : formatIpv4(b.ip),
    ipv6 === "" ? NONE : ipv6,
    b.hostname ?? NONE,
  ];
}

/**
 * The lines SIGUSR2 logs: a header, then one line per binding ordered by TAP name (tap2 before
 * tap10), columns TAP, IFINDEX (from `ifindexOf`, `-` while the TAP does not exist), MAC, IPV4,
 * IPV6 (the VM's addresses, then its delegated prefixes, comma-separated) and HOSTNAME (`-` when
 * absent), padded so the columns line up. With no binding, the header alone.
 */
export function formatClientsTable(
  bindings: Iterable<Binding>,
  ifindexOf: (tap: string) => number | null,
): string[] {
  const sorted = [...bindings].sort((a, b) => a.tap.localeCompare(b.tap, "en", { numeric: true }));
  const rows: string[][] = [[...HEADER], ...sorted.map((b) => rowOf(b, ifindexOf))];
  const widths = HEADER.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? "").length)));
  return rows.map((r) =>
    r.map((cell, col) => col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)).join("  ")
      .trimEnd()
  );
}
