/**
 * `nfdhcpd check`: validates nfdhcpd.conf and binding files as the daemon would read them, and
 * stricter (unknown keys are errors), without starting anything: no root, no FFI, no socket.
 */
import { usageError } from "./usage_error.ts";
import { parseArgs } from "./args.ts";
import { parseBinding } from "../bindings/binding.ts";
import { isBindingFileName } from "../bindings/store.ts";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../config/config.ts";
import type { ConfigProblem } from "../config/findings.ts";
import { errorMessage } from "../error_message.ts";
import { escapeControls, escapeForLog } from "../log_text.ts";
import { type Look, lookAt, lookOf, sameLook } from "../bindings/settle.ts";
import { journalPrefix, type Level } from "../daemon/log.ts";

export const CHECK_USAGE = `Usage: nfdhcpd check [-c FILE] [--config-only] [BINDING_FILE...]

Checks the configuration and the binding files (those named, else every one in the
configuration's datapath) as the daemon reads them, stricter: unknown keys and sections are
errors, with the known name that was probably meant. Starts nothing; needs no privileges.
Prints one line per problem (FILE:LINE: reason) on stderr, and a summary (on stdout when there
is no error, else on stderr); exit 0 when there is no error, 1 when there is one, 2 on a usage
error. Under systemd (JOURNAL_STREAM set) each stderr line carries its journal priority: errors
err, warnings warning.

Options:
  -c, --config FILE   configuration file (default ${DEFAULT_CONFIG_PATH})
      --config-only   check the configuration alone (what the systemd unit runs before start and
                      reload: one VM's broken binding must not keep the daemon from serving the others)
  -h, --help          show this help
`;

/** The daemon reads no binding file larger than this (src/bindings/store.ts). */
const MAX_BINDING_BYTES = 64 * 1024;

/** How long after the first look at the files they are looked at again, to see them change. */
const SECOND_LOOK_MS = 200;

/** One line of the report and the priority it is written at. */
interface Finding {
  readonly level: Extract<Level, "error" | "warning">;
  readonly text: string;
}

/** What the check found: lines to print, and counts for the summary. */
interface Tally {
  readonly lines: Finding[];
  /** The binding files read, with their state and when it was seen (see {@link lookAgain}). */
  readonly looks: Array<{ readonly path: string; readonly look: Look; readonly at: number }>;
  configErrors: number;
  configWarnings: number;
  bindingsOk: number;
  bindingsBad: number;
  directoryErrors: number;
}

/** Parses the arguments and runs the check; returns the exit code. */
export async function checkCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c", default: DEFAULT_CONFIG_PATH },
        "config-only": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: true,
    });
  } catch (e) {
    return usageError("nfdhcpd check", errorMessage(e), CHECK_USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(CHECK_USAGE);
    return 0;
  }
  if (values["config-only"] && positionals.length > 0) {
    return usageError("nfdhcpd check", "--config-only takes no binding files", CHECK_USAGE);
  }
  const tally: Tally = {
    lines: [],
    looks: [],
    configErrors: 0,
    configWarnings: 0,
    bindingsOk: 0,
    bindingsBad: 0,
    directoryErrors: 0,
  };
  const configPath = values.config;
  const loaded = await loadConfig(configPath, { strict: true });
  // In file order; problems of no line (a required key left out) after those of a line.
  const order = (p: ConfigProblem) => p.line > 0 ? p.line : Number.MAX_SAFE_INTEGER;
  const byLine = [...loaded.problems].sort((a, b) => order(a) - order(b));
  for (const problem of byLine) {
    tally.lines.push({ level: problem.severity, text: configLine(configPath, problem) });
    if (problem.severity === "error") tally.configErrors++;
    else tally.configWarnings++;
  }
  let bindings: string;
  if (positionals.length > 0) {
    for (const path of positionals) await checkBindingFile(path, true, tally);
    bindings = bindingCounts(tally);
  } else if (values["config-only"]) {
    bindings = "bindings not checked (--config-only)";
  } else if (!loaded.ok) {
    bindings = "bindings not checked: the configuration has errors";
  } else {
    bindings = await checkBindingDirectory(loaded.config.general.datapath, tally);
  }
  await lookAgain(tally);
  // Problems on stderr, at their priority: the unit's ExecStartPre= and ExecReload= run this
  // check, and `journalctl -p err` must show why a start or reload was refused.
  for (const { level, text } of tally.lines) report(level, text);
  const failed = tally.configErrors + tally.bindingsBad + tally.directoryErrors > 0;
  const summary = `${configPath}: ${configSummary(tally)}; ${bindings}`;
  if (failed) report("error", summary);
  else console.log(escapeControls(summary));
  return failed ? 1 : 0;
}

/** Writes one line to stderr, with its journal priority when stderr is the journal. */
function report(level: Finding["level"], text: string): void {
  console.error(`${journalPrefix(level)}${escapeControls(text)}`);
}

/**
 * Looks at every binding file read once more, at least `SECOND_LOOK_MS` after its first look
 * (however long the check took), and warns about those that changed meanwhile: a writer is at
 * work (or never stops), and the daemon reads such a file only once it has stopped changing.
 */
