/**
 * The operators' side of a running daemon: the control socket (`nfdhcpd status`, `clients`,
 * `metrics`, `trace`) and the metrics file, opened, moved and closed as the configuration asks,
 * and the answers built from the daemon's parts when a client asks.
 */
import { errorMessage } from "../error_message.ts";
import type { Config } from "../config/types.ts";
import { clientsReport, type DaemonView, statusReport } from "../control/reports.ts";
import { ControlServer } from "../control/server.ts";
import type { TraceHub } from "../control/trace.ts";
import { metricsText } from "../metrics/exposition.ts";
import { MetricsFileWriter } from "../metrics/textfile.ts";
import type { Traffic } from "../metrics/traffic.ts";
import type { Logger } from "./log.ts";

/** What the answers read, and what `clients` prunes. */
export interface OperationsDeps {
  readonly view: () => DaemonView;
  readonly traffic: Traffic;
  /** Whether `tap` still has a binding (the traffic of those that have none is forgotten). */
  readonly bound: (tap: string) => boolean;
  readonly trace: TraceHub;
  readonly log: Logger;
}

/** The control socket and the metrics file of one daemon. */
export class Operations {
  #control: ControlServer | null = null;
  #metricsFile: MetricsFileWriter | null = null;

  constructor(private readonly deps: OperationsDeps) {}

  /**
   * Opens (or moves, or closes) the control socket and the metrics file as `next` asks. A socket
   * that cannot be opened is an error in the log, not a reason to stop answering VMs.
   */
  async follow(previous: Config["general"] | null, next: Config["general"]): Promise<void> {
    const { log } = this.deps;
    if (previous?.controlSocket !== next.controlSocket || this.#control === null) {
      await this.#control?.close();
      this.#control = null;
      if (next.controlSocket !== null) {
        try {
          this.#control = await ControlServer.open(next.controlSocket, {
            answer: (request) => this.answer(request.command, request.tap),
            trace: this.deps.trace,
          }, (m) => log.limited("warning", "control", m));
          log.info(`Control socket: ${next.controlSocket}`);
        } catch (e) {
          log.error(`No control socket: ${errorMessage(e)}`);
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
          () => metricsText(statusReport(this.deps.view())),
          (m) => log.limited("warning", "metrics", m),
        );
        this.#metricsFile.start();
      }
    }
  }

  /** The answer to one control request. */
  answer(command: string, tap: string | null): unknown {
    switch (command) {
      case "status":
        return statusReport(this.deps.view());
      case "clients":
        this.deps.traffic.prune(this.deps.bound);
        return clientsReport(this.deps.view(), tap);
      case "metrics":
        return { metrics: metricsText(statusReport(this.deps.view())) };
      default:
        return { error: `Unknown command ${command}` };
    }
  }

  /** Stops the metrics file and closes the control socket. */
  async close(): Promise<void> {
    this.#metricsFile?.stop();
    await this.#control?.close();
  }
}
