/** sd_notify: tells systemd (or our own detaching parent) READY=1, STOPPING=1 and WATCHDOG=1. */
import { sendUnixDatagram } from "../../ffi/unix_datagram.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Sends `state` (newline-separated `KEY=VALUE` assignments, as sd_notify(3)) to the socket named by
 * NOTIFY_SOCKET: a path, or `@name` in the abstract namespace. Returns false without doing anything
 * when NOTIFY_SOCKET is unset (not started by systemd nor by our detaching parent), true when sent;
 * throws when sending fails.
 */
export function notify(state: string, socket = Deno.env.get("NOTIFY_SOCKET")): boolean {
  if (socket === undefined || socket === "") return false;
  sendUnixDatagram(socket, encoder.encode(state));
  return true;
}

/**
 * READY=1 (with a STATUS= line when given): startup is over, requests are being answered. Like every
 * notify function, `socket` defaults to NOTIFY_SOCKET (tests pass their own instead of changing the
 * environment of a process whose other tests run in parallel).
 */
export function notifyReady(status?: string, socket = Deno.env.get("NOTIFY_SOCKET")): boolean {
  return notify(status === undefined ? "READY=1" : `READY=1\nSTATUS=${status}`, socket);
}

/** RELOADING=1: SIGHUP received; send {@link notifyReady} when the new configuration is in force. */
export function notifyReloading(socket = Deno.env.get("NOTIFY_SOCKET")): boolean {
  return notify("RELOADING=1", socket);
}

/** STOPPING=1: shutting down after SIGTERM/SIGINT. */
export function notifyStopping(socket = Deno.env.get("NOTIFY_SOCKET")): boolean {
  return notify("STOPPING=1", socket);
}

/**
 * Runs `send` (one of the notify functions); a failure goes to `warn` as `Cannot notify systemd:
 * ...`: telling systemd is never a reason to stop serving.
 */
export function notifySafely(warn: (message: string) => void, send: () => boolean): void {
  try {
    send();
  } catch (e) {
    warn(`Cannot notify systemd: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The variables sd_notify and the watchdog read; {@link systemdEnv} gives the process's own. */
export interface SystemdEnv {
  readonly NOTIFY_SOCKET?: string | undefined;
  readonly WATCHDOG_USEC?: string | undefined;
  readonly WATCHDOG_PID?: string | undefined;
}

/** NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID as this process was given them. */
export function systemdEnv(): SystemdEnv {
  return {
    NOTIFY_SOCKET: Deno.env.get("NOTIFY_SOCKET"),
    WATCHDOG_USEC: Deno.env.get("WATCHDOG_USEC"),
    WATCHDOG_PID: Deno.env.get("WATCHDOG_PID"),
  };
}

/**
 * The watchdog period systemd asked for (WatchdogSec= in the unit sets WATCHDOG_USEC, and
 * WATCHDOG_PID when it is meant for one process), in milliseconds, or null when there is none.
 */
export function watchdogPeriodMs(env: SystemdEnv = systemdEnv()): number | null {
  const usec = Number(env.WATCHDOG_USEC ?? "");
  if (!Number.isInteger(usec) || usec <= 0) return null;
  const pid = env.WATCHDOG_PID;
  if (pid !== undefined && pid !== "" && Number(pid) !== Deno.pid) return null;
  return usec / 1000;
}

/**
 * Sends WATCHDOG=1 every half watchdog period from a timer on the event loop, so a stuck loop stops
 * the pings and systemd restarts us. Returns the function that stops the pings (a no-op function
 * when no watchdog is asked for). `onError` hears about failed sends; `env` defaults to our own.
 */
export function startWatchdog(
  onError: (e: unknown) => void = () => {},
  env: SystemdEnv = systemdEnv(),
): () => void {
  const period = watchdogPeriodMs(env);
  if (period === null) return () => {};
  const ping = () => {
    try {
      notify("WATCHDOG=1", env.NOTIFY_SOCKET);
    } catch (e) {
      onError(e);
    }
  };
  ping();
  const timer = setInterval(ping, Math.max(1, Math.floor(period / 2)));
  return () => clearInterval(timer);
}

/** The assignments of one notification datagram (`READY=1\nSTATUS=x` → READY: "1", STATUS: "x"). */
export function parseNotification(datagram: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of decoder.decode(datagram).split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}