async function lookAgain(tally: Tally): Promise<void> {
  const last = tally.looks.at(-1);
  if (last === undefined) return;
  const wait = last.at + SECOND_LOOK_MS - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  for (const { path, look } of tally.looks) {
    if (sameLook(look, lookAt(path))) continue;
    tally.lines.push({
      level: "warning",
      text: `${escapeForLog(path)}: warning: the file changed while it was checked: a writer ` +
        "is at work; the daemon reads it once it has stopped changing",
    });
  }
}

/** `file:line: [section] key: reason`; the line, section and key only when known. */
function configLine(file: string, p: ConfigProblem): string {
  const at = p.line > 0 ? `${file}:${p.line}` : file;
  const scope = [p.section === "" ? "" : `[${p.section}]`, p.key ?? ""].filter((s) => s !== "");
  const where = scope.length > 0 ? `${scope.join(" ")}: ` : "";
  return `${at}: ${p.severity === "warning" ? "warning: " : ""}${where}${p.reason}`;
}

function configSummary(t: Tally): string {
  const warnings = t.configWarnings > 0 ? ` (${plural(t.configWarnings, "warning")})` : "";
  return (t.configErrors > 0 ? plural(t.configErrors, "error") : "OK") + warnings;
}

function bindingCounts(t: Tally): string {
  return `${plural(t.bindingsOk, "binding")} OK, ${t.bindingsBad} with problems`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * Every file of `datapath` the daemon would take for a binding, in name order; returns the
 * summary of the bindings. A directory that cannot be listed is an error (the daemon would
 * serve no VM until it can).
 */
async function checkBindingDirectory(datapath: string, tally: Tally): Promise<string> {
  const names: string[] = [];
  const shown = escapeForLog(datapath);
  try {
    for await (const entry of Deno.readDir(datapath)) {
      if (!entry.isDirectory && isBindingFileName(entry.name)) names.push(entry.name);
    }
  } catch (e) {
    tally.lines.push({
      level: "error",
      text: `${shown}: cannot list the binding directory: ${errorMessage(e)}`,
    });
    tally.directoryErrors++;
    return `bindings not checked: cannot list ${shown}`;
  }
  const dir = datapath.replace(/(.)\/+$/, "$1");
  for (const name of names.sort()) await checkBindingFile(`${dir}/${name}`, false, tally);
  return bindingCounts(tally);
}

/**
 * Checks one binding file as the daemon reads it: a regular file (never a link, FIFO or device,
 * which are not opened at all) of at most 64 KiB, whose name can name a TAP.
 */
async function checkBindingFile(path: string, named: boolean, tally: Tally): Promise<void> {
  const shown = escapeForLog(path);
  const tap = path.slice(path.lastIndexOf("/") + 1);
  const name = escapeForLog(tap);
  const refuse = (reason: string) => {
    tally.lines.push({ level: "error", text: `${shown}: ${reason}` });
    tally.bindingsBad++;
  };
  if (named && !isBindingFileName(tap)) {
    return refuse(
      "the daemon ignores this file: its name is not an interface name, is hidden or looks " +
        "like a temporary file",
    );
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (e) {
    return refuse(`cannot read: ${errorMessage(e)}`);
  }
  if (!info.isFile) {
    return refuse(
      `${fileKind(info)}; the daemon reads only regular files (it never follows links)`,
    );
  }
  if (info.size > MAX_BINDING_BYTES) {
    return refuse(`${info.size} bytes; the daemon reads no binding file over ${MAX_BINDING_BYTES}`);
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    return refuse(`cannot read: ${errorMessage(e)}`);
  }
  tally.looks.push({ path, look: lookOf(info), at: performance.now() });
  const result = parseBinding(tap, text, true);
  const messages = result.ok ? result.warnings : result.errors;
  for (const message of messages) {
    const { line, reason } = locateBindingMessage(name, message);
    const warning = result.ok ? "warning: " : "";
    tally.lines.push({
      level: result.ok ? "warning" : "error",
      text: `${line > 0 ? `${shown}:${line}` : shown}: ${warning}${reason}`,
    });
  }
  if (result.ok) tally.bindingsOk++;
  else tally.bindingsBad++;
}

function fileKind(info: Deno.FileInfo): string {
  if (info.isSymlink) return "a symbolic link";
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice || info.isBlockDevice) return "a device";
  return "not a regular file";
}

/**
 * The line and reason of one of parseBinding()'s messages (`Cannot parse binding TAP line 4:
 * reason`, `Binding TAP: reason`...); line 0 when the message names none.
 */
export function locateBindingMessage(
  tap: string,
  message: string,
): { line: number; reason: string } {
  for (const prefix of [`Cannot parse binding ${tap}`, `Binding ${tap}`]) {
    if (!message.startsWith(prefix)) continue;
    const rest = message.slice(prefix.length);
    const numbered = /^ line (\d+): /.exec(rest);
    if (numbered) return { line: Number(numbered[1]), reason: rest.slice(numbered[0].length) };
    if (rest.startsWith(": ")) return { line: 0, reason: rest.slice(2) };
  }
  return { line: 0, reason: message };
}
