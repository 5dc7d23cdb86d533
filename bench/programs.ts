/** Bench programs: where the load generator, our daemon and dnsmasq are, and the prerequisite check. */

import { findExecutable } from "../lab/proc.ts";
import { BenchError } from "./exec.ts";
import type { Options } from "./options.ts";

/** The load generator (C), built by the Makefile. */
export const LOADGEN: string = new URL("build/loadgen", import.meta.url).pathname;
/** Our daemon's bundle. */
const DAEMON = new URL("../bin/nfdhcpd.js", import.meta.url).pathname;
/** How to start our daemon: NFDHCPD_CMD (as `make integration` sets it) or deno on the bundle. */
export const DAEMON_CMD: string[] = Deno.env.get("NFDHCPD_CMD")?.trim().split(/\s+/) ??
  [Deno.execPath(), "run", "--allow-all", DAEMON];
/** The C reference responder (a libnetfilter_queue loop), built by the Makefile. */
export const NFQ_RESPONDER: string = new URL("build/nfq_responder", import.meta.url).pathname;
/** dnsmasq, from dnsmasq-base. */
export const DNSMASQ = "/usr/sbin/dnsmasq";

/** True when `path` exists. */
function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Throws a {@linkcode BenchError} naming everything the run `o` needs and does not have. */
export function prerequisites(o: Options): void {
  const missing: string[] = [];
  if (Deno.uid() !== 0) missing.push("must run as root (namespaces, iptables, raw sockets)");
  for (const c of ["ip", "iptables", "ip6tables", "sysctl"]) {
    if (findExecutable(c) === null) {
      missing.push(`command '${c}' not found (iproute2 / iptables / procps)`);
    }
  }
  if (!exists(LOADGEN)) missing.push(`${LOADGEN} missing: run 'make bench/build/loadgen'`);
  if (o.servers.some((s) => s.startsWith("ours")) || o.scale > 0) {
    const file = DAEMON_CMD.find((a) => a.endsWith(".js")) ?? DAEMON_CMD[0]!;
    if (!exists(file)) {
      missing.push(`${file} missing: run 'make bundle' (or use --servers dnsmasq --scale 0)`);
    }
  }
  if (o.servers.includes("c-nfq") && !exists(NFQ_RESPONDER)) {
    missing.push(`${NFQ_RESPONDER} missing: run 'make bench/build/nfq_responder'`);
  }
  if (o.servers.includes("dnsmasq") && !exists(DNSMASQ)) {
    missing.push(`${DNSMASQ} missing: apt-get install dnsmasq-base`);
  }
  if (!exists("/proc/net/netfilter/nfnetlink_queue")) {
    missing.push("nfnetlink_queue not available (/proc/net/netfilter/nfnetlink_queue)");
  }
  if (missing.length) throw new BenchError(`missing prerequisites:\n  ${missing.join("\n  ")}`);
}
