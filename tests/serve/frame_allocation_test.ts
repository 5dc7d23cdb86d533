/** Every reply frame of the IPv6 responders comes from the daemon's FrameAllocator. */
import assert from "node:assert/strict";
import { service, type ServiceName } from "../../src/serve/services.ts";
import { FrameAllocator } from "../../src/wire/ethernet.ts";
import { contextOf } from "./context.ts";
import { BINDING, CONFIG, INDEV, packet, replyFrame } from "./ipv6_setup.ts";

/** A FrameAllocator that remembers what it handed out. */
class RecordingAllocator extends FrameAllocator {
  readonly given: Uint8Array[] = [];

  override allocate(length: number): Uint8Array {
    const frame = super.allocate(length);
    this.given.push(frame);
    return frame;
  }
}

const CASES: ReadonlyArray<readonly [ServiceName, string, number]> = [
  ["rs", "rdisc6_rs.pcap", 6],
  ["rs", "crafted_icmp6_rs_no_sllao.pcap", 2],
  ["ns", "kernel_ns_gateway_ping.pcap", 1],
  ["dhcp6", "dhclient6_stateful_solicit_request_renew_release.pcap", 1],
  ["dhcp6", "dhclient6_stateless_inforeq.pcap", 1],
];

for (const [name, file, frame] of CASES) {
  const { responder } = service(name);
  Deno.test(`${name} replies to ${file} #${frame} in a frame from context.frames`, () => {
    const frames = new RecordingAllocator();
    const context = contextOf({ binding: BINDING, ipv6: CONFIG, indev: INDEV, frames });
    const reply = replyFrame(responder.answer(packet(file, frame), context));
    assert.equal(frames.given.length, 1, "one allocation for the reply");
    assert.equal(reply, frames.given[0], "the reply is the allocated frame itself");
  });
}
