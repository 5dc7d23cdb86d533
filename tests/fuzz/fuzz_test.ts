/** The fuzzer, bounded for `make test`: a fixed seed, 2,000 mutated captures per pool. */
import assert from "node:assert/strict";
import { describe, fuzz, loadSeeds, POOLS } from "./fuzzer.ts";
import { serviceOf } from "./layout.ts";
import { mutate } from "./mutate.ts";
import { Prng } from "./prng.ts";

/** Fixed, so a failure here replays with `make fuzz SEED=20240901 ONLY=<index>`. */
const SEED = 20240901;
const PER_POOL = 2000;

Deno.test("fuzz: every parser and Dispatcher.handle() hold their invariants on mutated captures", () => {
  const report = fuzz({ seed: SEED, inputs: PER_POOL * POOLS.length });
  assert.equal(report.inputs, PER_POOL * POOLS.length);
  assert.deepEqual(report.findings, [], report.findings.map(describe).join("\n\n"));
  // Inputs must get through the responders, or the run proves little.
  for (const [service, replies] of Object.entries(report.replies)) {
    assert.ok(replies >= 100, `only ${replies} ${service} replies were checked`);
  }
});

Deno.test("fuzz: the captures give seeds for every service", () => {
  const pools = loadSeeds();
  for (const pool of POOLS) assert.ok(pools[pool].length > 0, `no ${pool} seed`);
  for (const pool of ["dhcp4", "rs", "ns", "dhcp6"] as const) {
    for (const seed of pools[pool]) assert.equal(serviceOf(seed), pool);
  }
});

Deno.test("fuzz: the same seed gives the same inputs", () => {
  const seed = loadSeeds().dhcp4[0]!;
  const a = mutate(seed, seed, new Prng(7));
  const b = mutate(seed, seed, new Prng(7));
  assert.deepEqual(a, b);
});

Deno.test("fuzz: the oracle sees requests behind IPv6 extension headers and in first fragments", () => {
  const rs = loadSeeds().rs[0]!;
  // Hop-by-hop (8 bytes of PadN) before the ICMPv6 header.
  const withHopByHop = new Uint8Array(rs.length + 8);
  withHopByHop.set(rs.subarray(0, 40));
  withHopByHop.set([58, 0, 1, 4, 0, 0, 0, 0], 40);
  withHopByHop.set(rs.subarray(40), 48);
  withHopByHop[6] = 0;
  withHopByHop[5] = withHopByHop[5]! + 8;
  assert.equal(serviceOf(withHopByHop), "rs");
  // A later fragment cannot be told apart: not judged ours.
  const laterFragment = withHopByHop.slice();
  laterFragment.set([58, 0, 0, 8, 0, 0, 0, 1], 40);
  laterFragment[6] = 44;
  assert.equal(serviceOf(laterFragment), null);
  const discover = loadSeeds().dhcp4[0]!.slice();
  discover[6] = 0x20; // More Fragments, offset 0: the first fragment still has the UDP header.
  assert.equal(serviceOf(discover), "dhcp4");
});
