/**
 * `nfdhcpd replay` on traffic captured during the test: tcpdump on the TAP in the hypervisor
 * namespace while udhcpc gets a lease from the daemon, then the capture replayed offline
 * (--allow-read only): the replayed OFFER and ACK must be the ones the client got.
 */
import assert from "node:assert/strict";
import { readCapture } from "../../src/pcap/capture.ts";
import { runUdhcpc } from "../../lab/clients.ts";
import { Daemon, daemonConfig } from "../../lab/daemon.ts";
import { withLab } from "../../lab/netns.ts";
import {
  denoExecutable,
  inNamespace,
  REPO_ROOT,
  requireCommands,
  runJson,
  waitFor,
} from "../../lab/proc.ts";

interface Summary {
  readonly type: string;
  readonly destination: string;
  readonly fields: Readonly<Record<string, unknown>>;
}
interface JsonRecord {
  readonly number: number;
  readonly decision: string;
  readonly request: Summary;
  readonly reply: Summary | null;
}

Deno.test("replay of a capture taken while udhcpc got a lease gives the OFFER and ACK it got", async () => {
  requireCommands(["tcpdump", "udhcpc"]);
  await withLab({ vms: [{ name: "vm1", tap: "tap0" }] }, async (lab) => {
    const vm = lab.vm("vm1");
    await lab.writeBinding(vm.tap, {
      HOSTNAME: "replayed",
      INDEV: vm.tap,
      MAC: vm.mac,
      IP: "10.10.1.10",
      SUBNET: "10.10.1.0/24",
      GATEWAY: "10.10.1.1",
    });
    await lab.addDhcp4Rule(42);
    const config = await lab.writeConfig(
      daemonConfig(lab, {
        serverIp: "10.10.0.1",
        nameservers: ["198.51.100.53"],
        domain: "example.test",
      }),
    );
    await Daemon.start(lab, { config });
    const capture = `${lab.dir}/udhcpc.pcap`;
    // Nanosecond stamps: the other pcap magic number, as tcpdump writes it.
    const tcpdump = lab.spawn([
      ...["tcpdump", "-i", vm.tap, "-n", "-U", "-s", "0", "--time-stamp-precision=nano"],
      ...["-w", capture, "udp port 67 or udp port 68"],
    ], lab.hv);
    await waitFor("tcpdump to listen", () => {
      if (tcpdump.status !== null) throw new Error(`tcpdump exited: ${tcpdump.stderr}`);
      return /listening on/.test(tcpdump.stderr);
    }, { timeoutMs: 10_000 });

    const result = await runUdhcpc(lab, vm);
    assert.ok(result.lease !== null, `udhcpc got no lease:\n${result.log}`);
    // -U writes each packet as it comes: the four of DORA are in the file once udhcpc is done.
    await waitFor("DORA in the capture", () => {
      try {
        return readCapture(Deno.readFileSync(capture)).length >= 4;
      } catch {
        return false; // the last record half written
      }
    }, { timeoutMs: 5_000 });
    tcpdump.kill("SIGINT");

    const link = await runJson(inNamespace(lab.hv, ["ip", "-j", "link", "show", "dev", vm.tap]));
    const indevMac = (link as { address: string }[])[0]!.address;
    const replayed = await new Deno.Command(denoExecutable(), {
      args: [
        ...["run", "--allow-read", `${REPO_ROOT}/main.ts`, "replay", capture, "-c", config],
        ...["--indev-mac", indevMac, "--json", "--all"],
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(replayed.stderr);
    assert.equal(replayed.code, 0, err);
    const records: JsonRecord[] = new TextDecoder().decode(replayed.stdout).trim().split("\n")
      .map((line) => JSON.parse(line));
    const answered = records.filter((r) => r.decision === "reply");
    assert.deepEqual(
      answered.map((r) => [r.request.type, r.reply!.type]),
      [["DISCOVER", "OFFER"], ["REQUEST", "ACK"]],
      err,
    );
    // The replies the daemon really sent are in the capture too (skipped as no requests).
    const sent = records.filter((r) => r.decision === "skip" && r.request.fields.yiaddr);
    assert.deepEqual(sent.map((r) => r.request.type), ["OFFER", "ACK"]);
    for (const [i, r] of answered.entries()) {
      assert.deepEqual(r.reply!.fields, sent[i]!.request.fields, `${r.reply!.type} fields`);
      assert.equal(r.reply!.destination, sent[i]!.request.destination);
    }
    const ack = answered[1]!.reply!.fields;
    const lease = result.lease;
    assert.equal(ack.yiaddr, lease.address);
    assert.deepEqual(ack.router, lease.routers);
    assert.deepEqual(ack.dns, lease.dns);
    assert.equal(ack.lease, lease.leaseTime);
    assert.equal(ack.server, lease.serverId);
    assert.equal(ack.hostname, lease.hostname);
  });
});
