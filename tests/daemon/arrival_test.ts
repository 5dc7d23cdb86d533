/** The arrival planner, without root: what each change means for the VMs, as actions. */
import assert from "node:assert/strict";
import { type Binding, parseBinding } from "../../src/bindings/binding.ts";
import { parseConfig } from "../../src/config/config.ts";
import type { Config } from "../../src/config/types.ts";
import { type ArrivalAction, planArrival } from "../../src/daemon/arrival.ts";

function bindingOf(tap: string, text: string): Binding {
  const parsed = parseBinding(tap, text);
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  return parsed.binding;
}

function configOf(text = ""): Config {
  const parsed = parseConfig(`[dhcp]\nserver_ip = 10.0.0.250\n${text}`, "test.conf");
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  return parsed.config;
}

const DUAL = bindingOf(
  "tap1",
  "MAC=52:54:00:00:00:01\nIP=10.0.0.5\nSUBNET=10.0.0.0/24\nGATEWAY=10.0.0.1\n" +
    "SUBNET6=2001:db8::/64\n",
);
const V4_ONLY = bindingOf("tap2", "MAC=52:54:00:00:00:02\nIP=10.0.0.6\nSUBNET=10.0.0.0/24\n");
const NO_ROUTER = bindingOf("tap3", "MAC=52:54:00:00:00:03\nSUBNET6=2001:db8::/64\n");
const BINDINGS = new Map([DUAL, V4_ONLY, NO_ROUTER].map((b) => [b.tap, b]));

/** The actions, with each binding shown by its TAP. */
function plan(...args: Parameters<typeof planArrival>): string[] {
  return planArrival(...args).map((a: ArrivalAction) =>
    "binding" in a ? `${a.kind} ${a.binding.tap}` : "tap" in a ? `${a.kind} ${a.tap}` : a.kind
  );
}

const state = (config: Config, waiting: string[] = []) => ({
  config,
  waiting: new Set(waiting),
  binding: (tap: string) => BINDINGS.get(tap),
});

Deno.test("a binding added or changed: forget its replies alone, then RA, NAs and a gratuitous ARP", () => {
  assert.deepEqual(plan({ kind: "binding", tap: "tap1", binding: DUAL }, state(configOf())), [
    "forget tap1",
    "unwait tap1",
    "send-ra tap1",
    "send-na tap1",
    "send-arp tap1",
  ]);
});

Deno.test("a binding removed: its replies forgotten, it no longer waits, nothing sent", () => {
  assert.deepEqual(
    plan({ kind: "binding", tap: "tap1", binding: undefined }, state(configOf(), ["tap1"])),
    ["forget tap1", "unwait tap1"],
  );
});

Deno.test("each announcement only for a service that is queued and that the binding uses", () => {
  const b = (binding: Binding, config: Config) =>
    plan({ kind: "binding", tap: binding.tap, binding }, state(config)).slice(2);
  assert.deepEqual(b(V4_ONLY, configOf()), ["send-arp tap2"], "no SUBNET6: no RA, no NA");
  assert.deepEqual(b(NO_ROUTER, configOf()), ["send-ra tap3", "send-na tap3"], "no IP: no ARP");
  assert.deepEqual(b(DUAL, configOf("enable_dhcp = no\n")), ["send-ra tap1", "send-na tap1"]);
  assert.deepEqual(b(DUAL, configOf("[ipv6]\nenable_ipv6 = no\n")), ["send-arp tap1"]);
});

Deno.test("links changed: every waiting binding is announced again; a waiting TAP without a binding is dropped", () => {
  assert.deepEqual(
    plan({ kind: "links" }, state(configOf(), ["tap2", "gone0"])),
    ["unwait tap2", "send-arp tap2", "unwait gone0"],
  );
  assert.deepEqual(plan({ kind: "links" }, state(configOf())), [], "nothing waits: nothing to do");
});

Deno.test("a reload forgets every kept reply (the settings they were built from may differ)", () => {
  assert.deepEqual(plan({ kind: "reload" }, state(configOf(), ["tap1"])), ["forget-all"]);
});
