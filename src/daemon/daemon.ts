/** The daemon's lifecycle: load config and bindings, bind the queues, serve, reload and stop on signals. */
import { InterfaceCache } from "../../ffi/interfaces.ts";
import { closeLibraries } from "../../ffi/native.ts";
import { NfQueue } from "../../ffi/nfqueue.ts";
import { PacketSocket } from "../../ffi/packet_socket.ts";
import { Poller } from "../../ffi/poller.ts";
import { BindingStore } from "../bindings/store.ts";
import { loadConfig } from "../config/config.ts";
import type { Config } from "../config/types.ts";
import { buildPeriodicAdvert } from "../serve/router_advert.ts";
import type { Binding } from "../bindings/binding.ts";
import { Dispatcher } from "./dispatch.ts";
import { RaTimer } from "./ra_timer.ts";
import { Logger, StderrSink } from "./log.ts";

export interface DaemonOptions {
  readonly configPath: string;
  readonly debug: boolean;
  readonly foreground: boolean;
}

/** The NFQUEUE numbers the configuration asks us to serve. */
export function queuesOf(config: Config): number[] {
  const queues: number[] = [];
  if (config.dhcp.enable) queues.push(config.dhcp.queue);
  if (config.ipv6.enable) {
    for (const q of [config.ipv6.rsQueue, config.ipv6.nsQueue, config.ipv6.dhcpv6Queue]) {
      if (q !== null) queues.push(q);
    }
  }
  return queues;
}

/** Runs the daemon until SIGTERM/SIGINT; returns the exit code. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const log = new Logger(new StderrSink(), options.debug ? "debug" : "info");
  const loaded = await loadConfig(options.configPath);
  if (!loaded.ok) {
    for (const e of loaded.errors) log.error(e);
    return 1;
  }
  for (const w of loaded.warnings) log.warning(w);
  let config = loaded.config;

  const store = new BindingStore(config.general.datapath, {
    debug: (m) => log.debug(m),
    info: (m) => log.info(m),
    warn: (m) => log.warning(m),
    error: (m) => log.error(m),
  });
  await store.load();
  store.watch();

  const poller = new Poller();
  const interfaces = new InterfaceCache();
  const socket = new PacketSocket();
  interfaces.attach(poller);
  const dispatcher = new Dispatcher({
    binding: (tap) => store.get(tap),
    interfaceName: (i) => interfaces.nameOf(i),
    interfaceInfo: (name) => interfaces.byName(name),
    send: (ifindex, frame) => socket.send(ifindex, frame),
    config: () => config,
    log,
    now: () => Date.now(),
  });
  const queue = new NfQueue({
    queues: queuesOf(config),
    maxLength: 4096,
    onError: (m) => log.limited("warning", "nfqueue", m),
  }, (packet) => dispatcher.handle(packet));
  queue.attach(poller);

  // Unsolicited RAs: each period, and at once for a new or changed binding or when its TAP appears.
  const waitingForTap = new Set<string>();
  const advertise = (binding: Binding): boolean => {
    const ipv6 = config.ipv6;
    if (!ipv6.enable || ipv6.rsQueue === null) return false;
    const tap = interfaces.byName(binding.tap);
    const indev = interfaces.byName(binding.indev);
    if (tap === undefined || indev === undefined) {
      waitingForTap.add(binding.tap);
      return false;
    }
    waitingForTap.delete(binding.tap);
    const frame = buildPeriodicAdvert(binding, ipv6, indev);
    if (frame === null) return false;
    const error = socket.send(tap.ifindex, frame);
    if (error !== null) log.limited("warning", `ra-${binding.tap}`, `Router advertisement: ${error}`);
    return error === null;
  };
  const raTimer = new RaTimer({
    bindings: () => store.all(),
    advertise,
    periodSeconds: () => config.ipv6.raPeriod,
    onRound: (sent, ms) => log.debug(`Periodic RA round: ${sent} sent in ${ms.toFixed(1)} ms`),
  });
  store.onChange((tap, binding) => {
    waitingForTap.delete(tap);
    if (binding) raTimer.advertiseNow(binding);
  });
  interfaces.onChange(() => {
    for (const tap of [...waitingForTap]) {
      const binding = store.get(tap);
      if (binding) raTimer.advertiseNow(binding);
      else waitingForTap.delete(tap);
    }
  });
  raTimer.start();

  const stop = () => poller.stop();
  const reload = async () => {
    const next = await loadConfig(options.configPath);
    if (!next.ok) {
      for (const e of next.errors) log.error(`Reload failed, keeping the old configuration: ${e}`);
      return;
    }
    config = next.config;
    log.info("Configuration reloaded");
  };
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGTERM", stop],
    ["SIGINT", stop],
    ["SIGHUP", () => void reload()],
  ];
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);

  log.info(`nfdhcpd ready: queues ${queuesOf(config).join(", ")}, ${store.size} bindings`);
  await poller.run();

  log.info("Stopping: answering what is queued, then releasing the queues");
  for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
  raTimer.stop();
  queue.drain();
  queue.close();
  await store.close();
  interfaces.close();
  socket.close();
  poller.close();
  closeLibraries();
  log.info("Stopped");
  log.close();
  return 0;
}
