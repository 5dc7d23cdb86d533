/**
 * No signal opens a socket: Deno opens its V8 inspector (127.0.0.1:9229, code execution inside the
 * daemon) on SIGUSR1 unless the signal is blocked. The daemon must listen on nothing, whatever it
 * is sent, in the foreground and detached as an unprivileged user.
 */
import assert from "node:assert/strict";
import { runUdhcpc } from "../../lab/clients.ts";
import { daemonCommand, daemonConfig } from "../../lab/daemon.ts";
import { alive, startDetached, terminate } from "../../lab/detached.ts";
import { type Lab, type Vm, withLab } from "../../lab/netns.ts";
import { requireCommands, waitFor } from "../../lab/proc.ts";

const SIGUSR1 = 10;

/** True when `signal` is set in the `field` mask (SigBlk, ShdPnd...) of a /proc status text. */
function maskHas(status: string, field: string, signal: number): boolean {
  const match = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, "m").exec(status);
  return match !== null && ((BigInt(`0x${match[1]}`) >> BigInt(signal - 1)) & 1n) === 1n;
}

function readOrEmpty(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** The threads of `pid` whose mask lets SIGUSR1 through. */
function threadsTakingSigusr1(pid: number): string[] {
  return [...Deno.readDirSync(`/proc/${pid}/task`)].map((e) => e.name).filter((tid) =>
    !maskHas(readOrEmpty(`/proc/${pid}/task/${tid}/status`), "SigBlk", SIGUSR1)
  );
}

/**
 * What could take a connection in the daemon's network namespace or from its descriptors: any TCP
 * socket listening there, any inet (TCP, UDP, raw) socket the process holds, and any listening
 * unix socket it holds but `controlSocket`, the one its configuration names (`nfdhcpd status`...).
 * The daemon's own sockets (netlink, packet, unix datagram) are not listed.
 */
function listeners(pid: number, controlSocket: string): string[] {
  const inodes = new Set<string>();
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const found: string[] = [];
  for (const proto of ["tcp", "tcp6", "udp", "udp6", "raw", "raw6"]) {
    for (const line of readOrEmpty(`/proc/${pid}/net/${proto}`).split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const listening = proto.startsWith("tcp") && cols[3] === "0A";
      if (listening || inodes.has(cols[9]!)) found.push(`${proto} ${cols[1]} (inode ${cols[9]})`);
    }
  }
  for (const line of readOrEmpty(`/proc/${pid}/net/unix`).split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    // Flags 00010000 (__SO_ACCEPTCON): a listening socket.
    if (
      cols.length >= 7 && inodes.has(cols[6]!) && cols[3] === "00010000" &&
      cols[7] !== controlSocket
    ) {
      found.push(`unix listening ${cols[7] ?? "(unnamed)"}`);
    }
  }
  return found;
}

/** Waits (bounded) until SIGUSR1 is pending and held for `pid`: it arrived and was not taken. */
async function waitUntilHeld(pid: number): Promise<void> {
  await waitFor("SIGUSR1 to be pending (blocked) in the daemon", () => {
    const status = readOrEmpty(`/proc/${pid}/status`);
    if (status === "") throw new Error(`the daemon ${pid} is gone`);
    return maskHas(status, "ShdPnd", SIGUSR1);
  }, { timeoutMs: 5000 });
}

/** Sends every signal the daemon handles, SIGUSR1 three times, and checks nothing listens. */
async function signalAll(
  pid: number,
  logged: () => string,
  controlSocket: string,
): Promise<void> {
  // Deno installs its SIGUSR1 handler (the inspector's trigger) some time after start: from then
  // on only the mask stands between SIGUSR1 and the inspector.
  await waitFor("Deno's SIGUSR1 handler", () => {
    return maskHas(readOrEmpty(`/proc/${pid}/status`), "SigCgt", SIGUSR1);
  }, { timeoutMs: 10_000 });
  for (let i = 0; i < 3; i++) Deno.kill(pid, "SIGUSR1");
  await waitUntilHeld(pid);
  const before = logged().length;
  Deno.kill(pid, "SIGUSR2");
  await waitFor("the client table", () => /TAP +IFINDEX/.test(logged().slice(before)), {
    timeoutMs: 10_000,
  });
  Deno.kill(pid, "SIGHUP");
  await waitFor("the reload", () => /Configuration reloaded/.test(logged().slice(before)), {
    timeoutMs: 10_000,
  });
  Deno.kill(pid, "SIGUSR1");
  assert.deepEqual(
    listeners(pid, controlSocket),
    [],
    "nothing but the control socket listens after SIGUSR1, SIGUSR2 and SIGHUP",
  );
  assert.ok(Deno.lstatSync(controlSocket).isSocket, "the control socket is open");
  assert.deepEqual(threadsTakingSigusr1(pid), [], "every thread blocks SIGUSR1");
  assert.ok(alive(pid), "the daemon still runs");
}

async function withOneVm(body: (lab: Lab, vm: Vm) => Promise<void>): Promise<void> {
  requireCommands(["udhcpc"]);
  await withLab({ vms: [{ name: "vm1", tap: "tap1" }] }, async (lab) => {
    await lab.addDhcp4Rule();
    const vm = lab.vm("vm1");
    await lab.writeBinding(vm.tap, {
      INDEV: vm.tap,
      MAC: vm.mac,
      IP: "10.30.1.10",
      SUBNET: "10.30.1.0/24",
      GATEWAY: "10.30.1.1",
    });
    await body(lab, vm);
  });
}

async function assertServes(lab: Lab, vm: Vm, log: () => string): Promise<void> {
  const result = await runUdhcpc(lab, vm, { timeoutSec: 4 });
  assert.equal(result.lease?.address, "10.30.1.10", `${result.log}\n${log()}`);
}

const CONFIG = { serverIp: "10.30.0.1", nameservers: ["198.51.100.1"], domain: "example.test" };

Deno.test("foreground: SIGUSR1 during start-up and after opens no inspector, nor does any other signal", async () => {
  await withOneVm(async (lab, vm) => {
    const base = daemonConfig(lab, CONFIG);
    const controlSocket = `${lab.dir}/control.sock`;
    const general = { ...base.general, control_socket: controlSocket };
    const config = await lab.writeConfig({ ...base, general });
    const proc = lab.spawn([...daemonCommand(), "-f", "-c", config], lab.hv);
    const log = () => proc.stderr;
    // The first instants belong to Deno's start-up, before any of our code runs (SIGUSR1 then has
    // its default action). From the moment SIGUSR1 is blocked, send it until the daemon is ready.
    await waitFor("SIGUSR1 to be blocked", () => {
      if (proc.status !== null) throw new Error(`nfdhcpd exited:\n${log()}`);
      return maskHas(readOrEmpty(`/proc/${proc.pid}/status`), "SigBlk", SIGUSR1);
    }, { timeoutMs: 10_000 });
    let early = 0;
    await waitFor("nfdhcpd to be ready while receiving SIGUSR1", () => {
      if (proc.status !== null) throw new Error(`nfdhcpd exited:\n${log()}`);
      Deno.kill(proc.pid, "SIGUSR1");
      early++;
      return /\bready\b/.test(log());
    }, { timeoutMs: 20_000, intervalMs: 10 });
    assert.ok(early > 0);
    await waitUntilHeld(proc.pid);
    assert.deepEqual(
      listeners(proc.pid, controlSocket),
      [],
      "nothing but the control socket listens after SIGUSR1 during start-up",
    );

    await signalAll(proc.pid, log, controlSocket);
    await assertServes(lab, vm, log);
    const status = await proc.stop(5000);
    assert.equal(status.code, 0, log());
    assert.doesNotMatch(log(), /Debugger listening|9229/);
  });
});

Deno.test("detached as nobody: every thread blocks SIGUSR1 and no signal opens a socket", async () => {
  await withOneVm(async (lab, vm) => {
    // nobody reads the config and bindings; the daemon creates the pid and log dirs for it.
    for (const dir of [lab.dir, lab.datapath]) Deno.chmodSync(dir, 0o755);
    const pidfile = `${lab.dir}/run/nfdhcpd.pid`;
    const logdir = `${lab.dir}/log`;
    const base = daemonConfig(lab, CONFIG);
    // The control socket goes into the pidfile's directory, which the daemon makes for nobody.
    const controlSocket = `${lab.dir}/run/control.sock`;
    const general = {
      ...base.general,
      user: "nobody",
      pidfile,
      logdir,
      control_socket: controlSocket,
    };
    const config = await lab.writeConfig({ ...base, general });
    const started = await startDetached(lab, config, pidfile);
    assert.equal(started.code, 0, started.output);
    const pid = started.pid!;
    const logFile = () => readOrEmpty(`${logdir}/nfdhcpd.log`);
    await signalAll(pid, logFile, controlSocket);
    await assertServes(lab, vm, logFile);
    assert.doesNotMatch(logFile(), /Debugger listening|9229/);
    await terminate(pid, pidfile);
  });
});
