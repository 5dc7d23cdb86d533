/** The DHCPv4 options a binding and [dhcp] give: the server address, names, lease part, routes. */
import assert from "node:assert/strict";
import {
  encodeOptions,
  requestedOnly,
  serverAddress,
  staticRoutes,
} from "../../src/serve/dhcp4_binding_options.ts";
import { OPTION } from "../../src/wire/dhcp4_options.ts";
import { BINDING, CONFIG, ip } from "./dhcp4_setup.ts";

const route = (destination: number, prefixLength: number, router: number) => ({
  destination,
  prefixLength,
  router,
});
const GW = ip(10, 77, 0, 1);

Deno.test("serverAddress() is server_ip, else (or on-link) the gateway, else the subnet's first address", () => {
  assert.equal(serverAddress(BINDING, CONFIG), ip(192, 0, 2, 1));
  assert.equal(serverAddress(BINDING, { ...CONFIG, serverOnLink: true }), GW);
  assert.equal(serverAddress(BINDING, { ...CONFIG, serverIp: null }), GW);
  const noGateway = { ...BINDING, gateway: null };
  assert.equal(serverAddress(noGateway, { ...CONFIG, serverOnLink: true }), ip(10, 77, 0, 1));
  const other = { ...noGateway, subnet: { network: ip(10, 9, 0, 0), prefixLength: 16 } };
  assert.equal(serverAddress(other, { ...CONFIG, serverOnLink: true }), ip(10, 9, 0, 1));
  assert.equal(serverAddress({ ...noGateway, subnet: null }, { ...CONFIG, serverIp: null }), null);
});

Deno.test("staticRoutes() is none for an on-link GATEWAY without routes listed", () => {
  assert.deepEqual(staticRoutes(BINDING, CONFIG), []);
});

Deno.test("staticRoutes() adds the GATEWAY as default route after the routes listed, unless one is", () => {
  const listed = [route(ip(192, 168, 0, 0), 16, ip(10, 77, 0, 2))];
  assert.deepEqual(staticRoutes(BINDING, { ...CONFIG, routes: listed }), [
    ...listed,
    route(0, 0, GW),
  ]);
  const withDefault = [...listed, route(0, 0, ip(10, 77, 0, 3))];
  assert.deepEqual(staticRoutes(BINDING, { ...CONFIG, routes: withDefault }), withDefault);
  const own = [route(ip(172, 16, 0, 0), 12, GW)];
  assert.deepEqual(
    staticRoutes({ ...BINDING, overrides: { routes: own } }, { ...CONFIG, routes: listed }),
    [...own, route(0, 0, GW)],
    "the binding's ROUTES replace [dhcp] routes",
  );
});

Deno.test("staticRoutes() for a PRIVATE binding: no gateway, no default routes of [dhcp]", () => {
  const routes = [route(ip(192, 168, 0, 0), 16, ip(10, 77, 0, 2)), route(0, 0, GW)];
  assert.deepEqual(staticRoutes({ ...BINDING, private: true }, { ...CONFIG, routes }), [routes[0]]);
  const own = [route(0, 0, ip(10, 77, 0, 9))];
  assert.deepEqual(
    staticRoutes({ ...BINDING, private: true, overrides: { routes: own } }, CONFIG),
    own,
    "the binding's own default route is kept",
  );
});

Deno.test("staticRoutes() reaches a GATEWAY outside SUBNET by a host route on the link first", () => {
  const routed = { ...BINDING, gateway: ip(169, 254, 0, 1) };
  assert.deepEqual(staticRoutes(routed, CONFIG), [
    route(ip(169, 254, 0, 1), 32, 0),
    route(0, 0, ip(169, 254, 0, 1)),
  ]);
  const listed = [route(ip(169, 254, 0, 1), 32, 0)];
  assert.deepEqual(staticRoutes(routed, { ...CONFIG, routes: listed }), [
    ...listed,
    route(0, 0, ip(169, 254, 0, 1)),
  ], "a host route listed is not added twice");
  const otherHost = [route(ip(192, 0, 2, 9), 32, ip(169, 254, 0, 1))];
  assert.deepEqual(staticRoutes(routed, { ...CONFIG, routes: otherHost }), [
    route(ip(169, 254, 0, 1), 32, 0),
    ...otherHost,
    route(0, 0, ip(169, 254, 0, 1)),
  ], "a host route to another address does not reach the gateway");
  assert.deepEqual(staticRoutes({ ...routed, subnet: null }, CONFIG), [], "no SUBNET: on the link");
});

