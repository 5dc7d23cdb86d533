/**
 * `nfdhcpd replay`: decodes a capture's requests and shows what the daemon would answer to each,
 * through the daemon's own decision, offline: no root, no FFI, nothing sent.
 */
import { usageError } from "./usage_error.ts";
import { parseArgs } from "./args.ts";
import { formatMac, parseMac } from "../address.ts";
import { DEFAULT_CONFIG_PATH, loadConfig, parseConfig } from "../config/config.ts";
import type { Config } from "../config/types.ts";
import { errorMessage } from "../error_message.ts";
import { type CapturedPacket, CaptureError, readCapture } from "../pcap/capture.ts";
import { bindingDirectory, bindingFile, type LoadedBindings } from "../replay/bindings.ts";
import { recordJson, recordText } from "../replay/format.ts";
import { replay, type ReplayRecord } from "../replay/replay.ts";

/** INDEV's MAC when none is given: locally administered, so it is plainly not a real NIC's. */
export const MADE_UP_INDEV_MAC = "02:00:00:00:00:01";

export const REPLAY_USAGE =
  `Usage: nfdhcpd replay FILE [-c CONF] [--bindings DIR | --binding FILE] [--tap TAP]
                      [--indev-mac MAC] [--all] [--json]

Reads a capture (pcap or pcapng; Ethernet, Linux cooked or raw IP) and shows, for each request
in it, what the daemon would answer: the reply decoded, or exactly why nothing is sent. Uses the
daemon's own parsers and responders; sends nothing, needs no privileges.

Options:
  -c, --config FILE    configuration file (default ${DEFAULT_CONFIG_PATH}; built-in defaults
                       when that file does not exist)
      --binding FILE   decide every request with this binding file
      --bindings DIR   bindings directory (default: the configuration's datapath); a request
                       gets the binding whose MAC is its source MAC, or --tap's
      --tap TAP        with a directory: use the binding of TAP for every request
      --indev-mac MAC  INDEV's MAC, the source of replies (default ${MADE_UP_INDEV_MAC}, made up)
      --all            also show packets that are not requests we serve (replies, other traffic)
      --json           one JSON object per packet instead of text
  -h, --help           show this help

Exit status: 0 when the capture was read (whatever the decisions), 1 when the capture, the
configuration or the bindings cannot be read, 2 on a usage error.
`;

/** Parses the arguments, replays the capture and prints the outcome; returns the exit code. */
export async function replayCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c" },
        binding: { type: "string" },
        bindings: { type: "string" },
        tap: { type: "string" },
        "indev-mac": { type: "string", default: MADE_UP_INDEV_MAC },
        all: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: true,
    });
  } catch (e) {
    return usageError("nfdhcpd replay", errorMessage(e), REPLAY_USAGE);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(REPLAY_USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    return usageError("nfdhcpd replay", "name one capture file", REPLAY_USAGE);
  }
  if (v.binding !== undefined && (v.bindings !== undefined || v.tap !== undefined)) {
    return usageError("nfdhcpd replay", "--binding excludes --bindings and --tap", REPLAY_USAGE);
  }
  const indevMac = parseMac(v["indev-mac"]);
  if (indevMac === null) {
    return usageError(
      "nfdhcpd replay",
      `--indev-mac is not a MAC address: ${v["indev-mac"]}`,
      REPLAY_USAGE,
    );
  }
  const file = parsed.positionals[0]!;

  let packets: CapturedPacket[];
  let config: Config;
  let bindings: LoadedBindings;
  try {
    packets = readCapture(await Deno.readFile(file));
  } catch (e) {
    const why = e instanceof CaptureError ? e.message : errorMessage(e);
    return failure(`Cannot read capture ${file}: ${why}`);
  }
  try {
    config = await configOf(v.config);
    bindings = v.binding !== undefined
      ? await bindingFile(v.binding)
      : await bindingDirectory(v.bindings ?? config.general.datapath, v.tap ?? null);
  } catch (e) {
    return failure(errorMessage(e));
  }
  for (const problem of bindings.problems) console.error(`nfdhcpd replay: ${problem}`);
  const records = replay(packets, {
    config,
    bindingFor: bindings.choose,
    indevMac,
    all: v.all,
  });
  const header = `${file}: ${packets.length} packets; ${bindings.source}; INDEV MAC ${
    formatMac(indevMac)
  }${v["indev-mac"] === MADE_UP_INDEV_MAC ? " (made up; --indev-mac sets it)" : ""}`;
  if (v.json) {
    console.error(header);
    for (const record of records) console.log(recordJson(record));
  } else {
    console.log(header);
    for (const record of records) console.log(recordText(record));
    console.log(summary(records));
  }
  return 0;
}

/** The configuration named, or the default file, or built-in defaults when that is absent. */
async function configOf(path: string | undefined): Promise<Config> {
  let result;
  if (path === undefined) {
    try {
      await Deno.stat(DEFAULT_CONFIG_PATH);
      result = await loadConfig(DEFAULT_CONFIG_PATH);
    } catch {
      result = parseConfig("", "(built-in defaults)");
    }
  } else {
    result = await loadConfig(path);
  }
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.config;
}

function summary(records: readonly ReplayRecord[]): string {
  const count = (kind: ReplayRecord["kind"]) => records.filter((r) => r.kind === kind).length;
  const requests = records.length - count("skip");
  return `${requests} requests: ${count("reply")} answered, ${count("drop")} dropped, ${
    count("ignore")
  } passed on`;
}

function failure(why: string): number {
  console.error(`nfdhcpd replay: ${why}`);
  return 1;
}
