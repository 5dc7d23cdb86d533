/** The service table: which queues a configuration asks for, and which packets each row takes. */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/config.ts";
import { classify } from "../../src/serve/decide.ts";
import { isQueued, serviceQueues, SERVICES } from "../../src/serve/services.ts";
import { capturedFrame } from "../pcap.ts";

function configOf(text: string) {
  const parsed = parseConfig(`[dhcp]\nserver_ip = 10.0.0.1\n${text}`, "test.conf");
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  return parsed.config;
}

const queues = (text: string) =>
  serviceQueues(configOf(text)).map((q) => `${q.service.name} ${q.queue}`);

Deno.test("serviceQueues() lists the queue of each service the configuration turns on, in the table's order", () => {
  assert.deepEqual(queues(""), ["dhcp4 42", "rs 43", "ns 44", "dhcp6 45"]);
  assert.deepEqual(queues("dhcp_queue = 7\n[ipv6]\nenable_ipv6 = no\n"), ["dhcp4 7"]);
  assert.deepEqual(queues("enable_dhcp = no\n"), ["rs 43", "ns 44", "dhcp6 45"]);
  assert.deepEqual(
    queues("[ipv6]\nmode = slaac\nrs_queue = 50\nns_queue = 51\n"),
    ["dhcp4 42", "rs 50", "ns 51"],
    "a mode without DHCPv6 gives it no queue",
  );
  assert.equal(
    isQueued("dhcp6", configOf("[ipv6]\nmode = slaac\nrs_queue = 50\nns_queue = 51\n")),
    false,
  );
});

Deno.test("each row takes its own protocol's packets, told from the headers alone", () => {
  const samples: Record<string, Uint8Array> = {
    dhcp4: capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket,
    rs: capturedFrame("rdisc6_rs.pcap", 1).ipPacket,
    ns: capturedFrame("kernel_ns_gateway_ping.pcap", 1).ipPacket,
    dhcp6: capturedFrame("dhcp6c_inforeq.pcap", 1).ipPacket,
  };
  assert.deepEqual(SERVICES.map((s) => s.name), Object.keys(samples));
  for (const [name, packet] of Object.entries(samples)) assert.equal(classify(packet), name);
  assert.equal(new Set(SERVICES.map((s) => JSON.stringify(s.answers))).size, SERVICES.length);
});
