/** What the replay tests replay with: the fixtures, their guest's binding, and settings from text. */
import { parseBinding } from "../../src/bindings/binding.ts";
import { parseConfig } from "../../src/config/config.ts";
import { parseMac } from "../../src/address.ts";
import type { ReplaySettings } from "../../src/replay/replay.ts";

/** The folder of the captures. */
export const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

/** Replay settings from configuration and binding text (both must be valid), INDEV as captured. */
export function settings(conf: string, bindingText: string): ReplaySettings {
  const config = parseConfig(conf, "test.conf");
  const binding = parseBinding("tap0", bindingText);
  if (!config.ok) throw new Error(config.errors.join("\n"));
  if (!binding.ok) throw new Error(binding.errors.join("\n"));
  return {
    config: config.config,
    bindingFor: () => binding.binding,
    indevMac: parseMac("fe:54:00:77:00:01")!,
    all: false,
  };
}

/** The binding of the captures' guest. */
export const BINDING =
  "HOSTNAME=testvm\nMAC=52:54:00:77:00:10\nIP=10.77.0.95\nSUBNET=10.77.0.0/24\n" +
  "GATEWAY=10.77.0.1\nSUBNET6=2001:db8:77::/64\n";
