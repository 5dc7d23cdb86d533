/** Unsolicited NAs for a VM that arrives: the router's link-local and GATEWAY6, overriding. */
import assert from "node:assert/strict";
import { formatIpv6 } from "../../src/address.ts";
import { unsolicitedNeighbourAdverts } from "../../src/serve/unsolicited.ts";
import type { NeighbourAdvertisement } from "../../src/wire/ndp.ts";
import { binding, decodeNdReply, HOST_LL, INDEV, v6 } from "./ipv6_setup.ts";

Deno.test("unsolicitedNeighbourAdverts() announces the router's link-local and GATEWAY6, overriding", () => {
  const frames = unsolicitedNeighbourAdverts(binding({ gateway6: v6("2001:db8:77::1") }), INDEV);
  assert.equal(frames.length, 2);
  const targets = frames.map((frame) => {
    const { ip, nd } = decodeNdReply(frame, "525400770010", "ff02::1", "neighbourAdvertisement");
    const na = nd as NeighbourAdvertisement;
    assert.equal(formatIpv6(ip.src), formatIpv6(na.target), "sent from its target");
    assert.deepEqual([na.router, na.solicited, na.override], [true, false, true]);
    assert.deepEqual(na.options, [{ kind: "targetLinkLayer", address: INDEV.mac }]);
    return formatIpv6(na.target);
  });
  assert.deepEqual(targets, [HOST_LL, "2001:db8:77::1"]);
});

Deno.test("unsolicitedNeighbourAdverts() without GATEWAY6, with MACSPOOF, and without SUBNET6", () => {
  const [only, ...rest] = unsolicitedNeighbourAdverts(binding({ macspoof: true }), INDEV);
  assert.deepEqual(rest, []);
  const { nd } = decodeNdReply(only!, "333300000001", "ff02::1", "neighbourAdvertisement");
  assert.equal(formatIpv6((nd as NeighbourAdvertisement).target), HOST_LL);
  assert.deepEqual(unsolicitedNeighbourAdverts(binding({ subnet6: null }), INDEV), []);
});

Deno.test("unsolicitedNeighbourAdverts() announces a GATEWAY6 that is the router's link-local once", () => {
  const frames = unsolicitedNeighbourAdverts(binding({ gateway6: v6(HOST_LL) }), INDEV);
  assert.equal(frames.length, 1);
  const { nd } = decodeNdReply(frames[0]!, "525400770010", "ff02::1", "neighbourAdvertisement");
  assert.equal(formatIpv6((nd as NeighbourAdvertisement).target), HOST_LL);
});

Deno.test("unsolicitedNeighbourAdverts() writes its frames where the allocator says", () => {
  const given: Uint8Array[] = [];
  const frames = unsolicitedNeighbourAdverts(binding(), INDEV, (length) => {
    const frame = new Uint8Array(length);
    given.push(frame);
    return frame;
  });
  assert.equal(frames.length, 1);
  assert.equal(frames[0], given[0], "the allocator's own buffer");
});
