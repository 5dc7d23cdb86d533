/** A control server on a unix socket in a fresh temporary directory, for the tests. */
import type { Request } from "../../src/control/protocol.ts";
import { type ControlLimits, ControlServer, DEFAULT_LIMITS } from "../../src/control/server.ts";
import { TraceHub } from "../../src/control/trace.ts";
import type { TraceEvent } from "../../src/metrics/trace_event.ts";

/** What the shipped daemon and CLI may do: no network, not even a unix socket through Deno. */
export const AS_SHIPPED: Deno.TestDefinition["permissions"] = {
  ffi: true,
  read: true,
  write: true,
  env: true,
  sys: true,
  net: false,
};

/** A traced DISCOVER from tap1 answered with an OFFER of 10.0.0.5, as the dispatcher hands it over. */
export const OFFER_EVENT: TraceEvent = {
  at: 0,
  tap: "tap1",
  protocol: "dhcp4",
  requestType: "DISCOVER",
  mac: "52:54:00:00:00:01",
  clientId: null,
  requested: [1, 3],
  outcome: "reply",
  replyType: "OFFER",
  address: 0x0a000005,
  options: [53, 54],
  reason: null,
  why: "DHCPOFFER",
};

/** The dispatcher's trace hook as the server sets it: null while no trace client listens. */
export type TraceHook = { current: ((e: TraceEvent) => void) | null };

/**
 * Runs `body` with the path of a server that answers each request with `answer(request)`; the
 * server is closed and the directory removed afterwards, whatever `body` does. `onError` gets
 * what the server would log.
 */
export async function withServer(
  answer: (request: Request) => unknown,
  body: (path: string, hook: TraceHook) => Promise<void>,
  limits: ControlLimits = DEFAULT_LIMITS,
  onError: (message: string) => void = () => {},
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/control.sock`;
  const hook: TraceHook = { current: null };
  const server = await ControlServer.open(
    path,
    { answer, trace: new TraceHub((h) => hook.current = h) },
    onError,
    limits,
  );
  try {
    await body(path, hook);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}
