/**
 * What VMs ask for next: classless static routes (121, 249), search list (119), NTP (42),
 * IPv6-only preferred (108), the parameter request list's order, and per-binding overrides.
 */
import assert from "node:assert/strict";
import type { Binding, BindingOverrides } from "../../src/bindings/binding.ts";
import type { DhcpConfig } from "../../src/config/types.ts";
import { parseStaticRoutes4, type StaticRoute4 } from "../../src/dhcp_values.ts";
import { answerDhcp4Message } from "../../src/serve/dhcp4.ts";
import type { Dhcp4Message } from "../../src/wire/dhcp4.ts";
import { OPTION, parseClasslessRoutes } from "../../src/wire/dhcp4_options.ts";
import { parseCompressedDomainNames } from "../../src/wire/dns_name.ts";
import { contextOf } from "./context.ts";
import { BINDING, CONFIG, decodeDhcp4Frame, INDEV, ip, message } from "./dhcp4_setup.ts";

const DISCOVER = message("dhclient4_dora_renew_release.pcap", 1);
const INFORM = message("crafted_dhcp4_inform.pcap", 1);

/** `m` with option 55 set to `codes` (null: left out). */
function asking(m: Dhcp4Message, codes: readonly number[] | null): Dhcp4Message {
  const options = new Map(m.options);
  if (codes === null) options.delete(OPTION.parameterList);
  else options.set(OPTION.parameterList, Uint8Array.from(codes));
  return { ...m, options };
}

/** The reply's options, in order, for `m` with `binding` and `config` changes. */
function replyOptions(
  m: Dhcp4Message,
  binding: Partial<Binding> = {},
  config: Partial<DhcpConfig> = {},
): Map<number, Uint8Array> {
  const decision = answerDhcp4Message(
    m,
    contextOf({
      binding: { ...BINDING, ...binding },
      dhcp: { ...CONFIG, ...config },
      indev: INDEV,
    }),
  );
  if (decision.kind !== "reply") assert.fail(`expected a reply: ${decision.why}`);
  return new Map(decodeDhcp4Frame(decision.frame).dhcp.options);
}

