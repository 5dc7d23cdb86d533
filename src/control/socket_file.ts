/** The control socket's file: a stale one replaced, a live one refused, mode 0660 once bound. */

/** The mode of the socket: the daemon's user and group may connect, nobody else. */
export const SOCKET_MODE = 0o660;

/** Why `path` cannot be used for our socket, or null once it is free (a stale socket removed). */
export async function clearSocketPath(path: string): Promise<string | null> {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  if (!info.isSocket) return `${path} exists and is not a socket`;
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return `a running daemon answers on ${path}`;
  } catch {
    // Nobody listens: left by a daemon that was killed.
  }
  Deno.removeSync(path);
  return null;
}

/** Binds the unix stream socket at `path` with mode 0660; throws with the reason if it cannot. */
export async function listenUnix(path: string): Promise<Deno.UnixListener> {
  const why = await clearSocketPath(path);
  if (why !== null) throw new Error(`Cannot open the control socket: ${why}`);
  const listener = Deno.listen({ transport: "unix", path });
  try {
    Deno.chmodSync(path, SOCKET_MODE);
  } catch (e) {
    listener.close();
    throw e;
  }
  return listener;
}
