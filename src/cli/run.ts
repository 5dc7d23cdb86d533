/** `nfdhcpd [run] [options]`: the daemon, with the original's flags. */
import { usageError } from "./usage_error.ts";
import { parseArgs } from "./args.ts";
import { DEFAULT_CONFIG_PATH } from "../config/config.ts";
import { runDaemon } from "../daemon/lifecycle.ts";
import { keepInspectorShut } from "../daemon/inspector_guard.ts";
import { journalPrefix } from "../daemon/log.ts";
import { errorMessage } from "../error_message.ts";
import { VERSION } from "../version.ts";

export const RUN_USAGE = `Usage: nfdhcpd [run] [options]

Answers VMs' DHCPv4, IPv6 RS/NS and DHCPv6 requests queued by iptables (NFQUEUE), from one
binding file per TAP interface.

Options:
  -c, --config FILE   configuration file (default ${DEFAULT_CONFIG_PATH})
  -d, --debug         log every packet (debug level)
  -f, --foreground    stay in the foreground and log to stderr (for systemd)
  -h, --help          show this help
  -v, -V, --version   show the version
`;

/** Parses the daemon's flags and runs it until SIGTERM; returns the exit code. */
export function runCommand(args: string[]): Promise<number> | number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c", default: DEFAULT_CONFIG_PATH },
        debug: { type: "boolean", short: "d", default: false },
        foreground: { type: "boolean", short: "f", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "V", default: false },
        // The original's flag for the version; -V and --version are its spellings here too.
        v: { type: "boolean", default: false },
      },
      allowPositionals: false,
    });
  } catch (e) {
    return usageError("nfdhcpd", errorMessage(e), RUN_USAGE);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(RUN_USAGE);
    return 0;
  }
  if (v.version || v.v) {
    console.log(`nfdhcpd ${VERSION}`);
    return 0;
  }
  try {
    keepInspectorShut();
  } catch (e) {
    console.error(`${journalPrefix("error")}nfdhcpd: ${errorMessage(e)}`);
    return 1;
  }
  return runDaemon({ configPath: v.config, debug: v.debug, foreground: v.foreground });
}
