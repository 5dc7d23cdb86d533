/** The daemon's lifecycle: load the configuration, start up, serve until a signal stops it. */
import { errorMessage } from "../error_message.ts";
import { loadConfig } from "../config/config.ts";
import { Daemon } from "./daemon.ts";
import { finishDetach } from "./detach.ts";
import { FileSink, Logger, StderrSink } from "./log.ts";
import { notifyReady, notifySafely, notifyStopping, startWatchdog } from "./notify.ts";
import { logPathOf, startUp } from "./startup.ts";

export interface DaemonOptions {
  readonly configPath: string;
  readonly debug: boolean;
  readonly foreground: boolean;
}

/** Runs the daemon until SIGTERM/SIGINT; returns the exit code. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const log = new Logger(new StderrSink(), options.debug ? "debug" : "info");
  const warn = (m: string) => log.limited("warning", "sd_notify", m);
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
  notifySafely(warn, () => notifyReady(status));
  if (!options.foreground) {
    finishDetach();
    log.setSink(new FileSink(logPathOf(loaded.config.general)));
  }
  const stopWatchdog = startWatchdog((e) =>
    log.limited("warning", "watchdog", `Cannot notify the watchdog: ${errorMessage(e)}`)
  );

  await daemon.serve();

  stopWatchdog();
  notifySafely(warn, notifyStopping);
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
