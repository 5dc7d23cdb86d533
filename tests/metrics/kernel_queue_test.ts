/** The reader of /proc/net/netfilter/nfnetlink_queue (src/metrics/kernel_queue.ts), on its real line format. */
import assert from "node:assert/strict";
import { parseKernelQueues, readKernelQueues } from "../../src/metrics/kernel_queue.ts";

// As the kernel writes it (net/netfilter/nfnetlink_queue.c, seq_show): queue number, peer portid,
// queue total, copy mode, copy range, queue dropped, user dropped, last id, 1.
const PROC = [
  "   42 2956813849     0 2 65531     0     0        7  1",
  "   43 2956813850     3 2  4096    11    12       99  1",
  "65535          0 65534 1     0 4294967296 2 0  1",
  "",
].join("\n");

Deno.test("parseKernelQueues() reads each queue's waiting, copy and drop counts by position", () => {
  const queues = parseKernelQueues(PROC);
  assert.deepEqual([...queues.keys()], [42, 43, 65535]);
  assert.deepEqual(queues.get(42), {
    queue: 42,
    waiting: 0,
    copyMode: 2,
    copyRange: 65531,
    queueDropped: 0,
    userDropped: 0,
  });
  assert.deepEqual(queues.get(43), {
    queue: 43,
    waiting: 3,
    copyMode: 2,
    copyRange: 4096,
    queueDropped: 11,
    userDropped: 12,
  });
  // Counters past 32 bits are read whole.
  assert.equal(queues.get(65535)?.queueDropped, 4294967296);
  assert.equal(queues.get(65535)?.waiting, 65534);
});

Deno.test("parseKernelQueues() skips lines that are not a queue's: short, not numbers, negative", () => {
  const text = [
    "42 1 0 2 65531 0", // six fields: one short
    "43 1 0 2 65531 0 x 0 1",
    "44 1 -1 2 65531 0 0 0 1",
    "45 1 0 2 65531 0 0.5 0 1",
    "queue portid waiting copy_mode copy_range queue_dropped user_dropped",
    "46 1 0 2 65531 0 0", // exactly seven fields is enough
    "\t47\t1\t0\t2\t65531\t0\t0\t0\t1  ",
  ].join("\n");
  assert.deepEqual([...parseKernelQueues(text).keys()], [46, 47]);
  assert.equal(parseKernelQueues("").size, 0);
});

Deno.test("parseKernelQueues() keeps the last line of a queue listed twice", () => {
  const queues = parseKernelQueues("42 1 1 2 0 0 0 0 1\n42 1 5 2 0 0 0 0 1\n");
  assert.equal(queues.size, 1);
  assert.equal(queues.get(42)?.waiting, 5);
});

Deno.test("readKernelQueues() reads a file, and gives null for one that cannot be read", () => {
  const dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-kernel-queue-" });
  try {
    Deno.writeTextFileSync(`${dir}/nfnetlink_queue`, PROC);
    assert.equal(readKernelQueues(`${dir}/nfnetlink_queue`)?.get(43)?.userDropped, 12);
    assert.equal(readKernelQueues(`${dir}/absent`), null);
    assert.equal(readKernelQueues(dir), null, "a directory");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
