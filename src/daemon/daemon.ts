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
import { FileSink, Logger, StderrSink, TeeSink } from "./log.ts";
import {
  type Account,
  dropPrivilegesByReexec,
  ensureDirectory,
  lookupAccount,
  missingNetCapabilities,
} from "../../ffi/privileges.ts";
import { inspectPidfile, Pidfile, PidfileHeldError } from "./pidfile.ts";
import { detach, finishDetach, isDetachedChild } from "./detach.ts";
import { notifyReady, notifyReloading, notifyStopping, startWatchdog } from "./notify.ts";
import { formatClientsTable } from "./clients_table.ts";

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function dirnameOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

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
  const general = config.general;
  const daemonize = !options.foreground;
  const logPath = `${general.logdir}/nfdhcpd.log`;

  // Without -f, the process started from the terminal (or init script) checks what it can report
  // there, prepares the directories the unprivileged daemon writes to, and detaches.
  if (daemonize && !isDetachedChild()) {
    const held = inspectPidfile(general.pidfile);
    if (held.state === "held") {
      log.error(new PidfileHeldError(general.pidfile, held.pid).message);
      return 1;
    }
    try {
      const owner: Account | null = general.user !== null && Deno.uid() === 0
        ? lookupAccount(general.user)
        : null;
      ensureDirectory(dirnameOf(general.pidfile), owner);
      ensureDirectory(general.logdir, owner);
    } catch (e) {
      log.error(message(e));
      return 1;
    }
    const outcome = await detach();
    if (outcome.code !== 0) log.error(`${outcome.message}; see ${logPath}`);
    return outcome.code;
  }

  // Root with "user" set: re-exec as that user (does not return); the re-executed process checks it.
  let privileges;
  try {
    privileges = dropPrivilegesByReexec(general.user);
  } catch (e) {
    log.error(message(e));
    return 1;
  }
  if (privileges.kind === "kept" && Deno.uid() !== 0) {
    const missing = missingNetCapabilities();
    if (missing !== null) {
      log.error(missing);
      return 1;
    }
  }
  let pidfile: Pidfile | null = null;
  if (daemonize) {
    try {
      // Until ready, errors also go to the starter's stderr (it relays them to the terminal).
      log.setSink(new TeeSink(new FileSink(logPath), new StderrSink(false)));
      pidfile = Pidfile.acquire(general.pidfile, {
        onStale: (s) => log.warning(`Removing stale pidfile ${general.pidfile}: ${s.why}`),
      });
    } catch (e) {
      log.error(message(e));
      return 1;
    }
  }
  log.info(
    privileges.kind === "dropped"
      ? `Running as ${privileges.account.name} (uid ${privileges.account.uid}, gid ${privileges.account.gid}) with CAP_NET_ADMIN and CAP_NET_RAW only`
      : `Running as uid ${Deno.uid()}: ${privileges.reason}`,
  );

  const store = new BindingStore(config.general.datapath, {
    debug: (m) => log.debug(m),
    info: (m) => log.info(m),
    warn: (m) => log.warning(m),
    error: (m) => log.error(m),
  });
  store.watch();
  await store.load();

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
    if (error !== null) {
      log.limited("warning", `ra-${binding.tap}`, `Router advertisement: ${error}`);
    }
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
  const notifySafely = (send: () => boolean) => {
    try {
      send();
    } catch (e) {
      log.limited("warning", "sd_notify", `Cannot notify systemd: ${message(e)}`);
    }
  };
  const reload = async () => {
    notifySafely(notifyReloading);
    log.reopen();
    const next = await loadConfig(options.configPath);
    notifySafely(() => notifyReady());
    if (!next.ok) {
      for (const e of next.errors) log.error(`Reload failed, keeping the old configuration: ${e}`);
      return;
    }
    config = next.config;
    log.info("Configuration reloaded");
  };
  const printClients = () => {
    log.info(`${store.size} known clients:`);
    const ifindexOf = (tap: string) => interfaces.byName(tap)?.ifindex ?? null;
    for (const line of formatClientsTable(store.all(), ifindexOf)) log.info(line);
  };
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGTERM", stop],
    ["SIGINT", stop],
    ["SIGHUP", () => void reload()],
    ["SIGUSR1", printClients],
  ];
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);

  const status = `queues ${queuesOf(config).join(", ")}, ${store.size} bindings`;
  log.info(`nfdhcpd ready: ${status}`);
  notifySafely(() => notifyReady(status));
  if (daemonize) {
    finishDetach();
    log.setSink(new FileSink(logPath));
  }
  const stopWatchdog = startWatchdog((e) =>
    log.limited("warning", "watchdog", `Cannot notify the watchdog: ${message(e)}`)
  );
  await poller.run();
  stopWatchdog();
  notifySafely(notifyStopping);

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
  try {
    pidfile?.remove();
  } catch (e) {
    log.warning(message(e));
  }
  log.info("Stopped");
  log.close();
  return 0;
}
