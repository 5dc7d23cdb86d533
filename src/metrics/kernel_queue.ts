/** The kernel's view of our NFQUEUEs, from /proc/net/netfilter/nfnetlink_queue (this netns). */

export const NFQUEUE_PROC_FILE = "/proc/net/netfilter/nfnetlink_queue";

/** One queue's line: how many wait now and how many the kernel dropped. */
export interface KernelQueue {
  readonly queue: number;
  readonly waiting: number;
  readonly copyMode: number;
  readonly copyRange: number;
  /** Dropped because the queue was at its maximum length. */
  readonly queueDropped: number;
  /** Dropped because the socket's receive buffer was full. */
  readonly userDropped: number;
}

/**
 * Parses the file's lines: `queue portid waiting copy_mode copy_range queue_dropped user_dropped
 * id_sequence 1`, decimal, space-separated. Lines that do not fit are skipped.
 */
export function parseKernelQueues(text: string): Map<number, KernelQueue> {
  const queues = new Map<number, KernelQueue>();
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length < 7 || f.some((n) => !Number.isSafeInteger(n) || n < 0)) continue;
    const [queue, , waiting, copyMode, copyRange, queueDropped, userDropped] = f as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    queues.set(queue, { queue, waiting, copyMode, copyRange, queueDropped, userDropped });
  }
  return queues;
}

/** The queues the kernel lists, or null when the file cannot be read. */
export function readKernelQueues(path = NFQUEUE_PROC_FILE): Map<number, KernelQueue> | null {
  try {
    return parseKernelQueues(Deno.readTextFileSync(path));
  } catch {
    return null;
  }
}
