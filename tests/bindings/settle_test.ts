/** Tests for the settle rule: scripted event orders against a simulated file and clock. */
import assert from "node:assert/strict";
import { type Look, sameLook, Settler } from "../../src/bindings/settle.ts";

const SETTLE = 400;
const STUCK = 10_000;

/** One file as the settler sees it, and a clock; each step moves time and may change the file. */
class Scene {
  now = 0;
  file: Look | null = null;
  #ino = 1;
  #written = 0;
  readonly settler = new Settler(SETTLE, STUCK);
  readonly ready: number[] = [];
  readonly stuck: number[] = [];

  /** The writer's actions; `event` false: the watcher did not report it. */
  write(event = true): void {
    this.#written++;
    const ino = this.file?.ino ?? this.#ino++;
    this.file = { size: this.#written * 10, mtime: this.now, ctime: this.now, ino };
    if (event) this.settler.changed("tap0", this.now);
  }
  chmod(): void {
    if (this.file) this.file = { ...this.file, ctime: this.now };
    this.settler.changed("tap0", this.now);
  }
  close(): void {
    this.settler.changed("tap0", this.now);
  }
  renameOver(): void {
    this.#written++;
    this.file = { size: 7, mtime: this.now, ctime: this.now, ino: this.#ino++ };
    this.settler.changed("tap0", this.now);
  }
  remove(): void {
    this.file = null;
    this.settler.changed("tap0", this.now);
  }

  /** Moves the clock by `ms` in 10 ms steps, ticking whenever the settler asks to be. */
  wait(ms: number): void {
    const end = this.now + ms;
    while (this.now < end) {
      this.now = Math.min(end, this.now + 10);
      const next = this.settler.nextAt();
      if (next === undefined || next > this.now) continue;
      const { ready, stuck } = this.settler.tick(this.now, () => this.file);
      if (ready.length > 0) this.ready.push(this.now);
      if (stuck.length > 0) this.stuck.push(this.now);
    }
  }
}

Deno.test("Settler reads a file settleMs after a write and its close", () => {
  const s = new Scene();
  s.write();
  s.close();
  s.wait(390);
  assert.deepEqual(s.ready, []);
  s.wait(20);
  assert.deepEqual(s.ready, [400]);
  assert.deepEqual(s.stuck, []);
  assert.equal(s.settler.nextAt(), undefined);
});

Deno.test("Settler counts stuckMs from the change's first event, whatever the clock reads", () => {
  const s = new Scene();
  s.now = 50_000; // The daemon's clock (performance.now()) is far past 0.
  s.write();
  s.close();
  s.wait(1000);
  assert.deepEqual(s.ready, [50_400]);
  assert.deepEqual(s.stuck, []);
  for (let i = 0; i < 110; i++) {
    s.write();
    s.wait(100);
  }
  assert.deepEqual(s.stuck, [61_000]);
  const settler = new Settler(SETTLE, STUCK);
  settler.changed("tap1", 50_000);
  assert.deepEqual(settler.tick(60_000, () => null).stuck, [{ name: "tap1", forMs: STUCK }]);
});

Deno.test("Settler waits settleMs again after an event that came after its first look, the file unchanged", () => {
  const s = new Scene();
  s.write();
  s.wait(250); // Looked at 200.
  s.close(); // Same size, times and inode: only the event says something happened.
  s.wait(390);
  assert.deepEqual(s.ready, []);
  s.wait(20);
  assert.deepEqual(s.ready, [650]);
});

Deno.test("Settler reads a file written through a descriptor kept open (modify, no close)", () => {
  const s = new Scene();
  s.write();
  s.wait(100);
  s.write();
  s.wait(1000);
  assert.deepEqual(s.ready, [500]);
});

Deno.test("Settler reads a file whose close came without a modify event", () => {
  const s = new Scene();
  s.write(false);
  s.close();
  s.wait(1000);
  assert.deepEqual(s.ready, [400]);
});

Deno.test("Settler takes attribute-only events (chmod after the write) as one more change, never a lock", () => {
  const s = new Scene();
  s.write();
  s.close();
  s.wait(50);
  s.chmod();
  s.wait(20);
  s.chmod();
  s.wait(1000);
  assert.deepEqual(s.ready, [470]);
  // A chmod alone, long after: looked at and ready again (the store finds the text unchanged).
  s.chmod();
  s.wait(1000);
  assert.deepEqual(s.ready, [470, 1070 + 400]);
});

Deno.test("Settler waits while a writer keeps going, and for a change the watcher missed", () => {
  const s = new Scene();
  s.write();
  for (let i = 0; i < 5; i++) {
    s.wait(150);
    s.write();
  }
  assert.deepEqual(s.ready, []);
  s.wait(200); // First look, 200 ms after the last write.
  s.wait(100);
  s.write(false); // Between the looks, no event: the second look differs.
  s.wait(100);
  assert.deepEqual(s.ready, []);
  s.wait(300);
  assert.equal(s.ready.length, 1);
  assert.ok(s.ready[0]! >= 750 + 200 + 400, `read at ${s.ready[0]}`);
});

Deno.test("Settler takes a rename over the file and a delete then create as changes", () => {
  const s = new Scene();
  s.write();
  s.close();
  s.wait(1000);
  s.renameOver();
  s.wait(1000);
  s.remove();
  s.wait(100);
  s.write();
  s.close();
  s.wait(1000);
  assert.deepEqual(s.ready, [400, 1400, 2500]);
  // A removal that stays: ready too (the store then finds the file missing).
  s.remove();
  s.wait(1000);
  assert.deepEqual(s.ready, [400, 1400, 2500, 3500]);
});

Deno.test("Settler reports once a file that never stops changing, and reads it when it does", () => {
  const s = new Scene();
  for (let i = 0; i < 150; i++) {
    s.write();
    s.wait(100);
  }
  assert.deepEqual(s.stuck, [STUCK]);
  assert.deepEqual(s.ready, []);
  assert.equal(s.settler.waiting().get("tap0"), 0);
  s.wait(1000);
  assert.deepEqual(s.ready, [15_000 - 100 + 400]);
  assert.equal(s.settler.waiting().size, 0);
});

Deno.test("Settler keeps names apart and clear() forgets them all", () => {
  const settler = new Settler(SETTLE, STUCK);
  const looks = new Map<string, Look>([["a", { size: 1, mtime: 0, ctime: 0, ino: 1 }]]);
  settler.changed("a", 0);
  settler.changed("b", 300);
  assert.equal(settler.nextAt(), 200);
  const look = (name: string) => looks.get(name) ?? null;
  assert.deepEqual(settler.tick(200, look).ready, []);
  assert.deepEqual(settler.tick(400, look).ready, ["a"]);
  assert.equal(settler.nextAt(), 500);
  settler.clear();
  assert.equal(settler.nextAt(), undefined);
  assert.deepEqual(settler.tick(10_000, look), { ready: [], stuck: [] });
});

Deno.test("sameLook() compares size, mtime, ctime and inode", () => {
  const a: Look = { size: 1, mtime: 2, ctime: 3, ino: 4 };
  assert.ok(sameLook(a, { ...a }));
  assert.ok(sameLook(null, null));
  assert.ok(!sameLook(a, null));
  assert.ok(!sameLook(null, a));
  for (const key of ["size", "mtime", "ctime", "ino"] as const) {
    assert.ok(!sameLook(a, { ...a, [key]: a[key] + 1 }), key);
  }
});
