/** Bench scale figures with K binding files (default 10,000): start-up, memory, RA round stalls. */

import { sleep } from "./exec.ts";
import { probe } from "./loadgen.ts";
import { measure } from "./measure.ts";
import type { Options } from "./options.ts";
import { f0, lat, type Results } from "./report.ts";
import { startOurs } from "./servers.ts";
import { Topology, writeBindings } from "./topology.ts";

/** Resident and peak resident memory of process `pid`, from /proc/<pid>/status. */
async function rss(pid: number): Promise<{ rssKiB: number; hwmKiB: number }> {
  const s = await Deno.readTextFile(`/proc/${pid}/status`);
  const get = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(s)?.[1] ?? NaN);
  return { rssKiB: get("VmRSS"), hwmKiB: get("VmHWM") };
}

/**
 * The scale figures with `o.scale` binding files, ours routed: start-up time, time until the last
 * binding is served, memory; then DHCPv4 at C = 1 across periodic RA rounds and their stalls.
 */
export async function scaleRun(o: Options, work: string, res: Results): Promise<void> {
  const k = o.scale;
  await res.print("");
  await res.print(`== scale: ${k} binding files, ours routed, ra_period ${o.raPeriod} s ==`);
  const t = await Topology.create(k, "scale");
  const topoS = t.buildSeconds;
  const bind = `${work}/scale-bindings`;
  await writeBindings(bind, k, false);
  const srv = await startOurs("ours-routed", t, work, {
    ipv6: true,
    raPeriod: o.raPeriod,
    bindings: bind,
  });
  const readyMs = srv.readyMs;
  const memReady = await rss(srv.pid);
  const lastMs = await probe(t, k - 1, 30);
  const serveLastMs = performance.now() - srv.spawnedAt;
  await sleep(1000);
  const memSettled = await rss(srv.pid);
  await res.print(
    `start-up: topology ${topoS.toFixed(1)} s; 'ready' after ${f0(readyMs, 0)} ms; ` +
      `first DORA on tap${k - 1} done ${f0(serveLastMs, 0)} ms after spawn (probe ${
        lastMs.toFixed(1)
      } ms); RSS ${(memReady.rssKiB / 1024).toFixed(1)} MiB at ready, ${
        (memSettled.rssKiB / 1024).toFixed(1)
      } MiB settled (peak ${(memSettled.hwmKiB / 1024).toFixed(1)} MiB)`,
  );
  await res.addRaw({
    run_id: res.runId,
    time: new Date().toISOString(),
    bench: "scale-startup",
    server: "ours-routed",
    n: k,
    topology_s: topoS,
    ready_ms: readyMs,
    serve_last_ms: serveLastMs,
    rss_ready_kib: memReady.rssKiB,
    rss_settled_kib: memSettled.rssKiB,
    rss_peak_kib: memSettled.hwmKiB,
  });
  // DHCPv4 at C=1 across all TAPs while at least one periodic RA round happens.
  const rec = await measure(t, srv, "dora", 1, 1, o, res, {
    raWatch: true,
    warmup: 0,
    duration: o.raPeriod + Math.max(5, o.raPeriod / 2),
    bench: "scale-ra-round",
  });
  const rounds = rec.ra_rounds ?? [];
  if (!rounds.length) await res.print("RA rounds: none seen during the run");
  for (const r of rounds) {
    await res.print(
      `RA round at ${(r.start_ms / 1000).toFixed(1)} s: ${r.ras} RAs on ${r.interfaces}/${k} ` +
        `TAPs in ${r.duration_ms.toFixed(0)} ms; ACK latency during round p50/p90/p99/max ${
          lat(r.ack_us_during).trim()
        } us, timeouts ${r.timeouts}`,
    );
  }
  await res.print(
    `ACK latency outside rounds p50/p90/p99/max ${lat(rec.ack_us_outside_rounds).trim()} us`,
  );
  await srv.stop();
  await t.destroy();
}
