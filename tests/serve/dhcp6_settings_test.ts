/** Tests for the configuration options of DHCPv6 replies: NTP (56), boot URL (59), client FQDN (39), information refresh time (32) and OPTION6_<n>. */
import assert from "node:assert/strict";
import { DHCP6_MESSAGE, type Dhcp6Message } from "../../src/wire/dhcp6.ts";
import type { Dhcp6Option } from "../../src/wire/dhcp6_options.ts";
import { binding, config, craftDhcp6, hex, replyFrame, v6 } from "./ipv6_setup.ts";
import { answer, DNS, DOMAINS, packet, reply, request, STATEFUL } from "./dhcp6_setup.ts";

const INFO = "dhcp6c_inforeq.pcap";
const utf8 = new TextEncoder();

/** The raw options (code: hex) of a reply after the client and server identifiers. */
function rawOptions(m: Dhcp6Message): string[] {
  return m.options.slice(2).map((o) => o.kind === "unknown" ? `${o.code}:${hex(o.data)}` : o.kind);
}

/** `m` asking for `codes` in its option request (replacing the one it had). */
function asking(m: Dhcp6Message, ...codes: number[]): Uint8Array {
  const options: Dhcp6Option[] = [
    ...m.options.filter((o) => o.kind !== "optionRequest"),
    { kind: "optionRequest", codes },
  ];
  return craftDhcp6({ ...m, options });
}

/** Option 56 for 2001:db8::123: one NTP_SUBOPTION_SRV_ADDR (RFC 5908 section 4.1), by hand. */
const NTP_123 = "56:" + "0001" + "0010" + "20010db8000000000000000000000123";

Deno.test("answerDhcp6() sends NTP servers and the boot URL only to a client that asks for them", () => {
  const c = config({ ntpServers: [v6("2001:db8::123")], bootUrl: "http://boot/a.efi" });
  const info = request(INFO, 1);
  const asked = reply(replyFrame(answer(asking(info, 23, 56, 59), binding(), c)), 7, 0xb42748);
  assert.deepEqual(rawOptions(asked), [
    "dnsServers",
    "domainList",
    NTP_123,
    `59:${hex(utf8.encode("http://boot/a.efi"))}`,
    "32:00015180",
  ]);
  const unasked = reply(replyFrame(answer(asking(info, 23), binding(), c)), 7, 0xb42748);
  assert.deepEqual(rawOptions(unasked), ["dnsServers", "domainList", "32:00015180"]);
});

Deno.test("answerDhcp6() takes NTP's IPv6 servers and BOOT_URL6 from the binding before the configuration's", () => {
  const c = config({ ntpServers: [v6("2001:db8::1")], bootUrl: "http://boot/a.efi" });
  const b = binding({
    dhcp6: { ntpServers: [v6("2001:db8::123")], bootUrl: "https://vm/b.efi" },
  });
  const m = reply(replyFrame(answer(asking(request(INFO, 1), 56, 59), b, c)), 7, 0xb42748);
  assert.deepEqual(rawOptions(m).slice(2, 4), [
    NTP_123,
    `59:${hex(utf8.encode("https://vm/b.efi"))}`,
  ]);
});

Deno.test("answerDhcp6() sends the configured information refresh time to Information-requests only", () => {
  const c = config({ mode: "dhcpv6", informationRefreshTime: 7200 });
  const info = reply(replyFrame(answer(packet(INFO, 1), binding(), c)), 7, 0xb42748);
  assert.deepEqual(rawOptions(info).at(-1), "32:00001c20");
  const advertise = reply(
    replyFrame(answer(packet(STATEFUL, 1), binding(), c)),
    DHCP6_MESSAGE.advertise,
    0x3e19f8,
  );
  assert.ok(!rawOptions(advertise).some((o) => o.startsWith("32:")), `${rawOptions(advertise)}`);
});