function routes(text: string): StaticRoute4[] {
  const parsed = parseStaticRoutes4(text);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

/** Option 121 or 249 read back as `DEST/LEN ROUTER` text. */
function routesIn(options: Map<number, Uint8Array>, code: number): string[] | undefined {
  const value = options.get(code);
  if (value === undefined) return undefined;
  const parsed = parseClasslessRoutes(value);
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
  const text = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  return parsed.value.map((r) => `${text(r.destination)}/${r.prefixLength} ${text(r.router)}`);
}

const WITH_ROUTES = [1, 3, 6, 121, 249];

Deno.test("answerDhcp4Message() sends a binding's ROUTES in 121 and 249, the GATEWAY as default route after them", () => {
  const overrides: BindingOverrides = {
    routes: routes("10.1.0.0/16 10.77.0.254, 192.0.2.128/25 10.77.0.253"),
  };
  const options = replyOptions(asking(DISCOVER, WITH_ROUTES), { overrides });
  const expected = ["10.1.0.0/16 10.77.0.254", "192.0.2.128/25 10.77.0.253", "0.0.0.0/0 10.77.0.1"];
  assert.deepEqual(routesIn(options, OPTION.classlessRoutes), expected);
  assert.deepEqual(routesIn(options, OPTION.msClasslessRoutes), expected);
  // RFC 3442's encoding, byte for byte: width, significant octets, router.
  assert.deepEqual(
    [...options.get(OPTION.classlessRoutes)!],
    [16, 10, 1, 10, 77, 0, 254, 25, 192, 0, 2, 128, 10, 77, 0, 253, 0, 10, 77, 0, 1],
  );
  // Option 3 stays for clients that do not take 121.
  assert.deepEqual([...options.get(OPTION.router)!], [10, 77, 0, 1]);
});

Deno.test("answerDhcp4Message() gives a routed /32 with an off-link GATEWAY a host route to it and a default route", () => {
  const binding: Partial<Binding> = {
    ip: ip(203, 0, 113, 5),
    subnet: { network: ip(203, 0, 113, 5), prefixLength: 32 },
    gateway: ip(169, 254, 0, 1),
  };
  const options = replyOptions(asking(DISCOVER, WITH_ROUTES), binding);
  assert.deepEqual(routesIn(options, OPTION.classlessRoutes), [
    "169.254.0.1/32 0.0.0.0",
    "0.0.0.0/0 169.254.0.1",
  ]);
  // An on-link GATEWAY and no routes: option 3 says it all.
  assert.equal(replyOptions(asking(DISCOVER, WITH_ROUTES)).has(OPTION.classlessRoutes), false);
});

Deno.test("answerDhcp4Message() sends 121 when asked or when there is no request list, 249 only when asked", () => {
  const config = { routes: routes("10.1.0.0/16 10.77.0.254") };
  const only121 = replyOptions(asking(DISCOVER, [1, 3, 121]), {}, config);
  assert.equal(only121.has(OPTION.classlessRoutes), true);
  assert.equal(only121.has(OPTION.msClasslessRoutes), false);
  const only249 = replyOptions(asking(DISCOVER, [1, 3, 249]), {}, config);
  assert.equal(only249.has(OPTION.classlessRoutes), false);
  assert.deepEqual(routesIn(only249, OPTION.msClasslessRoutes), [
    "10.1.0.0/16 10.77.0.254",
    "0.0.0.0/0 10.77.0.1",
  ]);
  assert.equal(replyOptions(asking(DISCOVER, [1, 3, 6])).has(OPTION.classlessRoutes), false);
  const noList = replyOptions(asking(DISCOVER, null), {}, config);
  assert.equal(noList.has(OPTION.classlessRoutes), true);
  assert.equal(noList.has(OPTION.msClasslessRoutes), false);
});

Deno.test("answerDhcp4Message() keeps a PRIVATE binding without default routes, configured or from GATEWAY", () => {
  const config = { routes: routes("10.1.0.0/16 10.77.0.254, 0.0.0.0/0 10.77.0.254") };
  const options = replyOptions(asking(DISCOVER, WITH_ROUTES), { private: true }, config);
  assert.deepEqual(routesIn(options, OPTION.classlessRoutes), ["10.1.0.0/16 10.77.0.254"]);
  assert.equal(options.has(OPTION.router), false);
  // A listed default route replaces the GATEWAY's.
  const listed = replyOptions(asking(DISCOVER, WITH_ROUTES), {}, config);
  assert.deepEqual(routesIn(listed, OPTION.classlessRoutes), [
    "10.1.0.0/16 10.77.0.254",
    "0.0.0.0/0 10.77.0.254",
  ]);
});

Deno.test("answerDhcp4Message() sends the search list compressed (119) and NTP servers (42)", () => {
  const config = {
    domainSearch: ["eng.example.test", "ops.example.test", "example.test"],
    ntpServers: [ip(192, 0, 2, 123), ip(192, 0, 2, 124)],
  };
  const options = replyOptions(asking(DISCOVER, [1, 3, 119, 42]), {}, config);
  const search = options.get(OPTION.domainSearch)!;
  const names = parseCompressedDomainNames(search);
  assert.ok(names.ok);
  assert.deepEqual(names.value, config.domainSearch);
  // eng.example.test in full (18), ops + pointer (6), a pointer alone (2).
  assert.equal(search.length, 26);
  assert.deepEqual([...options.get(OPTION.ntpServers)!], [192, 0, 2, 123, 192, 0, 2, 124]);
  // INFORM's ACK carries them too.
  const inform = replyOptions(INFORM, {}, config);
  assert.equal(inform.has(OPTION.domainSearch), true);
  assert.equal(inform.has(OPTION.ntpServers), true);
  // Not configured: not sent.
  const plain = replyOptions(asking(DISCOVER, [1, 3, 119, 42]));
  assert.equal(plain.has(OPTION.domainSearch) || plain.has(OPTION.ntpServers), false);
});

Deno.test("answerDhcp4Message() sends IPv6-only preferred (108) only when configured and asked for", () => {
  const config = { ipv6OnlyPreferred: 1800 };
  const asked = replyOptions(asking(DISCOVER, [1, 3, 108]), {}, config);
  assert.deepEqual([...asked.get(OPTION.ipv6OnlyPreferred)!], [0, 0, 0x07, 0x08]);
  assert.equal(replyOptions(asking(DISCOVER, [1, 3]), {}, config).has(108), false);
  assert.equal(replyOptions(asking(DISCOVER, null), {}, config).has(108), false);
  assert.equal(replyOptions(asking(DISCOVER, [1, 3, 108])).has(108), false);
});

Deno.test("answerDhcp4Message() puts the requested options first, in the client's order, then the rest", () => {
  const options = replyOptions(asking(DISCOVER, [6, 15, 42, 3, 1]), {}, {
    ntpServers: [ip(192, 0, 2, 123)],
  });
  assert.deepEqual(
    [...options.keys()],
    [6, 15, 42, 3, 1, 12, 28, 58, 51, 53, 54],
  );
  // A list naming none of what a client needs still gets all of it.
  const none = replyOptions(asking(DISCOVER, [200]));
  for (const code of [1, 3, 51, 53, 54]) assert.ok(none.has(code), `option ${code}`);
  // Without a list: our own order, the original's.
  assert.deepEqual(
    [...replyOptions(asking(DISCOVER, null)).keys()],
    [12, 15, 28, 1, 58, 51, 3, 6, 53, 54],
  );
});

Deno.test("answerDhcp4Message() lets a binding's NAMESERVERS, DOMAIN, DOMAIN_SEARCH and NTP replace the config's", () => {
  const overrides: BindingOverrides = {
    nameservers: [ip(198, 51, 100, 53)],
    domain: "tenant.example",
    domainSearch: ["tenant.example"],
    ntp: [ip(198, 51, 100, 123)],
  };
  const config = { domainSearch: ["example.test"], ntpServers: [ip(192, 0, 2, 123)] };
  const options = replyOptions(asking(DISCOVER, [1, 3, 6, 15, 42, 119]), { overrides }, config);
  assert.deepEqual([...options.get(OPTION.dnsServers)!], [198, 51, 100, 53]);
  assert.equal(new TextDecoder().decode(options.get(OPTION.domainName)), "tenant.example");
  assert.deepEqual([...options.get(OPTION.ntpServers)!], [198, 51, 100, 123]);
  const search = parseCompressedDomainNames(options.get(OPTION.domainSearch)!);
  assert.deepEqual(search.ok && search.value, ["tenant.example"]);
  // Another VM on the same config keeps the config's.
  const other = replyOptions(asking(DISCOVER, [1, 3, 6, 15, 42, 119]), {}, config);
  assert.deepEqual([...other.get(OPTION.dnsServers)!], [192, 0, 2, 2, 192, 0, 2, 3]);
  assert.equal(new TextDecoder().decode(other.get(OPTION.domainName)), "example.test");
});
