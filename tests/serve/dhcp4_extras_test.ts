/**
 * Issue 21's DHCPv4 features in the responder: network boot (siaddr, file, 66, 67), operator
 * options (OPTION_<n>, [dhcp] option_<n>, [host MAC]), LEASE, the IPv6-only OFFER (RFC 8925
 * section 3.3), the client's maximum message size (option 57) and the request's source port.
 */
import assert from "node:assert/strict";
import type { Binding, BindingOverrides } from "../../src/bindings/binding.ts";
import type { DhcpConfig } from "../../src/config/types.ts";
import type { CustomOption4 } from "../../src/dhcp4_custom_options.ts";
import { parseStaticRoutes4 } from "../../src/dhcp_values.ts";
import type { Decision } from "../../src/serve/decision.ts";
import { answerDhcp4Message } from "../../src/serve/dhcp4.ts";
import type { Dhcp4Message } from "../../src/wire/dhcp4.ts";
import { OPTION } from "../../src/wire/dhcp4_options.ts";
import { ReplyMemo } from "../../src/serve/memo.ts";
import { capturedFrame } from "../pcap.ts";
import { answerDhcp4Packet, contextOf } from "./context.ts";
import {
  addressedToUs,
  BINDING,
  CONFIG,
  decodeDhcp4Frame,
  type Dhcp4ReplyFrame,
  INDEV,
  ip,
  message,
  withOption,
} from "./dhcp4_setup.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

const DISCOVER = message("dhclient4_dora_renew_release.pcap", 1);
const INFORM = message("crafted_dhcp4_inform.pcap", 1);

const asking = (m: Dhcp4Message, codes: readonly number[] | null) =>
  withOption(m, OPTION.parameterList, codes === null ? null : Uint8Array.from(codes));

function decide(
  m: Dhcp4Message,
  binding: Partial<Binding> = {},
  config: Partial<DhcpConfig> = {},
): Decision {
  return answerDhcp4Message(
    m,
    contextOf({
      binding: { ...BINDING, ...binding },
      dhcp: { ...CONFIG, ...config },
      indev: INDEV,
    }),
  );
}

function reply(decision: Decision): Dhcp4ReplyFrame & { readonly debug?: string } {
  if (decision.kind !== "reply") assert.fail(`expected a reply: ${decision.why}`);
  return { ...decodeDhcp4Frame(decision.frame), debug: decision.debug };
}

const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
const nul = (field: Uint8Array) => decode(field.subarray(0, Math.max(0, field.indexOf(0))));

Deno.test("OFFER and ACK carry NEXT_SERVER in siaddr and BOOT_FILE in file; 66 and 67 only when asked", () => {
  const overrides: BindingOverrides = { nextServer: ip(10, 77, 0, 2), bootFile: "pxelinux.0" };
  const plain = reply(decide(asking(DISCOVER, [1, 3]), { overrides }));
  assert.equal(plain.dhcp.siaddr, ip(10, 77, 0, 2));
  assert.equal(nul(plain.dhcp.file), "pxelinux.0");
  assert.equal(plain.dhcp.options.has(66) || plain.dhcp.options.has(67), false);
  const asked = reply(decide(asking(DISCOVER, [67, 1, 66, 3]), { overrides }));
  assert.deepEqual([...asked.dhcp.options.keys()].slice(0, 4), [67, 1, 66, 3]);
  assert.equal(decode(asked.dhcp.options.get(66)), "10.77.0.2");
  assert.equal(decode(asked.dhcp.options.get(67)), "pxelinux.0");
  // INFORM's ACK tells the boot server too; without any, siaddr is 0 and file empty.
  assert.equal(reply(decide(INFORM, { overrides })).dhcp.siaddr, ip(10, 77, 0, 2));
  const none = reply(decide(DISCOVER));
  assert.equal(none.dhcp.siaddr, 0);
  assert.ok(none.dhcp.file.every((b) => b === 0));
});

