/**
 * What the command line says of itself, for the tests of its documentation: the subcommands
 * `nfdhcpd help` lists and the flags each one's `--help` names. Asked of main.ts itself, so that a
 * new subcommand or flag is seen without these tests being told of it.
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;

/** The repository's root directory, with a trailing slash. */
export const REPO_ROOT = ROOT;

async function mainOutput(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`main.ts ${args.join(" ")}: exit ${out.code}: ${text}`);
  }
  return text;
}

/** The subcommands `nfdhcpd help` lists, in its order. */
export async function subcommands(): Promise<string[]> {
  const help = await mainOutput(["help"]);
  const list = help.split("\nSubcommands:\n")[1];
  if (list === undefined) throw new Error(`no "Subcommands:" in the help:\n${help}`);
  return list.split("\n").flatMap((line) => line.match(/^ {2}(\S+) /)?.[1] ?? []);
}

/**
 * The flags (`-c`, `--config-only`) a usage text names: a dash or two and a letter, not inside a
 * word (so not `nft-limit` or `Ctrl-C`).
 */
export function flagsIn(text: string): string[] {
  const flags = text.match(/(?<![\w-])--?[A-Za-z][\w-]*/g) ?? [];
  return [...new Set(flags)];
}

/** Each subcommand but `help` (whose usage is run's) with its `--help` text. */
export async function usages(): Promise<Map<string, string>> {
  const names = (await subcommands()).filter((name) => name !== "help");
  const texts = await Promise.all(names.map((name) => mainOutput([name, "--help"])));
  return new Map(names.map((name, i) => [name, texts[i]!]));
}

/** A whole-flag match: `--config` is not found in `--config-only`. */
export function mentions(text: string, flag: string): boolean {
  const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![\\w-])${escaped}(?![\\w-])`).test(text);
}
