/** The daemon's lifecycle: load config and bindings, bind the queues, serve, reload and stop on signals. */
import { errorMessage } from "../error_message.ts";
import { InterfaceCache, type InterfaceEntry } from "../../ffi/interfaces.ts";
import { closeLibraries } from "../../ffi/native.ts";
import { NfQueue } from "../../ffi/nfqueue.ts";
import { PacketSocket } from "../../ffi/packet_socket.ts";
import { Poller } from "../../ffi/poller.ts";
import type { Binding } from "../bindings/binding.ts";
import { BindingStore, isBindingFileName } from "../bindings/store.ts";
import { loadConfig } from "../config/config.ts";
import type { Config } from "../config/types.ts";
import { clientsReport, type DaemonView, statusReport } from "../control/reports.ts";
import type { StatusReport } from "../metrics/status_report.ts";
import { ControlServer } from "../control/server.ts";
import { TraceHub } from "../control/trace.ts";
import { metricsText } from "../metrics/exposition.ts";
import { readKernelQueues } from "../metrics/kernel_queue.ts";
import { MetricsFileWriter } from "../metrics/textfile.ts";
import { ReplyMemo } from "../serve/memo.ts";
import { isQueued, serviceQueues } from "../serve/services.ts";
import { periodicAdvert } from "../serve/router_advert.ts";
import { unsolicitedNeighbourAdverts } from "../serve/unsolicited.ts";
import { FrameAllocator } from "../wire/ethernet.ts";
import { formatClientsTable } from "./clients_table.ts";
import { finishDetach } from "./detach.ts";
import { Dispatcher } from "./dispatch.ts";
import { FileSink, Logger, StderrSink } from "./log.ts";
import { notifyReady, notifyReloading, notifyStopping, startWatchdog } from "./notify.ts";
import { RaTimer } from "./ra_timer.ts";
import { logPathOf, startUp } from "./startup.ts";

export interface DaemonOptions {
  readonly configPath: string;
  readonly debug: boolean;
  readonly foreground: boolean;
}

/** The NFQUEUE numbers the configuration asks us to serve. */
function queuesOf(config: Config): number[] {
  return serviceQueues(config).map((q) => q.queue);
}

/** Packets a queue holds for their verdict before the kernel drops more (fail-closed). */
const QUEUE_MAX_LENGTH = 4096;

/** Runs the daemon until SIGTERM/SIGINT; returns the exit code. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const log = new Logger(new StderrSink(), options.debug ? "debug" : "info");
  const loaded = await loadConfig(options.configPath);
  if (!loaded.ok) {
    for (const e of loaded.errors) log.error(e);
    return 1;
  }
  for (const w of loaded.warnings) log.warning(w);
  const started = await startUp(loaded.config.general, options.foreground, log);
  if (started.kind === "exit") return started.code;

  let daemon: Daemon;
  try {
    daemon = await Daemon.start(loaded.config, options.configPath, log);
  } catch (e) {
    log.error(`Cannot start: ${errorMessage(e)}`);
    started.pidfile?.remove();
    log.close();
    return 1;
  }
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGTERM", () => daemon.stop()],
    ["SIGINT", () => daemon.stop()],
    ["SIGHUP", () => void daemon.reload()],
    // Not SIGUSR1: it is blocked for good (see inspector_guard.ts).
    ["SIGUSR2", () => daemon.logClients()],
  ];
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);
  const status = daemon.status();
  log.info(`nfdhcpd ready: ${status}`);
  notifySafely(log, () => notifyReady(status));
  if (!options.foreground) {
    finishDetach();
    log.setSink(new FileSink(logPathOf(loaded.config.general)));
  }
  const stopWatchdog = startWatchdog((e) =>
    log.limited("warning", "watchdog", `Cannot notify the watchdog: ${errorMessage(e)}`)
  );

  await daemon.serve();

  stopWatchdog();
  notifySafely(log, notifyStopping);
  for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
  await daemon.close();
  try {
    started.pidfile?.remove();
  } catch (e) {
    log.warning(errorMessage(e));
  }
  log.info("Stopped");
  log.close();
  return 0;
}

function notifySafely(log: Logger, send: () => boolean): void {
  try {
    send();
  } catch (e) {
    log.limited("warning", "sd_notify", `Cannot notify systemd: ${errorMessage(e)}`);
  }
}

/** The running parts: queues, bindings, interfaces, the reply socket and the RA timer. */
class Daemon {
  readonly #poller = new Poller((m) => this.log.limited("error", "poller", m));
  readonly #interfaces = new InterfaceCache();
  readonly #socket = new PacketSocket();
  readonly #queue: NfQueue;
  readonly #dispatcher: Dispatcher;
  readonly #raTimer: RaTimer;
  /** Replies kept between packets: cleared on reload and on any binding change. */
  readonly #memo = new ReplyMemo();
  readonly #frames = new FrameAllocator();
  /**
   * Bindings whose TAP (or INDEV) does not exist yet, or whose TAP refused their last RA or NA
   * (down: a VM not started yet): each link event (the TAP appearing, or coming up) retries them.
   */
  readonly #waitingForTap = new Set<string>();
  #stopping = false;
  /** The reload under way, if any, and whether another SIGHUP came during it. */
  #reloading: Promise<void> | null = null;
  #reloadAgain = false;
  readonly #startedAt = Date.now();
  #lastReload: StatusReport["lastReload"] = null;
  /** The control socket (`nfdhcpd status`...) and the metrics file, as the configuration asks. */
  #control: ControlServer | null = null;
  #metricsFile: MetricsFileWriter | null = null;
  readonly #trace: TraceHub;