Deno.test("encodeOptions() names: the hostname, then the binding's DOMAIN, [dhcp] domain, or the hostname's", () => {
  const names = (b = BINDING, c = CONFIG) =>
    encodeOptions(b, c).names.map(([code, v]) => [code, new TextDecoder().decode(v)]);
  assert.deepEqual(names(), [[12, "testvm"], [15, "example.test"]]);
  assert.deepEqual(names({ ...BINDING, overrides: { domain: "own.example" } }), [[12, "testvm"], [
    15,
    "own.example",
  ]]);
  assert.deepEqual(names({ ...BINDING, hostname: "vm.h.example" }, { ...CONFIG, domain: null }), [
    [12, "vm.h.example"],
    [15, "h.example"],
  ]);
  assert.deepEqual(
    names(BINDING, { ...CONFIG, domain: null }),
    [[12, "testvm"]],
    "no dot, no domain",
  );
  assert.deepEqual(names({ ...BINDING, hostname: null }, { ...CONFIG, domain: null }), []);
});

Deno.test("encodeOptions() lease part: 28, 1, 58, 51, 3, 26 in the original's order; PRIVATE has no router", () => {
  const codes = (b = BINDING) => encodeOptions(b, CONFIG).lease.map(([code]) => code);
  assert.deepEqual(codes({ ...BINDING, mtu: 1400 }), [28, 1, 58, 51, 3, 26]);
  assert.deepEqual(codes(), [28, 1, 58, 51, 3]);
  assert.deepEqual(codes({ ...BINDING, private: true }), [28, 1, 58, 51]);
  assert.deepEqual(codes({ ...BINDING, subnet: null, gateway: null }), [58, 51]);
  const lease = new Map(encodeOptions(BINDING, CONFIG).lease);
  assert.deepEqual(Array.from(lease.get(28)!), [10, 77, 0, 255]);
  assert.deepEqual(Array.from(lease.get(1)!), [255, 255, 255, 0]);
  assert.deepEqual(Array.from(lease.get(51)!), [0, 9, 0x3a, 0x80], "604800 s");
});

Deno.test("encodeOptions(): DNS from the binding or [dhcp], NTP and search only when set", () => {
  const o = encodeOptions(BINDING, CONFIG);
  assert.deepEqual(Array.from(o.dns!), [192, 0, 2, 2, 192, 0, 2, 3]);
  assert.deepEqual(o.more, []);
  assert.equal(o.routes, null);
  assert.equal(o.ipv6OnlyPreferred, null);
  assert.deepEqual(o.server, { address: ip(192, 0, 2, 1), id: Uint8Array.of(192, 0, 2, 1) });
  const own = encodeOptions(
    { ...BINDING, overrides: { nameservers: [], ntp: [ip(10, 0, 0, 5)] } },
    {
      ...CONFIG,
      domainSearch: ["a.example"],
      ipv6OnlyPreferred: 1800,
    },
  );
  assert.equal(own.dns, null, "an empty NAMESERVERS sends none");
  assert.deepEqual(own.more.map(([code]) => code), [OPTION.ntpServers, OPTION.domainSearch]);
  assert.deepEqual(Array.from(own.ipv6OnlyPreferred!), [0, 0, 0x07, 0x08]);
});

Deno.test("requestedOnly(): 121 when asked or without a list, 249 and 108 only when asked", () => {
  const o = encodeOptions(BINDING, {
    ...CONFIG,
    routes: [route(ip(192, 168, 0, 0), 16, GW)],
    ipv6OnlyPreferred: 300,
  });
  const codes = (prl: number[] | null) =>
    requestedOnly(o, prl === null ? null : Uint8Array.from(prl)).map(([code]) => code);
  assert.deepEqual(codes(null), [121]);
  assert.deepEqual(codes([1, 3]), []);
  assert.deepEqual(codes([121, 249, 108]), [121, 249, 108]);
  assert.deepEqual(codes([249]), [249]);
  assert.deepEqual(requestedOnly(encodeOptions(BINDING, CONFIG), Uint8Array.of(121, 249, 108)), []);
});
