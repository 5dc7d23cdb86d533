/** The running daemon: queues, bindings, interfaces and the reply socket, wired; reloads on request. */
import { errorMessage } from "../error_message.ts";
import { InterfaceCache } from "../../ffi/interfaces.ts";
import { closeLibraries } from "../../ffi/native.ts";
import { NfQueue } from "../../ffi/nfqueue.ts";
import { PacketSocket } from "../../ffi/packet_socket.ts";
import { Poller } from "../../ffi/poller.ts";
import { BindingStore, isBindingFileName } from "../bindings/store.ts";
import { loadConfig } from "../config/config.ts";
import type { Config } from "../config/types.ts";
import type { DaemonView } from "../control/reports.ts";
import type { StatusReport } from "../metrics/status_report.ts";
import { TraceHub } from "../control/trace.ts";
import { readKernelQueues } from "../metrics/kernel_queue.ts";
import { ReplyMemo } from "../serve/memo.ts";
import { serviceQueues } from "../serve/services.ts";
import { FrameAllocator } from "../wire/ethernet.ts";
import { Announcer } from "./announcer.ts";
import { type ArrivalEvent, planArrival } from "./arrival.ts";
import { formatClientsTable } from "./clients_table.ts";
import { Dispatcher } from "./dispatch.ts";
import type { Logger } from "./log.ts";
import { notifyReady, notifyReloading, notifySafely } from "./notify.ts";
import { Operations } from "./operations.ts";
import { RaTimer } from "./ra_timer.ts";

/** The NFQUEUE numbers the configuration asks us to serve. */
function queuesOf(config: Config): number[] {
  return serviceQueues(config).map((q) => q.queue);
}

/** Packets a queue holds for their verdict before the kernel drops more (fail-closed). */
const QUEUE_MAX_LENGTH = 4096;

/** The running parts: queues, bindings, interfaces, the reply socket and the RA timer. */
export class Daemon {
  readonly #poller = new Poller((m) => this.log.limited("error", "poller", m));
  readonly #interfaces = new InterfaceCache();
  readonly #socket = new PacketSocket();
  readonly #queue: NfQueue;
  readonly #dispatcher: Dispatcher;
  readonly #raTimer: RaTimer;
  /** Replies kept between packets: cleared on reload, one TAP's forgotten when its binding changes. */
  readonly #memo = new ReplyMemo();
  readonly #frames = new FrameAllocator();
  readonly #announcer: Announcer;
  readonly #operations: Operations;
  #stopping = false;
  /** The reload under way, if any, and whether another SIGHUP came during it. */
  #reloading: Promise<void> | null = null;
  #reloadAgain = false;
  readonly #startedAt = Date.now();
  readonly #warn = (m: string) => this.log.limited("warning", "sd_notify", m);
  #lastReload: StatusReport["lastReload"] = null;

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
    this.#operations = new Operations({
      view: () => this.#view,
      traffic: dispatcher.traffic,
      bound: (tap) => this.store.get(tap) !== undefined,
      trace: new TraceHub((hook) => dispatcher.trace = hook),
      log,
    });
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
    const announcer = this.#announcer = new Announcer({
      interfaceOf: (binding) => this.store.interfaceOf(binding),
      interfaceByName: (name) => interfaces.byName(name),
      send: (ifindex, frame) => this.#socket.send(ifindex, frame),
      config: () => this.config,
      memo: this.#memo,
      log,
    });
    this.#raTimer = new RaTimer({
      bindings: () => this.store.all(),
      advertise: (binding) => announcer.advertise(binding),
      periodSeconds: () => this.config.ipv6.raPeriod,
      onRound: (sent, ms) => log.debug(`Periodic RA round: ${sent} sent in ${ms.toFixed(1)} ms`),
    });
    interfaces.onChange(() => this.#changed({ kind: "links" }));
    this.#follow(store);
    // The bindings loaded at start get their first RA from one sliced round, not one by one.
    void this.#raTimer.round();
    this.#raTimer.start();
  }

  /** Loads the bindings and binds the queues; throws (with the reason) if it cannot. */
  static async start(config: Config, configPath: string, log: Logger): Promise<Daemon> {
    const store = await Daemon.#openStore(config, log);
    const daemon = new Daemon(config, store, configPath, log);
    await daemon.#operations.follow(null, config.general);
    return daemon;
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
      changingBindings: () => this.store.unsettled(),
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
    await store.load();
    store.watch();
    return store;
  }

  /** Follows `store`'s changes: a new or changed binding is announced at once (see arrival.ts). */
  #follow(store: BindingStore): void {
    // A binding file named after the VM (OpenNebula's one-42-0) is served on its INDEV.
    store.useInterfaces((name) => this.#interfaces.byName(name) !== undefined);
    store.onChange((tap, binding) => this.#changed({ kind: "binding", tap, binding }));
  }

  /** Plans what `event` means and carries it out. */
  #changed(event: ArrivalEvent): void {
    const state = {
      config: this.config,
      waiting: this.#announcer.waiting,
      binding: (tap: string) => this.store.get(tap),
    };
    this.#announcer.carryOut(planArrival(event, state));
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
    notifySafely(this.#warn, notifyReloading);
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
      this.#changed({ kind: "reload" });
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
      await this.#operations.follow(previous.general, next.config.general);
      this.log.info(`Configuration reloaded: ${this.status()}`);
      this.#lastReload = { at: Date.now(), ok: true, detail: this.status() };
    } catch (e) {
      this.log.error(`Reload failed: ${errorMessage(e)}`);
      this.#lastReload = { at: Date.now(), ok: false, detail: errorMessage(e) };
    } finally {
      if (!this.#stopping) notifySafely(this.#warn, () => notifyReady(this.status()));
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

  /** Answers what is already queued, then releases every native resource. */
  async close(): Promise<void> {
    this.#stopping = true;
    this.log.info("Stopping: answering what is queued, then releasing the queues");
    this.#raTimer.stop();
    await this.#operations.close();
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
