/** Soak: binding files and TAPs that come and go while the clients run. */

import { formatBinding } from "../../lab/lab_files.ts";
import type { Lab } from "../../lab/netns.ts";
import { run } from "../../lab/proc.ts";

/** Counts of what the churn did. */
export interface ChurnCounts {
  written: number;
  deleted: number;
  tapsAdded: number;
  tapsRemoved: number;
}

/** Resolves after `ms`: the churn's pace (an operator's scripts), not a wait for a condition. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A random integer in 0..n-1. */
function pick(n: number): number {
  return Math.floor(Math.random() * n);
}

/** A binding for TAP `tap`, number `i`, with a fresh random address (so a rewrite changes it). */
function churnBinding(tap: string, i: number): string {
  const host = 10 + pick(200);
  return formatBinding({
    HOSTNAME: `churn${i}`,
    INDEV: tap,
    MAC: `52:54:00:c0:00:${(i & 0xff).toString(16).padStart(2, "0")}`,
    IP: `10.77.${i}.${host}`,
    SUBNET: `10.77.${i}.0/24`,
    GATEWAY: `10.77.${i}.1`,
    SUBNET6: `2001:db8:77:${i}::/64`,
    GATEWAY6: `2001:db8:77:${i}::1`,
  });
}

/**
 * Creates, rewrites and deletes the binding files of `count` TAPs that have no interface
 * (`tapb0`...), one operation every `everyMs`, until `stop()` is true.
 */
export async function churnBindings(
  lab: Lab,
  count: number,
  everyMs: number,
  stop: () => boolean,
  counts: ChurnCounts,
): Promise<void> {
  while (!stop()) {
    const i = pick(count);
    const path = `${lab.datapath}/tapb${i}`;
    if (Math.random() < 0.3) {
      await Deno.remove(path).then(() => counts.deleted++, () => {});
    } else {
      // One open-write-close, as the harness and the hypervisor's scripts write them.
      await Deno.writeTextFile(path, churnBinding(`tapb${i}`, i));
      counts.written++;
    }
    await pause(everyMs);
  }
}

/**
 * Adds and removes `count` TAPs (`tapv0`..., veth pairs inside the hypervisor namespace) with
 * their binding files, toggling one every `everyMs`, until `stop()` is true; removes what is left.
 */
export async function churnTaps(
  lab: Lab,
  count: number,
  everyMs: number,
  stop: () => boolean,
  counts: ChurnCounts,
): Promise<void> {
  const present = new Set<number>();
  const hv = ["ip", "-n", lab.hv];
  const remove = async (i: number) => {
    await Deno.remove(`${lab.datapath}/tapv${i}`).catch(() => {});
    await run([...hv, "link", "del", `tapv${i}`], { allowFailure: true });
    present.delete(i);
    counts.tapsRemoved++;
  };
  try {
    while (!stop()) {
      const i = pick(count);
      if (present.has(i)) {
        await remove(i);
      } else {
        await run([...hv, "link", "add", `tapv${i}`, "type", "veth", "peer", "name", `pv${i}`]);
        await run([...hv, "link", "set", `tapv${i}`, "addrgenmode", "none"]);
        await run([...hv, "link", "set", `tapv${i}`, "up"]);
        await run([...hv, "link", "set", `pv${i}`, "up"]);
        present.add(i);
        await Deno.writeTextFile(`${lab.datapath}/tapv${i}`, churnBinding(`tapv${i}`, 100 + i));
        counts.tapsAdded++;
      }
      await pause(everyMs);
    }
  } finally {
    for (const i of [...present]) await remove(i);
  }
}
