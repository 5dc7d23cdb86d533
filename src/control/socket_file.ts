/** The control socket's file: a stale one replaced, a live one refused, mode 0660 once bound. */
import { connectUnixStream, UnixConnectError, UnixStreamListener } from "../../ffi/unix_stream.ts";

/** The mode of the socket: the daemon's user and group may connect, nobody else. */
export const SOCKET_MODE = 0o660;

/** Why `path` cannot be used for our socket, or null once it is free (a stale socket removed). */
export function clearSocketPath(path: string): string | null {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  if (!info.isSocket) return `${path} exists and is not a socket`;
  try {
    connectUnixStream(path).close();
    return `a running daemon answers on ${path}`;
  } catch (e) {
    // Refused: nobody listens, left by a daemon that was killed. Anything else (a full queue,
    // no permission) may be a live daemon: leave its socket alone.
    if (!(e instanceof UnixConnectError)) throw e;
    if (!e.refused) return `cannot tell whether a daemon answers on ${path}: ${e.reason}`;
  }
  Deno.removeSync(path);
  return null;
}

/** Binds the unix stream socket at `path` with mode 0660; throws with the reason if it cannot. */
export function listenUnix(path: string): UnixStreamListener {
  const why = clearSocketPath(path);
  if (why !== null) throw new Error(`Cannot open the control socket: ${why}`);
  const listener = UnixStreamListener.listen(path);
  try {
    Deno.chmodSync(path, SOCKET_MODE);
  } catch (e) {
    listener.close();
    Deno.removeSync(path);
    throw e;
  }
  return listener;
}