Deno.test("answerDhcp6() answers option 39 with HOSTNAME: N set, fully qualified when it has a dot", () => {
  // networkd's Solicit carries option 39 with S set: we reply N and O (0x06), and the full name.
  const m = reply(
    replyFrame(
      answer(packet("networkd_dhcp4_dhcp6_ra.pcap", 3), binding({ hostname: "vm.example" })),
    ),
    DHCP6_MESSAGE.reply,
    0x412e14,
  );
  // Flags, then 02 "vm" 07 "example" and the root label (RFC 4704 section 4.2), by hand.
  assert.ok(rawOptions(m).includes("39:0602766d076578616d706c6500"), `${rawOptions(m)}`);
  // Without a HOSTNAME, or to a client that neither sends 39 nor asks for it, no option 39.
  const nameless = reply(
    replyFrame(answer(packet("networkd_dhcp4_dhcp6_ra.pcap", 3), binding({ hostname: null }))),
    DHCP6_MESSAGE.reply,
    0x412e14,
  );
  assert.ok(!rawOptions(nameless).some((o) => o.startsWith("39:")));
  const info = reply(replyFrame(answer(packet(INFO, 1))), 7, 0xb42748);
  assert.ok(!rawOptions(info).some((o) => o.startsWith("39:")));
});

Deno.test("answerDhcp6() sends OPTION6_<n> when asked, in the request's order, and OPTION6_<n>! always", () => {
  const b = binding({
    dhcp6: {
      options: [
        { code: 17, data: Uint8Array.of(0, 0, 0, 9), always: false },
        { code: 65000, data: utf8.encode("x"), always: true },
        { code: 64999, data: Uint8Array.of(1), always: false },
        { code: 143, data: Uint8Array.of(2), always: false },
      ],
    },
  });
  const m = reply(
    replyFrame(answer(asking(request(INFO, 1), 143, 23, 17), b, config())),
    7,
    0xb42748,
  );
  assert.deepEqual(rawOptions(m), [
    "dnsServers",
    "domainList",
    "32:00015180",
    "143:02",
    "17:00000009",
    "65000:78",
  ]);
});

Deno.test("answerDhcp6() lets an OPTION6_<n> replace the option of that code the daemon builds", () => {
  const servers = "2001:db8::99";
  const b = binding({
    dhcp6: { options: [{ code: 23, data: v6(servers), always: true }] },
  });
  const m = reply(replyFrame(answer(packet(INFO, 1), b)), 7, 0xb42748);
  assert.deepEqual(m.options.slice(2), [
    DOMAINS,
    { kind: "unknown", code: 32, data: Uint8Array.of(0, 1, 0x51, 0x80) },
    // Parsed back, the binding's option 23 reads as the DNS servers, in place of CONFIG's.
    { kind: "dnsServers", servers: [v6(servers)] },
  ]);
  assert.ok(!m.options.some((o) => JSON.stringify(o) === JSON.stringify(DNS)));
});

Deno.test("answerDhcp6() sends [ipv6] option6_<n> and the VM's [host MAC] ones, the binding's over the host's over the global's", () => {
  const opt = (code: number, text: string, always = false) => ({
    code,
    data: utf8.encode(text),
    always,
  });
  const c = config({
    options: [opt(65001, "global"), opt(65002, "global"), opt(65003, "global", true)],
    hosts: new Map([
      ["52:54:00:77:00:10", [opt(65002, "host"), opt(65004, "host", true)]],
      ["52:54:00:00:00:99", [opt(65001, "another VM")]],
    ]),
  });
  const b = binding({ dhcp6: { options: [opt(65004, "binding", true)] } });
  const info = asking(request(INFO, 1), 65001, 65002);
  const text = (s: string) => hex(utf8.encode(s));
  const m = reply(replyFrame(answer(info, b, c)), 7, 0xb42748);
  // 65001 is the global's: the section of another MAC is not this VM's.
  assert.deepEqual(rawOptions(m).slice(3), [
    `65001:${text("global")}`,
    `65002:${text("host")}`,
    `65004:${text("binding")}`,
    `65003:${text("global")}`,
  ]);
});
