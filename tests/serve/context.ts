/** A responder context for the serve tests: a whole Config around the section a test sets. */
import type { Binding } from "../../src/bindings/binding.ts";
import { parseConfig } from "../../src/config/config.ts";
import type { Config, DhcpConfig, Ipv6Config } from "../../src/config/types.ts";
import type { Decision, InterfaceInfo } from "../../src/serve/decision.ts";
import { dhcp4Responder } from "../../src/serve/dhcp4.ts";
import { dhcp6Responder } from "../../src/serve/dhcp6.ts";
import { ReplyMemo } from "../../src/serve/memo.ts";
import { neighbourSolicitationResponder } from "../../src/serve/neighbour.ts";
import { RequestReport } from "../../src/serve/packet_report.ts";
import type { ResponderContext } from "../../src/serve/responder.ts";
import { routerSolicitationResponder } from "../../src/serve/router_advert.ts";
import { FrameAllocator } from "../../src/wire/ethernet.ts";

function defaults(): Config {
  const parsed = parseConfig("[dhcp]\nserver_ip = 192.0.2.1\n", "test.conf");
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  return parsed.config;
}

const DEFAULTS = defaults();

/** What a test sets; everything else is the default config, a fresh memo and allocator. */
export interface ContextOptions {
  readonly binding: Binding;
  readonly indev: InterfaceInfo;
  readonly dhcp?: DhcpConfig;
  readonly ipv6?: Ipv6Config;
  /** A whole config, for tests that compare configs by identity. */
  readonly config?: Config;
  readonly hwSource?: Uint8Array | null;
  readonly memo?: ReplyMemo;
  readonly frames?: FrameAllocator;
  readonly report?: RequestReport;
}

/** The context a responder gets, as the dispatcher builds it. */
export function contextOf(o: ContextOptions): ResponderContext {
  const base = o.config ?? DEFAULTS;
  const config = o.dhcp === undefined && o.ipv6 === undefined
    ? base
    : { ...base, dhcp: o.dhcp ?? base.dhcp, ipv6: o.ipv6 ?? base.ipv6 };
  return {
    binding: o.binding,
    config,
    indev: o.indev,
    hwSource: o.hwSource ?? null,
    now: 0,
    memo: o.memo ?? new ReplyMemo(),
    frames: o.frames ?? new FrameAllocator(),
    report: o.report ?? new RequestReport(),
  };
}

/**
 * The responders called the way the tests wrote them before there was one contract: positional
 * arguments, through `Responder.answer` with a context built by `contextOf`.
 */
export const answerDhcp4Packet = (
  packet: Uint8Array,
  binding: Binding,
  dhcp: DhcpConfig,
  indev: InterfaceInfo,
  hwSource: Uint8Array | null = null,
): Decision => dhcp4Responder.answer(packet, contextOf({ binding, dhcp, indev, hwSource }));

export const answerRouterSolicitation = (
  packet: Uint8Array,
  binding: Binding,
  ipv6: Ipv6Config,
  indev: InterfaceInfo,
  hwSource: Uint8Array | null = null,
): Decision =>
  routerSolicitationResponder.answer(packet, contextOf({ binding, ipv6, indev, hwSource }));

export const answerNeighbourSolicitation = (
  packet: Uint8Array,
  binding: Binding,
  ipv6: Ipv6Config,
  indev: InterfaceInfo,
  hwSource: Uint8Array | null = null,
): Decision =>
  neighbourSolicitationResponder.answer(packet, contextOf({ binding, ipv6, indev, hwSource }));

/** DHCPv6 lease times in seconds: the [dhcp] section's lease_lifetime and lease_renewal. */
export interface Dhcp6Lifetimes {
  readonly lifetime: number;
  readonly renewal: number;
}

export const DEFAULT_DHCP6_LIFETIMES: Dhcp6Lifetimes = {
  lifetime: DEFAULTS.dhcp.leaseLifetime,
  renewal: DEFAULTS.dhcp.leaseRenewal,
};

export const answerDhcp6 = (
  packet: Uint8Array,
  binding: Binding,
  ipv6: Ipv6Config,
  indev: InterfaceInfo,
  lifetimes: Dhcp6Lifetimes = DEFAULT_DHCP6_LIFETIMES,
  hwSource: Uint8Array | null = null,
): Decision => {
  const dhcp = {
    ...DEFAULTS.dhcp,
    leaseLifetime: lifetimes.lifetime,
    leaseRenewal: lifetimes.renewal,
  };
  return dhcp6Responder.answer(packet, contextOf({ binding, dhcp, ipv6, indev, hwSource }));
};