Deno.test("[dhcp] next_server and boot_file apply to every binding; a binding's own replace them", () => {
  const config = { nextServer: ip(192, 0, 2, 69), bootFile: "ipxe.efi" };
  const global = reply(decide(DISCOVER, {}, config));
  assert.equal(global.dhcp.siaddr, ip(192, 0, 2, 69));
  assert.equal(nul(global.dhcp.file), "ipxe.efi");
  const own = reply(decide(DISCOVER, { overrides: { bootFile: "own.efi" } }, config));
  assert.equal(own.dhcp.siaddr, ip(192, 0, 2, 69));
  assert.equal(nul(own.dhcp.file), "own.efi");
});

Deno.test("a BOOT_FILE too long for file goes in option 67, asked for or not", () => {
  const name = `http://boot.example/${"x".repeat(120)}.efi`;
  const offer = reply(decide(asking(DISCOVER, [1, 3]), { overrides: { bootFile: name } }));
  assert.ok(offer.dhcp.file.every((b) => b === 0));
  assert.equal(decode(offer.dhcp.options.get(67)), name);
});

const option = (code: number, value: string, always = false): CustomOption4 => ({
  code,
  value: encode(value),
  always,
});

Deno.test("OPTION_<n> is sent when asked for, in the client's order; with ! always; never unasked otherwise", () => {
  const overrides = { options: [option(150, "tftp"), option(252, "http://wpad/wpad.dat")] };
  const asked = reply(decide(asking(DISCOVER, [252, 1, 3, 150]), { overrides }));
  assert.deepEqual([...asked.dhcp.options.keys()].slice(0, 4), [252, 1, 3, 150]);
  assert.equal(decode(asked.dhcp.options.get(252)), "http://wpad/wpad.dat");
  const unasked = reply(decide(asking(DISCOVER, [1, 3]), { overrides }));
  assert.equal(unasked.dhcp.options.has(252) || unasked.dhcp.options.has(150), false);
  const always = reply(decide(asking(DISCOVER, [1, 3]), {
    overrides: { options: [option(252, "pushed", true)] },
  }));
  assert.equal(decode(always.dhcp.options.get(252)), "pushed");
});

Deno.test("OPTION_<n> replaces a value the daemon sends, keeping its place; binding over host over [dhcp]", () => {
  const dns = { code: 6, value: Uint8Array.of(198, 51, 100, 9), always: false };
  const replaced = reply(decide(asking(DISCOVER, [1, 3]), { overrides: { options: [dns] } }));
  assert.deepEqual([...replaced.dhcp.options.get(6)!], [198, 51, 100, 9]);
  const config = {
    options: [option(252, "global"), option(150, "global")],
    hosts: new Map([[BINDING.macText, [option(252, "host"), option(43, "host")]]]),
  };
  const prl = [252, 150, 43, 1, 3];
  const fromHost = reply(decide(asking(DISCOVER, prl), {}, config)).dhcp.options;
  assert.deepEqual([252, 150, 43].map((c) => decode(fromHost.get(c))), ["host", "global", "host"]);
  const fromBinding = reply(
    decide(asking(DISCOVER, prl), { overrides: { options: [option(43, "binding")] } }, config),
  ).dhcp.options;
  assert.equal(decode(fromBinding.get(43)), "binding");
  // Another MAC gets [dhcp]'s only.
  const other = reply(decide(asking(DISCOVER, prl), {}, { ...config, hosts: new Map() }));
  assert.equal(decode(other.dhcp.options.get(252)), "global");
  assert.equal(other.dhcp.options.has(43), false);
});

Deno.test("an OPTION_<n> over 255 bytes goes as consecutive instances (RFC 3396)", () => {
  const value = new Uint8Array(300).map((_, i) => i & 0xff);
  const request = withOption(asking(DISCOVER, [224, 1, 3]), 57, u16(1500));
  const decision = decide(request, {
    overrides: { options: [{ code: 224, value, always: false }] },
  });
  const offer = reply(decision);
  assert.deepEqual(offer.dhcp.options.get(224), value);
  // The raw options field: 224/255, then 224/45, right after each other.
  const payload = offer.udp.payload;
  const at = payload.indexOf(224, 240);
  assert.deepEqual([payload[at + 1], payload[at + 257], payload[at + 258]], [255, 224, 45]);
});

