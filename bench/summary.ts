/**
 * Bench summary: medians over repetitions per N and C, ours/dnsmasq and ours/C-reference ratios,
 * the ceiling, IPv6.
 */

import { type Options, type Peer, type Server, SERVERS } from "./options.ts";

/** The servers of the r/b/d columns (the C reference has columns of its own). */
const RBD: readonly Peer[] = ["ours-routed", "ours-bridged", "dnsmasq"];
import { f0, fp, type Measurement, median, type Results } from "./report.ts";

/**
 * Prints the summaries: per N and C, the median DORA/s, ACK latency, failures and CPU of each
 * server over the repetitions, the ours/dnsmasq ratios and the generator's ceiling; then IPv6.
 */
export async function summary(res: Results, o: Options): Promise<void> {
  const recs = res.records;
  await res.print("");
  await res.print(
    "== DHCPv4 summary: medians over repetitions; ratio = ours / dnsmasq (DORA/s), " +
      "ACK latency in us; ceiling = the generator against a zero-work responder; " +
      "c-nfq = the C reference responder, r/c = ours routed / it ==",
  );
  await res.print(
    [
      "N".padStart(5),
      "C".padStart(3),
      "routed/s".padStart(9),
      "bridged/s".padStart(9),
      "dnsmasq/s".padStart(9),
      "ratio-r".padStart(7),
      "ratio-b".padStart(7),
      "ACK p50 r/b/d".padStart(17),
      "ACK p99 r/b/d".padStart(20),
      "t/o+inv r/b/d".padStart(14),
      "srvCPU r/b/d".padStart(14),
      "genCPU r/b/d".padStart(14),
      "ceiling/s (x fastest)".padStart(21),
      "c-nfq/s".padStart(8),
      "r/c".padStart(5),
    ].join(" "),
  );
  for (const n of o.ns) {
    for (const c of o.cs) {
      const pick = (s: Server) =>
        recs.filter((r) => r.bench === "dhcp4" && r.server === s && r.n === n && r.c === c);
      const med = (s: Server, f: (r: Measurement) => number | undefined) =>
        median(pick(s).map(f).filter((x): x is number => x !== undefined));
      const rate = (s: Server) => med(s, (r) => r.rate);
      const p50 = (s: Server) => med(s, (r) => r.ack_us?.p50);
      const p99 = (s: Server) => med(s, (r) => r.ack_us?.p99);
      const bad = (s: Server) =>
        pick(s).length
          ? String(
            pick(s).reduce((a, r) => a + r.timeouts + r.warmup_timeouts + r.invalid, 0),
          )
          : "-";
      const cpu = (f: (r: Measurement) => number | null) =>
        RBD.map((s) => fp(med(s, (r) => f(r) ?? undefined), 0)).join("/");
      const d = rate("dnsmasq");
      const ceiling = (n: number, c: number): string => {
        const x = median(
          recs.filter((r) => r.bench === "dhcp4-ceiling" && r.n === n && r.c === c).map((r) =>
            r.rate
          ),
        );
        const fastest = Math.max(...SERVERS.map(rate).filter((v) => !Number.isNaN(v)));
        const times = Number.isFinite(x / fastest) ? ` (${(x / fastest).toFixed(1)}x)` : "";
        return `${f0(x, 0)}${times}`.padStart(21);
      };
      const ratio = (x: number) => (Number.isFinite(x / d) ? (x / d).toFixed(2) : "-");
      await res.print(
        [
          f0(n, 5),
          f0(c, 3),
          f0(rate("ours-routed"), 9),
          f0(rate("ours-bridged"), 9),
          f0(d, 9),
          ratio(rate("ours-routed")).padStart(7),
          ratio(rate("ours-bridged")).padStart(7),
          `${f0(p50("ours-routed"), 0)}/${f0(p50("ours-bridged"), 0)}/${f0(p50("dnsmasq"), 0)}`
            .padStart(17),
          `${f0(p99("ours-routed"), 0)}/${f0(p99("ours-bridged"), 0)}/${f0(p99("dnsmasq"), 0)}`
            .padStart(20),
          `${bad("ours-routed")}/${bad("ours-bridged")}/${bad("dnsmasq")}`.padStart(14),
          cpu((r) => r.server_cpu).padStart(14),
          cpu((r) => r.gen_cpu).padStart(14),
          ceiling(n, c),
          f0(rate("c-nfq"), 8),
          (Number.isFinite(rate("ours-routed") / rate("c-nfq"))
            ? (rate("ours-routed") / rate("c-nfq")).toFixed(2)
            : "-").padStart(5),
        ].join(" "),
      );
    }
  }
  const churn = recs.filter((r) => r.bench === "dhcp4-churn");
  if (churn.length) {
    await res.print("");
    await res.print(
      "== churn (ours routed): tap0-tap9's bindings rewritten in turn, 10 a second; medians; " +
        "ratio = with churn / without ==",
    );
    for (const n of o.ns) {
      const c = Math.max(...o.cs);
      const rate = (bench: string) =>
        median(
          recs.filter((r) =>
            r.bench === bench && r.server === "ours-routed" && r.n === n && r.c === c
          ).map((r) => r.rate),
        );
      const [with_, without] = [rate("dhcp4-churn"), rate("dhcp4")];
      await res.print(
        `N=${f0(n, 5)} C=${f0(c, 3)} with churn ${f0(with_, 8)}/s, without ${f0(without, 8)}/s, ` +
          `ratio ${Number.isFinite(with_ / without) ? (with_ / without).toFixed(3) : "-"}`,
      );
    }
  }
  const v6 = recs.filter((r) => r.bench === "rs" || r.bench === "dhcp6-inforeq");
  if (v6.length) {
    await res.print("");
    await res.print("== IPv6 summary (ours, routed): medians; latency p50/p99 in us ==");
    for (const bench of ["rs", "dhcp6-inforeq"]) {
      for (const n of o.ns) {
        for (const c of o.cs) {
          const p = v6.filter((r) => r.bench === bench && r.n === n && r.c === c);
          if (!p.length) continue;
          const l = (r: Measurement) => r.ra_us ?? r.reply_us;
          await res.print(
            `${bench.padEnd(14)} N=${f0(n, 5)} C=${f0(c, 3)} rate/s ${
              f0(median(p.map((r) => r.rate)), 8)
            }  p50 ${f0(median(p.map((r) => l(r)?.p50 ?? NaN)), 5)}  p99 ${
              f0(median(p.map((r) => l(r)?.p99 ?? NaN)), 6)
            }  t/o+inv ${p.reduce((a, r) => a + r.timeouts + r.warmup_timeouts + r.invalid, 0)}`,
          );
        }
      }
    }
  }
}
