/** Router advertisements as a VM receives them, seen by a raw ICMPv6 socket in its namespace. */
import type { Lab, Vm } from "./netns.ts";
import { type Proc, requireCommands, waitFor } from "./proc.ts";

/**
 * Prints `RA <monotonic seconds> <hex>` for each router advertisement reaching argv[1] for argv[2]
 * seconds (a raw ICMPv6 socket sees them whether or not the kernel accepts RAs).
 */
const RA_CAPTURE = `
import select, socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[1].encode())
print("listening", flush=True)
end = time.monotonic() + float(sys.argv[2])
while True:
    left = end - time.monotonic()
    if left <= 0 or not select.select([s], [], [], left)[0]:
        break
    data, _ = s.recvfrom(4096)
    if data and data[0] == 134:
        print("RA %.3f %s" % (time.monotonic(), data.hex()), flush=True)
`;

/** One RA seen: when (monotonic seconds) and its ICMPv6 message as hex. */
export interface AdvertSeen {
  readonly at: number;
  readonly hex: string;
}

/** Starts capturing in `vm` for at most `seconds` (once listening); `adverts()` gives those seen. */
export async function captureAdverts(
  lab: Lab,
  vm: Vm,
  seconds: number,
): Promise<{ readonly proc: Proc; readonly adverts: () => AdvertSeen[] }> {
  requireCommands(["python3"]);
  const proc = lab.spawn(["python3", "-c", RA_CAPTURE, vm.iface, `${seconds}`], vm.ns);
  await waitFor("the RA capture", () => {
    if (proc.status !== null) throw new Error(`RA capture exited: ${proc.stderr}`);
    return proc.stdout.includes("listening");
  }, { timeoutMs: 5000 });
  const adverts = () =>
    [...proc.stdout.matchAll(/^RA (\S+) ([0-9a-f]+)$/gm)].map((m) => ({
      at: Number(m[1]),
      hex: m[2]!,
    }));
  return { proc, adverts };
}
