/** The gratuitous ARP a VM gets on arrival: for which address, from which MAC, to which MAC. */
import assert from "node:assert/strict";
import { parseBinding } from "../../src/bindings/binding.ts";
import { parseConfig } from "../../src/config/config.ts";
import { gratuitousArp, routerAddressOf } from "../../src/serve/gratuitous_arp.ts";
import { parseMac } from "../../src/address.ts";
import { hex } from "../hex.ts";

const INDEV = { name: "tap0", mac: parseMac("fe:54:00:77:00:01")! };

function binding(extra: string) {
  const parsed = parseBinding("tap0", `MAC=52:54:00:77:00:10\nSUBNET=10.77.0.0/24\n${extra}`);
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  return parsed.binding;
}

function dhcp(text = "server_ip = 10.77.0.250\n") {
  const parsed = parseConfig(`[dhcp]\n${text}`, "test.conf");
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  return parsed.config.dhcp;
}

Deno.test("gratuitousArp() announces GATEWAY at INDEV's MAC, to the binding's MAC: fixed bytes", () => {
  const frame = gratuitousArp(binding("IP=10.77.0.95\nGATEWAY=10.77.0.1\n"), dhcp(), INDEV)!;
  assert.equal(
    hex(frame),
    // Ethernet: to the VM, from INDEV, type ARP; then the announcement for 10.77.0.1.
    "525400770010" + "fe5400770001" + "0806" +
      "0001080006040001" + "fe5400770001" + "0a4d0001" + "000000000000" + "0a4d0001",
  );
});

Deno.test("routerAddressOf(): GATEWAY, else (no GATEWAY, or PRIVATE) the server address, none without IP", () => {
  assert.equal(routerAddressOf(binding("IP=10.77.0.95\nGATEWAY=10.77.0.1\n"), dhcp()), 0x0a4d0001);
  assert.equal(routerAddressOf(binding("IP=10.77.0.95\n"), dhcp()), 0x0a4d00fa);
  assert.equal(
    routerAddressOf(binding("IP=10.77.0.95\nGATEWAY=10.77.0.1\nPRIVATE=1\n"), dhcp()),
    0x0a4d00fa,
  );
  assert.equal(routerAddressOf(binding("GATEWAY=10.77.0.1\n"), dhcp()), null);
  // server_on_link without GATEWAY: the subnet's first address, as the lease names it.
  assert.equal(
    routerAddressOf(binding("IP=10.77.0.95\n"), dhcp("server_on_link = yes\n")),
    0x0a4d0001,
  );
});

Deno.test("gratuitousArp() goes to the broadcast MAC for a MACSPOOF binding, and is null without a router", () => {
  const spoof = gratuitousArp(
    binding("IP=10.77.0.95\nGATEWAY=10.77.0.1\nMACSPOOF=1\n"),
    dhcp(),
    INDEV,
  )!;
  assert.equal(hex(spoof.subarray(0, 6)), "ffffffffffff");
  assert.equal(gratuitousArp(binding("GATEWAY=10.77.0.1\n"), dhcp(), INDEV), null);
});
