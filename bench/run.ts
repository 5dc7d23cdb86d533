/**
 * `make bench` / `make bench-quick`: builds a namespace topology, runs our
 * daemon (routed and bridged) and dnsmasq interleaved under the same load, and
 * prints a table plus one JSON line per measurement to bench/results/.
 *
 * Run as root: `deno run --allow-all bench/run.ts [--quick] [options]`
 * (see `--help` and bench/README.md).
 */

import { startChurn } from "./churn.ts";
import { cleanupAll, onCleanupLast } from "./cleanup.ts";
import { BenchError, killLive, log } from "./exec.ts";
import { probe } from "./loadgen.ts";
import { measure } from "./measure.ts";
import { parseArgs } from "./options.ts";
import { prerequisites } from "./programs.ts";
import { header, Results } from "./report.ts";
import { scaleRun } from "./scale.ts";
import { printStartup } from "./startup.ts";
import { startCResponder, startDnsmasq, startOurs, startReflector } from "./servers.ts";
import { summary } from "./summary.ts";
import { sweepStale, Topology } from "./topology.ts";

/** `/dev/shm` when it is a tmpfs (for dnsmasq's lease file), else undefined (the default). */
async function tmpfsDir(): Promise<string | undefined> {
  try {
    const mounts = await Deno.readTextFile("/proc/mounts");
    if (/^\S+ \/dev\/shm tmpfs /m.test(mounts)) return "/dev/shm";
  } catch { /* fall back to the default temporary directory */ }
  return undefined;
}

/** Runs the whole bench; resolves with the exit status. */
async function main(): Promise<number> {
  const o = parseArgs(Deno.args);
  prerequisites(o);
  await sweepStale();
  await Deno.mkdir(o.outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const runId = `${stamp}-${o.quick ? "quick" : "full"}`;
  const res = new Results(runId, o.outDir);
  const work = await Deno.makeTempDir({ prefix: "nfdhcpd-bench-" });
  // dnsmasq's directory on tmpfs when there is one: dnsmasq rewrites and fsyncs its lease file
  // as leases are created or extended, and we measure the servers, not the disk (this favours
  // dnsmasq). Ours stays in /tmp:
  // Deno asks for --allow-all to touch paths under /dev.
  const dnsmasqWork = await Deno.makeTempDir({ prefix: "nfdhcpd-bench-", dir: await tmpfsDir() });
  let failed = true;
  onCleanupLast(async () => {
    if (o.keep || failed) log(`work directories kept: ${work} ${dnsmasqWork}`);
    else {
      await Deno.remove(work, { recursive: true });
      await Deno.remove(dnsmasqWork, { recursive: true });
    }
  });
  const onSignal = () => {
    log("interrupted: cleaning up");
    if (!o.keep) failed = false;
    killLive();
    cleanupAll().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const t0 = performance.now();
  await res.print(
    `# nfdhcpd bench ${runId}: N=${o.ns.join(",")} C=${o.cs.join(",")} reps=${o.reps} ` +
      `${o.duration}s+${o.warmup}s warm-up, timeout ${o.timeoutMs} ms, servers ${
        o.servers.join(",")
      }, ${navigator.hardwareConcurrency} CPUs; results ${res.jsonl}`,
  );
  await res.print(
    "# rate = completed exchanges/s; 1st reply = OFFER (dhcp4) / RA / Reply; CPU = share of " +
      "one core (mach = whole machine); nfqDrop = kernel queue + socket drops",
  );
  await res.print(header());
  for (const n of o.ns) {
    const t = await Topology.create(n, `n${n}`);
    for (let rep = 1; rep <= o.reps; rep++) {
      // interleave the servers, rotating the order each repetition
      const order = o.servers.map((_, i) => o.servers[(i + rep - 1) % o.servers.length]!);
      for (const s of order) {
        const srv = s === "dnsmasq"
          ? await startDnsmasq(t, dnsmasqWork)
          : s === "c-nfq"
          ? await startCResponder(t, work)
          : await startOurs(s, t, work, { ipv6: o.ipv6 && s === "ours-routed", raPeriod: 1800 });
        await probe(t, n - 1, 10);
        for (const c of o.cs) await measure(t, srv, "dora", c, rep, o, res);
        if (s === "ours-routed" && o.churn) {
          // The same point while ten VMs' bindings (tap0-tap9) are rewritten, 10 a second.
          const files = [];
          for (let i = 0; i < Math.min(10, n); i++) {
            const path = `${work}/ours-routed/bindings/tap${i}`;
            files.push({ path, text: await Deno.readTextFile(path) });
          }
          const stop = startChurn(files);
          const c = Math.max(...o.cs);
          try {
            await measure(t, srv, "dora", c, rep, o, res, { bench: "dhcp4-churn" });
          } finally {
            await stop();
          }
        }
        if (s === "ours-routed" && o.ipv6) {
          for (const c of o.cs) await measure(t, srv, "rs", c, rep, o, res);
          for (const c of o.cs) await measure(t, srv, "inforeq", c, rep, o, res);
        }
        await srv.stop();
      }
    }
    if (o.calibrate) {
      const srv = await startReflector(t);
      await probe(t, n - 1, 10);
      for (const c of o.cs) await measure(t, srv, "dora", c, 1, o, res, { bench: "dhcp4-ceiling" });
      await srv.stop();
    }
    await t.destroy();
  }
  await summary(res, o);
  if (o.scale > 0) {
    await scaleRun(o, work, res);
    await res.print("");
    const { candidate, reference } = await printStartup(
      o.scale,
      Math.max(3, o.reps),
      (l) => res.print(l),
    );
    await res.addRaw({
      run_id: res.runId,
      time: new Date().toISOString(),
      bench: "startup",
      server: "ours-routed",
      n: o.scale,
      ready_ms: candidate.readyMs,
      rss_mib: candidate.rssMiB,
      anon_mib: candidate.anonMiB,
      file_mib: candidate.fileMiB,
      reference_ready_ms: reference?.readyMs ?? null,
      reference_rss_mib: reference?.rssMiB ?? null,
      reference_anon_mib: reference?.anonMiB ?? null,
    });
  }
  await res.print("");
  await res.print(
    `# done in ${((performance.now() - t0) / 1000).toFixed(0)} s; JSON lines: ${res.jsonl}`,
  );
  failed = false;
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(`bench: ${e instanceof BenchError ? e.message : e instanceof Error ? e.stack : e}`);
  code = 1;
} finally {
  await cleanupAll();
}
Deno.exit(code);
