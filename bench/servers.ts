/**
 * Bench servers under test: our daemon (routed, bridged), dnsmasq, the C reference responder and
 * the reflector, with their configs.
 */

import {
  CLIENT_IP_BASE,
  clientIp,
  clientMac,
  DNS4,
  DNS6,
  HV_MAC_BASE,
  ip4,
  MASK,
  NET,
  SERVER_IP,
} from "./addressing.ts";
import { nsExec } from "./exec.ts";
import { REFLECTOR } from "./options.ts";
import { DAEMON_CMD, DNSMASQ, LOADGEN, NFQ_RESPONDER } from "./programs.ts";
import { type Running, spawnServer } from "./spawn.ts";
import { type Topology, writeBindings } from "./topology.ts";

/**
 * Starts our daemon as `server` on `t`: binding files (or the ready-made `o.bindings`), config,
 * bridging and firewall, under `work/<server>/`; resolves once it prints `ready`.
 */
export async function startOurs(
  server: "ours-routed" | "ours-bridged",
  t: Topology,
  work: string,
  o: { ipv6: boolean; raPeriod: number; bindings?: string },
): Promise<Running> {
  const bridged = server === "ours-bridged";
  const dir = `${work}/${server}`;
  await Deno.mkdir(dir, { recursive: true });
  const datapath = o.bindings ?? `${dir}/bindings`;
  if (!o.bindings) await writeBindings(datapath, t.n, bridged);
  const conf = `${dir}/nfdhcpd.conf`;
  await Deno.writeTextFile(
    conf,
    `[general]
datapath = ${datapath}
pidfile = ${dir}/nfdhcpd.pid
logdir = ${dir}

[dhcp]
server_ip = ${SERVER_IP}
dhcp_queue = 42
nameservers = ${DNS4}

[ipv6]
enable_ipv6 = ${o.ipv6 ? "yes" : "no"}
rs_queue = 43
ns_queue = 44
dhcpv6_queue = 45
nameservers = ${DNS6}
domains = bench.test
ra_period = ${o.raPeriod}
`,
  );
  await t.setBridged(bridged);
  await t.firewall(server, o.ipv6);
  return await spawnServer(
    server,
    t,
    [...DAEMON_CMD, "-f", "-c", conf],
    `${dir}/stderr.log`,
    true,
  );
}

/**
 * Starts the C reference responder (bench/nfq_responder.c) on `t`, routed as ours is: the same
 * binding files and queue rule, DHCPv4 only; resolves once it prints `ready`.
 */
export async function startCResponder(t: Topology, work: string): Promise<Running> {
  const dir = `${work}/c-nfq`;
  await Deno.mkdir(dir, { recursive: true });
  await writeBindings(`${dir}/bindings`, t.n, false);
  await t.setBridged(false);
  await t.firewall("c-nfq", false);
  return await spawnServer(
    "c-nfq",
    t,
    [NFQ_RESPONDER, "42", `${dir}/bindings`, SERVER_IP, DNS4],
    `${dir}/stderr.log`,
    true,
  );
}

/**
 * Starts dnsmasq on `t` (bridged, one `dhcp-host` per client) under `work/dnsmasq/`; resolves
 * once it has run 100 ms.
 */
export async function startDnsmasq(t: Topology, work: string): Promise<Running> {
  const dir = `${work}/dnsmasq`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.remove(`${dir}/leases`).catch(() => {});
  const lines = [
    "port=0",
    "interface=br0",
    "bind-interfaces",
    `dhcp-range=${NET},static,${MASK},7d`,
    `dhcp-lease-max=${t.n + 100}`,
    "no-ping",
    "quiet-dhcp",
    `dhcp-leasefile=${dir}/leases`,
    `log-facility=${dir}/dnsmasq.log`,
    `pid-file=${dir}/dnsmasq.pid`,
    `dhcp-option=option:dns-server,${DNS4}`,
  ];
  for (let i = 0; i < t.n; i++) lines.push(`dhcp-host=${clientMac(i)},${clientIp(i)},vm${i}`);
  await Deno.writeTextFile(`${dir}/dnsmasq.conf`, lines.join("\n") + "\n");
  await t.setBridged(true);
  await t.firewall("dnsmasq", false);
  await nsExec(t.hv, LOADGEN, ["txcsum-off", "br0"]);
  return await spawnServer(
    "dnsmasq",
    t,
    [DNSMASQ, "--keep-in-foreground", `--conf-file=${dir}/dnsmasq.conf`],
    `${dir}/stderr.log`,
    false,
  );
}

/** Starts the load generator's zero-work DHCPv4 responder on the unbridged TAPs of `t`. */
export async function startReflector(t: Topology): Promise<Running> {
  await t.setBridged(false);
  await t.firewall(REFLECTOR, false);
  return await spawnServer(
    REFLECTOR,
    t,
    [
      LOADGEN,
      "--mode",
      "reflect",
      "--ifprefix",
      "tap",
      "--count",
      String(t.n),
      "--ip-base",
      ip4(CLIENT_IP_BASE),
      "--server-id",
      SERVER_IP,
      "--hv-mac-base",
      HV_MAC_BASE,
      "--duration",
      "3600",
    ],
    `/dev/null`,
    true,
  );
}