Deno.test("LEASE sets option 51; T1 stays lease_renewal unless that is not before 7/8 of it", () => {
  const long = reply(decide(DISCOVER, { overrides: { leaseTime: 3600 } })).dhcp.options;
  assert.deepEqual([...long.get(51)!], [0, 0, 0x0e, 0x10]);
  assert.deepEqual([...long.get(58)!], [0, 0, 0x02, 0x58]); // 600
  const short = reply(decide(DISCOVER, { overrides: { leaseTime: 600 } })).dhcp.options;
  assert.deepEqual([...short.get(51)!], [0, 0, 0x02, 0x58]);
  assert.deepEqual([...short.get(58)!], [0, 0, 0x01, 0x2c]); // 300
  const infinite = reply(decide(DISCOVER, { overrides: { leaseTime: 0xffffffff } })).dhcp.options;
  assert.deepEqual([...infinite.get(58)!], [0, 0, 0x02, 0x58]);
});

const V6_ONLY: Partial<Binding> = {
  ip: null,
  subnet: null,
  gateway: null,
  subnet6: { prefix: new Uint8Array(16).fill(0x20, 0, 1), prefixLength: 64 },
};

Deno.test("a binding with SUBNET6 and no IP answers a DISCOVER asking for 108 with an OFFER of 0.0.0.0", () => {
  const offer = reply(decide(asking(DISCOVER, [1, 3, 108]), V6_ONLY, { ipv6OnlyPreferred: 1800 }));
  assert.equal(offer.dhcp.yiaddr, 0);
  assert.deepEqual([...offer.dhcp.options.keys()], [108, 53, 54]);
  assert.deepEqual([...offer.dhcp.options.get(108)!], [0, 0, 0x07, 0x08]);
  assert.equal(offer.dhcp.options.get(53)?.[0], 2);
  // Without ipv6_only_preferred the wait is 0 (RFC 8925 section 3.1: the client's minimum).
  const unset = reply(decide(asking(DISCOVER, [108]), V6_ONLY));
  assert.deepEqual([...unset.dhcp.options.get(108)!], [0, 0, 0, 0]);
});

Deno.test("an IPv6-only binding answers nothing else: no 108 asked, a REQUEST, or no SUBNET6", () => {
  const dropped = (d: Decision) => {
    assert.equal(d.kind, "drop");
    if (d.kind === "drop") assert.match(d.why, /the binding has no IP$/);
  };
  dropped(decide(asking(DISCOVER, [1, 3]), V6_ONLY));
  dropped(decide(asking(message("dhclient4_dora_renew_release.pcap", 3), [108]), V6_ONLY));
  dropped(decide(asking(DISCOVER, [108]), { ...V6_ONLY, subnet6: null }));
});

/** 40 routes and 30 search domains: an OFFER of about 900 bytes, as in issue 21. */
const BIG = (() => {
  const text = Array.from({ length: 40 }, (_, i) => `10.${i}.0.0/16 10.77.0.1`).join(", ");
  const routes = parseStaticRoutes4(text);
  if (typeof routes === "string") throw new Error(routes);
  const domainSearch = Array.from({ length: 30 }, (_, i) => `zone${i}.tenant${i}.example.test`);
  return { routes, domainSearch };
})();
const BIG_PRL = [1, 3, 6, 15, 12, 28, 121, 119, 42];

