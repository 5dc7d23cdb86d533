/**
 * What the systemd suite shares: the .deb built once by `make deb`, a booted container with it
 * copied in (its journal printed when a test fails), and reading the unit's state and journal.
 */

import { Container, rootfsTarball } from "../../lab/container.ts";
import { REPO_ROOT, requireCommands, requireRoot, run, waitFor } from "../../lab/proc.ts";
import { VERSION } from "../../src/version.ts";

/** Where the package is copied inside the container. */
export const DEB_IN_CONTAINER = "/root/nfdhcpd.deb";

let built: Promise<string> | undefined;

/** `make deb` (once per test process); the path of the .deb it made. */
export function buildDeb(): Promise<string> {
  built ??= (async () => {
    await run(["make", "-C", REPO_ROOT, "--no-print-directory", "deb"], { timeoutMs: 900_000 });
    const arch = (await run(["dpkg", "--print-architecture"])).stdout.trim();
    return `${REPO_ROOT}/bin/nfdhcpd_${VERSION}_${arch}.deb`;
  })();
  return built;
}

/**
 * Runs `body` in a freshly booted container holding the .deb at {@link DEB_IN_CONTAINER}; when
 * it throws, the container's journal is printed first. The container is stopped and removed
 * whatever happens.
 */
export async function inContainer(
  name: string,
  body: (container: Container) => Promise<void>,
): Promise<void> {
  requireRoot();
  requireCommands(["mmdebstrap", "systemd-nspawn", "nsenter", "tar", "dpkg-deb", "lintian"]);
  const [deb, tarball] = await Promise.all([buildDeb(), rootfsTarball()]);
  await using container = await Container.boot(`${name}-${Deno.pid}`, tarball);
  await container.copyIn(deb, DEB_IN_CONTAINER);
  try {
    await body(container);
  } catch (error) {
    console.error(`--- the container's journal ---\n${await container.journal()}`);
    throw error;
  }
}

/** apt-get install of the package, non-interactive, keeping edited conffiles (as unattended). */
export function aptInstall(container: Container): Promise<{ stdout: string; stderr: string }> {
  return container.exec([
    "env",
    "DEBIAN_FRONTEND=noninteractive",
    "apt-get",
    "install",
    "-y",
    "-q",
    "-o",
    "Dpkg::Options::=--force-confdef",
    "-o",
    "Dpkg::Options::=--force-confold",
    DEB_IN_CONTAINER,
  ], { timeoutMs: 300_000 });
}

/** Properties of the unit as `systemctl show` gives them. */
export async function unitProperties(
  container: Container,
  names: readonly string[],
): Promise<Record<string, string>> {
  const r = await container.exec([
    "systemctl",
    "show",
    "nfdhcpd.service",
    `--property=${names.join(",")}`,
  ]);
  const entries = r.stdout.trim().split("\n").map((l) => {
    const eq = l.indexOf("=");
    return [l.slice(0, eq), l.slice(eq + 1)] as const;
  });
  return Object.fromEntries(entries);
}

/** Waits (bounded) until the unit is active and running with a main PID; returns that PID. */
export async function waitServing(container: Container, timeoutMs = 60_000): Promise<number> {
  return await waitFor("nfdhcpd.service to be active (running)", async () => {
    const p = await unitProperties(container, ["ActiveState", "SubState", "MainPID"]);
    const pid = Number(p.MainPID);
    return p.ActiveState === "active" && p.SubState === "running" && pid > 0 ? pid : undefined;
  }, { timeoutMs, intervalMs: 250 });
}

/** The journal's cursor now: what {@link journalAfter} reads from. */
export async function journalCursor(container: Container): Promise<string> {
  const r = await container.exec(["journalctl", "--show-cursor", "-n", "0", "--no-pager"]);
  const m = /^-- cursor: (.+)$/m.exec(r.stdout);
  if (!m) throw new Error(`journalctl printed no cursor:\n${r.stdout}`);
  return m[1]!;
}

/** syslog(3) priorities by name, as journalctl -p takes them. */
const PRIORITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

/**
 * The unit's journal messages after `cursor` (its processes' and systemd's about it), at
 * `priority` or worse when given. Filtered here, not by journalctl: bookworm's journalctl, given
 * --after-cursor and a match the cursor's entry fails, skips the first entry that matches.
 */
export async function journalAfter(
  container: Container,
  cursor: string,
  priority?: string,
): Promise<string> {
  const worst = priority === undefined ? 7 : PRIORITIES.indexOf(priority);
  if (worst < 0) throw new Error(`Not a priority: ${priority}`);
  const r = await container.exec([
    "journalctl",
    "--no-pager",
    "-o",
    "json",
    `--after-cursor=${cursor}`,
  ]);
  const unit = "nfdhcpd.service";
  return r.stdout.split("\n").filter((l) => l !== "").map((l) =>
    JSON.parse(l) as Record<string, unknown>
  )
    .filter((e) => e._SYSTEMD_UNIT === unit || e.UNIT === unit)
    .filter((e) => Number(e.PRIORITY ?? 6) <= worst && typeof e.MESSAGE === "string")
    .map((e) => `${e.MESSAGE}\n`).join("");
}