  private constructor(
    private config: Config,
    private store: BindingStore,
    private readonly configPath: string,
    private readonly log: Logger,
  ) {
    const interfaces = this.#interfaces;
    interfaces.attach(this.#poller);
    const dispatcher = this.#dispatcher = new Dispatcher({
      binding: (tap) => this.store.get(tap),
      interfaceName: (i) => interfaces.nameOf(i),
      interfaceInfo: (name) => interfaces.byName(name),
      send: (ifindex, frame) => this.#socket.send(ifindex, frame),
      config: () => this.config,
      log,
      memo: this.#memo,
      frames: this.#frames,
    });
    this.#trace = new TraceHub((hook) => dispatcher.trace = hook);
    this.#queue = new NfQueue({
      queues: queuesOf(config),
      maxLength: QUEUE_MAX_LENGTH,
      onError: (m) => log.limited("warning", "nfqueue", m),
      // A packet the dispatcher failed on is dropped unless its interface is known and unbound.
      served: (ifindex) => {
        const tap = interfaces.nameOf(ifindex);
        return tap === undefined || this.store.get(tap) !== undefined;
      },
    }, (packet) => dispatcher.handle(packet));
    this.#queue.attach(this.#poller);
    this.#raTimer = new RaTimer({
      bindings: () => this.store.all(),
      advertise: (binding) => {
        try {
          return this.#advertise(binding);
        } catch (e) {
          log.limited("error", "ra", `Cannot advertise into ${binding.tap}: ${errorMessage(e)}`);
          return false;
        }
      },
      periodSeconds: () => this.config.ipv6.raPeriod,
      onRound: (sent, ms) => log.debug(`Periodic RA round: ${sent} sent in ${ms.toFixed(1)} ms`),
    });
    interfaces.onChange(() => {
      for (const tap of [...this.#waitingForTap]) {
        const binding = this.store.get(tap);
        if (binding) this.#arrived(binding);
        else this.#waitingForTap.delete(tap);
      }
    });
    this.#follow(store);
    // The bindings loaded at start get their first RA from one sliced round, not one by one.
    void this.#raTimer.round();
    this.#raTimer.start();
  }

  /** Loads the bindings and binds the queues; throws (with the reason) if it cannot. */
  static async start(config: Config, configPath: string, log: Logger): Promise<Daemon> {
    const store = await Daemon.#openStore(config, log);
    const daemon = new Daemon(config, store, configPath, log);
    await daemon.#operate(null, config.general);
    return daemon;
  }

  /**
   * Opens (or moves, or closes) the control socket and the metrics file as `next` asks. A socket
   * that cannot be opened is an error in the log, not a reason to stop answering VMs.
   */
  async #operate(previous: Config["general"] | null, next: Config["general"]): Promise<void> {
    if (previous?.controlSocket !== next.controlSocket || this.#control === null) {
      await this.#control?.close();
      this.#control = null;
      if (next.controlSocket !== null) {
        try {
          this.#control = await ControlServer.open(next.controlSocket, {
            answer: (request) => this.#answer(request.command, request.tap),
            trace: this.#trace,
          }, (m) => this.log.limited("warning", "control", m));
          this.log.info(`Control socket: ${next.controlSocket}`);
        } catch (e) {
          this.log.error(`No control socket: ${errorMessage(e)}`);
        }
      }
    }
    const metrics = this.#metricsFile;
    if (metrics?.path !== next.metricsFile || metrics?.intervalSeconds !== next.metricsInterval) {
      metrics?.stop();
      this.#metricsFile = null;
      if (next.metricsFile !== null) {
        this.#metricsFile = new MetricsFileWriter(
          next.metricsFile,
          next.metricsInterval,
          () => metricsText(statusReport(this.#view)),
          (m) => this.log.limited("warning", "metrics", m),
        );
        this.#metricsFile.start();
      }
    }
  }

  #answer(command: string, tap: string | null): unknown {
    switch (command) {
      case "status":
        return statusReport(this.#view);
      case "clients":
        this.#dispatcher.traffic.prune((t) => this.store.get(t) !== undefined);
        return clientsReport(this.#view, tap);
      case "metrics":
        return { metrics: metricsText(statusReport(this.#view)) };
      default:
        return { error: `Unknown command ${command}` };
    }
  }

  /** What `status`, `clients` and the metrics read. */
  get #view(): DaemonView {
    const services = new Map(serviceQueues(this.config).map((q) => [q.queue, q.service.name]));
    return {
      startedAt: this.#startedAt,
      configPath: this.configPath,
      queues: this.#queue.queues.map((queue) => ({
        queue,
        service: services.get(queue) ?? "unused",
        maxLength: QUEUE_MAX_LENGTH,
        copyRange: 0xffff,
        failOpen: false,
      })),
      kernelQueues: () => readKernelQueues(),
      packets: () => this.#queue.stats,
      dispatcher: this.#dispatcher,
      bindings: () => this.store.all(),
      bindingCount: () => this.store.size,
      rejectedBindings: () => this.#filesNotLoaded(),
      tapExists: (tap) => this.#interfaces.byName(tap) !== undefined,
      lastReload: () => this.#lastReload,
    };
  }

  /** Binding files in the datapath that are not loaded: rejected, or being written. */
  #filesNotLoaded(): number {
    let files = 0;
    try {
      for (const entry of Deno.readDirSync(this.config.general.datapath)) {
        if (!entry.isDirectory && isBindingFileName(entry.name)) files++;
      }
    } catch {
      return 0;
    }
    return Math.max(0, files - this.store.size);
  }

  static async #openStore(config: Config, log: Logger): Promise<BindingStore> {
    const store = new BindingStore(config.general.datapath, {
      debug: (m) => log.debug(m),
      info: (m) => log.info(m),
      warn: (m) => log.warning(m),
      error: (m) => log.error(m),
    });
    store.watch();
    await store.load();
    return store;
  }

  /** A new or changed binding gets an RA and NAs at once, not after a whole ra_period. */
  #follow(store: BindingStore): void {
    // A binding file named after the VM (OpenNebula's one-42-0) is served on its INDEV.
    store.useInterfaces((name) => this.#interfaces.byName(name) !== undefined);
    store.onChange((tap, binding) => {
      this.#memo.clear();
      this.#waitingForTap.delete(tap);
      if (binding) this.#arrived(binding);
    });
  }

  /**
   * A VM arrived here (its binding appeared or changed, or its TAP appeared: a live migration
   * ends with both): an unsolicited RA and unsolicited NAs for the router's addresses at once,
   * so that the VM drops the old host's MAC from its neighbour cache without waiting.
   */
  #arrived(binding: Binding): void {
    // A send that fails below puts it back, for the next link event to retry.
    this.#waitingForTap.delete(binding.tap);
    this.#raTimer.advertiseNow(binding);
    try {
      this.#announceRouter(binding);
    } catch (e) {
      this.log.limited("error", "na", `Cannot announce into ${binding.tap}: ${errorMessage(e)}`);
    }
  }

  /** Sends the unsolicited NAs of {@link unsolicitedNeighbourAdverts} into the binding's TAP. */
  #announceRouter(binding: Binding): void {
    const ipv6 = this.config.ipv6;
    if (!isQueued("ns", this.config) || binding.subnet6 === null) return;
    const link = this.#linkOf(binding);
    if (link === null) return;
    for (const frame of unsolicitedNeighbourAdverts(binding, link.indev)) {
      if (!this.#sendUnsolicited(binding, link.tap, frame, "NA")) return;
    }
  }

  /** The binding's TAP and INDEV; null (and the binding waits for a link event) while one is missing. */
  #linkOf(binding: Binding): { tap: InterfaceEntry; indev: InterfaceEntry } | null {
    const tap = this.#interfaces.byName(this.store.interfaceOf(binding));
    const indev = this.#interfaces.byName(binding.indev);
    if (tap === undefined || indev === undefined) {
      this.#waitingForTap.add(binding.tap);
      return null;
    }
    return { tap, indev };
  }

  /**
   * Sends one unsolicited RA or NA into `tap`, with a debug line saying how it went. A TAP whose VM
   * is not running refuses frames (ENETDOWN while it is down, ENOBUFS): normal, so not a warning,
   * but the binding waits for the next link event (the TAP coming up) to be announced again.
   */
  #sendUnsolicited(
    binding: Binding,
    tap: InterfaceEntry,
    frame: Uint8Array,
    what: string,
  ): boolean {
    const error = this.#socket.send(tap.ifindex, frame);
    this.log.debug(`Unsolicited ${what} into ${tap.name}: ${error ?? "sent"}`);
    if (error !== null) this.#waitingForTap.add(binding.tap);
    return error === null;
  }

  status(): string {
    return `queues ${this.#queue.queues.join(", ")}, ${this.store.size} bindings`;
  }

  /** Serves until `stop()`. */
  serve(): Promise<void> {
    return this.#poller.run();
  }

  stop(): void {
    this.#stopping = true;
    this.#poller.stop();
  }

  /**
   * SIGHUP: reloads, coalescing: a SIGHUP during a reload asks for one more reload after it (any
   * number of them ask for just one), and none starts or completes once stopping began.
   */
  reload(): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    if (this.#reloading !== null) {
      this.#reloadAgain = true;
      return this.#reloading;
    }
    const run = async () => {
      do {
        this.#reloadAgain = false;
        await this.#reloadOnce();
      } while (this.#reloadAgain && !this.#stopping);
      this.#reloading = null;
    };
    this.#reloading = run();
    return this.#reloading;
  }

  /**
   * Re-reads the configuration (a broken one is logged and the old one keeps serving), binds or
   * releases queues as it now asks, rescans the bindings (from a new datapath if it changed) and
   * reopens the log file. Packets keep being answered throughout; a stop cuts it short.
   */
  async #reloadOnce(): Promise<void> {
    notifySafely(this.log, notifyReloading);
    try {
      this.log.reopen();
      const next = await loadConfig(this.configPath);
      if (this.#stopping) return;
      if (!next.ok) {
        for (const e of next.errors) {
          this.log.error(`Reload failed, keeping the old configuration: ${e}`);
        }
        this.#lastReload = { at: Date.now(), ok: false, detail: next.errors.join("; ") };
        return;
      }
      for (const w of next.warnings) this.log.warning(w);
      const previous = this.config;
      this.config = next.config;
      this.#memo.clear();
      this.#queue.setQueues(queuesOf(next.config));
      if (next.config.general.datapath !== previous.general.datapath) {
        const store = await Daemon.#openStore(next.config, this.log);
        const old = this.store;
        this.store = store;
        this.#follow(store);
        void this.#raTimer.round();
        await old.close();
      } else {
        await this.store.reload();
      }
      if (this.#stopping) return;
      await this.#operate(previous.general, next.config.general);
      this.log.info(`Configuration reloaded: ${this.status()}`);
      this.#lastReload = { at: Date.now(), ok: true, detail: this.status() };
    } catch (e) {
      this.log.error(`Reload failed: ${errorMessage(e)}`);
      this.#lastReload = { at: Date.now(), ok: false, detail: errorMessage(e) };
    } finally {
      if (!this.#stopping) notifySafely(this.log, () => notifyReady(this.status()));
    }
  }

  /** SIGUSR2 (the original used SIGUSR1): the table of known clients, as the original logged it. */
  logClients(): void {
    const s = this.#dispatcher.stats;
    this.log.info(
      `${this.store.size} known clients; since start ${s.replies} replies, ${s.drops} drops, ` +
        `${s.passes} passed on, ${s.errors} errors:`,
    );
    const refusals = [...this.#dispatcher.refusals].map(([why, n]) => `${why} ${n}`);
    if (refusals.length > 0) this.log.info(`Drops by reason: ${refusals.join(", ")}`);
    const ifindexOf = (tap: string) => this.#interfaces.byName(tap)?.ifindex ?? null;
    for (const line of formatClientsTable(this.store.all(), ifindexOf)) this.log.info(line);
  }

  /** Sends one unsolicited RA into the binding's TAP; false when there is nothing to send. */
  #advertise(binding: Binding): boolean {
    if (!isQueued("rs", this.config)) return false;
    const link = this.#linkOf(binding);
    if (link === null) return false;
    const frame = periodicAdvert(binding, this.config.ipv6, link.indev, this.#memo);
    if (frame === null) return false;
    return this.#sendUnsolicited(binding, link.tap, frame, "RA");
  }

  /** Answers what is already queued, then releases every native resource. */
  async close(): Promise<void> {
    this.#stopping = true;
    this.log.info("Stopping: answering what is queued, then releasing the queues");
    this.#raTimer.stop();
    this.#metricsFile?.stop();
    await this.#control?.close();
    this.#queue.drainAll();
    this.#queue.close();
    const q = this.#queue.stats;
    this.log.info(
      `Released the queues after ${q.packets} packets, each with its verdict: ` +
        `${q.dropped} dropped (answered or refused), ${q.accepted} passed on`,
    );
    // Closing the store cuts a reload's rescan short; the reload then ends without effect (and
    // may have opened a new store for a new datapath: close that one too).
    await this.store.close();
    await this.#reloading;
    await this.store.close();
    this.#interfaces.close();
    this.#socket.close();
    this.#poller.close();
    closeLibraries();
  }
}
