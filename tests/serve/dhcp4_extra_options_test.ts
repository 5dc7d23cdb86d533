/** Network boot, the operator's options and a binding's lease time, as they go into a reply. */
import assert from "node:assert/strict";
import type { CustomOption4 } from "../../src/dhcp4_custom_options.ts";
import {
  BOOT_FILE_NAME,
  type Dhcp4Extras,
  encodeExtras,
  leaseTimes,
  withExtras,
} from "../../src/serve/dhcp4_extra_options.ts";
import { BINDING, CONFIG, ip } from "./dhcp4_setup.ts";

const text = (s: string) => new TextEncoder().encode(s);
const opt = (code: number, value: string, always = false): CustomOption4 => ({
  code,
  value: text(value),
  always,
});
const NONE: Dhcp4Extras = { siaddr: 0, file: null, tftpServer: null, bootFile: null, custom: [] };

Deno.test("encodeExtras() without network boot or options gives nothing to add", () => {
  assert.deepEqual(encodeExtras(BINDING, CONFIG), NONE);
});

Deno.test("encodeExtras() takes next_server and boot_file, and the binding's own over them", () => {
  const config = { ...CONFIG, nextServer: ip(10, 77, 0, 2), bootFile: "pxelinux.0" };
  assert.deepEqual(encodeExtras(BINDING, config), {
    siaddr: ip(10, 77, 0, 2),
    file: text("pxelinux.0"),
    tftpServer: text("10.77.0.2"),
    bootFile: text("pxelinux.0"),
    custom: [],
  });
  const own = { ...BINDING, overrides: { nextServer: ip(10, 77, 0, 3), bootFile: "grub.efi" } };
  const extras = encodeExtras(own, config);
  assert.equal(extras.siaddr, ip(10, 77, 0, 3));
  assert.deepEqual(extras.tftpServer, text("10.77.0.3"));
  assert.deepEqual(extras.file, text("grub.efi"));
});

Deno.test("encodeExtras() leaves a name past 127 bytes out of the file field, not out of option 67", () => {
  const at127 = encodeExtras(BINDING, { ...CONFIG, bootFile: "a".repeat(127) });
  assert.equal(at127.file?.length, 127);
  const at128 = encodeExtras(BINDING, { ...CONFIG, bootFile: "a".repeat(128) });
  assert.equal(at128.file, null);
  assert.equal(at128.bootFile?.length, 128);
});

Deno.test("encodeExtras() merges [dhcp], the host's section and the binding by code, the later winning", () => {
  const config = {
    ...CONFIG,
    options: [opt(252, "conf"), opt(43, "conf")],
    hosts: new Map([[BINDING.macText, [opt(252, "host"), opt(100, "host")]], ["52:54:00:00:00:01", [
      opt(
        200,
        "other VM",
      ),
    ]]]),
  };
  const binding = { ...BINDING, overrides: { options: [opt(100, "binding", true)] } };
  assert.deepEqual(encodeExtras(binding, config).custom, [
    opt(43, "conf"),
    opt(100, "binding", true),
    opt(252, "host"),
  ]);
});

Deno.test("withExtras() adds 66 and 67 when asked, 67 unasked when the file field cannot hold it", () => {
  const extras = { ...NONE, tftpServer: text("10.77.0.2"), bootFile: text("x"), file: text("x") };
  const parts = [[1, text("m")] as const];
  assert.deepEqual(withExtras(parts, extras, Uint8Array.of(1)), parts);
  assert.deepEqual(withExtras(parts, extras, null), parts);
  assert.deepEqual(withExtras(parts, extras, Uint8Array.of(67, 66)), [
    ...parts,
    [66, text("10.77.0.2")],
    [BOOT_FILE_NAME, text("x")],
  ]);
  assert.deepEqual(withExtras(parts, { ...extras, file: null }, null), [
    ...parts,
    [67, text("x")],
  ]);
});

Deno.test("withExtras() replaces a part of the same code, adds the others when asked or marked !", () => {
  const extras = {
    ...NONE,
    custom: [opt(6, "dns"), opt(43, "asked"), opt(100, "always", true), opt(200, "unasked")],
  };
  const parts = [[6, text("ours")] as const, [15, text("example.test")] as const];
  assert.deepEqual(withExtras(parts, extras, Uint8Array.of(43)), [
    [6, text("dns")],
    [15, text("example.test")],
    [43, text("asked")],
    [100, text("always")],
  ]);
  assert.deepEqual(parts[0], [6, text("ours")], "the parts given are not changed");
});

Deno.test("leaseTimes() without LEASE is the configuration's lease and renewal as they are", () => {
  assert.deepEqual(leaseTimes(BINDING, { ...CONFIG, leaseLifetime: 100, leaseRenewal: 600 }), {
    lease: 100,
    renewal: 600,
  });
});

Deno.test("leaseTimes() with LEASE keeps lease_renewal while it comes before 7/8 of it, else half", () => {
  const lease = (seconds: number) => ({ ...BINDING, overrides: { leaseTime: seconds } });
  const config = { ...CONFIG, leaseRenewal: 600 };
  assert.deepEqual(leaseTimes(lease(3600), config), { lease: 3600, renewal: 600 });
  // 7/8 of 686 is 600.25, floored to 600: not before it.
  assert.deepEqual(leaseTimes(lease(686), config), { lease: 686, renewal: 343 });
  assert.deepEqual(leaseTimes(lease(687), config), { lease: 687, renewal: 600 });
  assert.deepEqual(leaseTimes(lease(0xffffffff), config), { lease: 0xffffffff, renewal: 600 });
  // An infinite lease never expires: any renewal time comes before its end.
  assert.deepEqual(leaseTimes(lease(0xffffffff), { ...config, leaseRenewal: 0xfffffff0 }), {
    lease: 0xffffffff,
    renewal: 0xfffffff0,
  });
});
