/**
 * The DHCPv4 reply parts an operator adds to the original's: network boot (siaddr, `file`,
 * options 66 and 67), options given as OPTION_<n> / option_<n>, and a binding's own lease time.
 */
import type { Binding } from "../bindings/binding.ts";
import type { DhcpConfig } from "../config/types.ts";
import { type CustomOption4, mergeCustomOptions } from "../dhcp4_custom_options.ts";
import { formatIpv4 } from "../address.ts";
import { textOption } from "../wire/dhcp4_options.ts";

/** Option 66 (TFTP server name) and 67 (boot file name), RFC 2132 sections 9.4 and 9.5. */
const TFTP_SERVER_NAME = 66;
export const BOOT_FILE_NAME = 67;
/** The `file` field holds a name of at most 127 bytes and its terminating NUL. */
const FILE_NAME_MAX = 127;

/** What a binding and the configuration add to every reply but NAK, encoded once. */
export interface Dhcp4Extras {
  /** siaddr: NEXT_SERVER, else [dhcp] next_server, else 0. */
  readonly siaddr: number;
  /** The boot file name for the `file` field, or null (none, or too long for the field). */
  readonly file: Uint8Array | null;
  /** Option 66's value (the next server as text), or null. */
  readonly tftpServer: Uint8Array | null;
  /** Option 67's value, or null. */
  readonly bootFile: Uint8Array | null;
  /** The operator's options: [dhcp], then the host's section, then the binding, by code. */
  readonly custom: readonly CustomOption4[];
}

/** The extras of `binding` under `config`. */
export function encodeExtras(binding: Binding, config: DhcpConfig): Dhcp4Extras {
  const overrides = binding.overrides;
  const next = overrides?.nextServer ?? config.nextServer ?? null;
  const name = overrides?.bootFile ?? config.bootFile ?? null;
  const bootFile = name === null ? null : textOption(name);
  return {
    siaddr: next ?? 0,
    file: bootFile !== null && bootFile.length <= FILE_NAME_MAX ? bootFile : null,
    tftpServer: next === null ? null : textOption(formatIpv4(next)),
    bootFile,
    custom: mergeCustomOptions(
      config.options,
      config.hosts?.get(binding.macText),
      overrides?.options,
    ),
  };
}

/**
 * `parts` with the extras the client gets: 66 and 67 when it asks for them (67 also unasked
 * when the name does not fit the `file` field); then each operator option, which replaces the
 * value of a part with its code, else is added when the client asks for it or it is marked `!`.
 */
export function withExtras(
  parts: readonly (readonly [number, Uint8Array])[],
  extras: Dhcp4Extras,
  prl: Uint8Array | null,
): (readonly [number, Uint8Array])[] {
  const out = [...parts];
  const asks = (code: number) => prl !== null && prl.includes(code);
  if (extras.tftpServer !== null && asks(TFTP_SERVER_NAME)) {
    out.push([TFTP_SERVER_NAME, extras.tftpServer]);
  }
  if (extras.bootFile !== null && (asks(BOOT_FILE_NAME) || extras.file === null)) {
    out.push([BOOT_FILE_NAME, extras.bootFile]);
  }
  for (const { code, value, always } of extras.custom) {
    const at = out.findIndex(([c]) => c === code);
    if (at >= 0) out[at] = [code, value];
    else if (always || asks(code)) out.push([code, value]);
  }
  return out;
}

/** Option 51 and T1 (58): LEASE, else [dhcp] lease_lifetime; T1 as below. */
export interface LeaseTimes {
  readonly lease: number;
  readonly renewal: number;
}

/** The "infinite" lease (RFC 2131 section 3.3). */
const INFINITE = 0xffffffff;

/**
 * A binding's lease times: with LEASE, T1 is still [dhcp] lease_renewal while that comes before
 * the rebinding time a client takes by default (7/8 of the lease, RFC 2131 section 4.4.5), else
 * half the lease (the default T1); without LEASE, the configuration's two values as they are.
 */
export function leaseTimes(binding: Binding, config: DhcpConfig): LeaseTimes {
  const lease = binding.overrides?.leaseTime;
  if (lease === undefined) {
    return { lease: config.leaseLifetime, renewal: config.leaseRenewal };
  }
  const fits = lease === INFINITE || config.leaseRenewal < Math.floor(lease * 7 / 8);
  return { lease, renewal: fits ? config.leaseRenewal : Math.floor(lease / 2) };
}