Deno.test("an OFFER fits the client's maximum message size: overload first, then the last asked left out", () => {
  const full = reply(decide(withOption(asking(DISCOVER, BIG_PRL), 57, u16(1500)), {}, BIG));
  assert.ok(full.ip.totalLength > 900, `${full.ip.totalLength}`);
  // Without option 57 a client takes 576 (RFC 2131 section 2).
  const offer = reply(decide(withOption(asking(DISCOVER, BIG_PRL), 57, null), {}, BIG));
  assert.ok(offer.ip.totalLength <= 576, `${offer.ip.totalLength}`);
  assert.equal(offer.dhcp.options.get(52)?.[0], 1);
  for (const code of [1, 3, 51, 53, 54]) assert.ok(offer.dhcp.options.has(code), `${code}`);
  // From the end: 58 (not asked for), then 119 (asked last) go; then 58 fits again and is back.
  assert.equal(offer.dhcp.options.has(119), false);
  assert.equal(offer.dhcp.options.has(58), true);
  assert.deepEqual(offer.dhcp.options.get(121), full.dhcp.options.get(121));
  assert.equal(
    offer.debug,
    "DHCPOFFER 10.77.0.95: options overloaded into file; left out option 119 to fit 576 bytes",
  );
  // Asked for the other way round, 121 goes first, then 119, which alone is too long: 121 is
  // taken back, and only 119 is left out again.
  const swapped = BIG_PRL.map((c) => c === 121 ? 119 : c === 119 ? 121 : c);
  const other = reply(decide(withOption(asking(DISCOVER, swapped), 57, null), {}, BIG));
  assert.deepEqual(other.dhcp.options.get(121), full.dhcp.options.get(121));
  assert.equal(other.dhcp.options.has(119), false);
  assert.match(other.debug ?? "", /left out option 119 to fit/);
  // 576 announced (or less, which counts as 576): the same.
  for (const size of [576, 300]) {
    const fitted = reply(decide(withOption(asking(DISCOVER, BIG_PRL), 57, u16(size)), {}, BIG));
    assert.ok(fitted.ip.totalLength <= 576, `${size}: ${fitted.ip.totalLength}`);
  }
  // 1500 announced: everything, no overload.
  const roomy = reply(decide(withOption(asking(DISCOVER, BIG_PRL), 57, u16(1500)), {}, BIG));
  assert.equal(roomy.dhcp.options.has(52), false);
  assert.equal(roomy.dhcp.options.has(119), true);
  assert.equal(roomy.debug, undefined);
});

Deno.test("an OFFER fits the link's MTU below the client's limit, and keeps a boot file's file field", () => {
  const request = withOption(asking(DISCOVER, BIG_PRL), 57, u16(1500));
  const offer = reply(decide(request, { mtu: 600 }, BIG));
  assert.ok(offer.ip.totalLength <= 600, `${offer.ip.totalLength}`);
  // file holds the boot file name the client did not ask for in 67: only sname is overloaded.
  const boot = reply(
    decide(withOption(asking(DISCOVER, BIG_PRL), 57, null), {
      overrides: { bootFile: "pxelinux.0" },
    }, BIG),
  );
  assert.ok(boot.ip.totalLength <= 576);
  assert.equal(boot.dhcp.options.get(52)?.[0], 2);
  assert.equal(nul(boot.dhcp.file), "pxelinux.0");
  // Asked for in 67 (last), the name may leave file for options, and 67 itself always stays.
  const in67 = reply(
    decide(withOption(asking(DISCOVER, [...BIG_PRL, 67]), 57, null), {
      overrides: { bootFile: "pxelinux.0" },
    }, BIG),
  );
  assert.ok(in67.ip.totalLength <= 576);
  assert.equal(in67.dhcp.options.get(52)![0]! & 1, 1);
  assert.equal(decode(in67.dhcp.options.get(67)), "pxelinux.0");
});

Deno.test("a DHCPv4 reply goes to the request's UDP source port", () => {
  const packet = addressedToUs(capturedFrame("dhclient4_dora_renew_release.pcap", 1).ipPacket);
  const udpAt = (packet[0]! & 0x0f) * 4;
  packet.set([0x04, 0x2c], udpAt); // source port 1068
  const decision = answerDhcp4Packet(packet, BINDING, CONFIG, INDEV);
  const offer = reply(decision);
  assert.equal(offer.udp.dstPort, 1068);
  assert.equal(offer.udp.srcPort, 67);
});

Deno.test("a kept reply too large for INDEV's MTU now is built again to fit", () => {
  const memo = new ReplyMemo();
  const request = withOption(asking(DISCOVER, BIG_PRL), 57, u16(1500));
  const binding = BINDING;
  const dhcp = { ...CONFIG, ...BIG };
  const at = (mtu: number) =>
    reply(
      answerDhcp4Message(request, contextOf({ binding, dhcp, indev: { ...INDEV, mtu }, memo })),
    );
  assert.ok(at(1500).ip.totalLength > 900);
  assert.ok(at(600).ip.totalLength <= 600);
  // The first was found in the memo and not used.
  assert.equal(memo.dhcp4Replies.hits, 1);
});
