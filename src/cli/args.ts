/**
 * Command-line flags, as node:util's parseArgs in strict mode reads them, for the options the
 * subcommands use. Its own module because loading node:util costs the daemon's start-up about
 * 25 ms and 5 MiB.
 */

/** One option: a string (`-c FILE`, `-cFILE`, `--config FILE`, `--config=FILE`) or a flag. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  /** Its one-letter spelling; a one-letter name is also its own. */
  readonly short?: string;
  readonly default?: string | boolean;
}

/** What the options of `O` came to: flags are true or false, strings their last value. */
export type ParsedValues<O extends Readonly<Record<string, OptionSpec>>> = {
  -readonly [K in keyof O]: O[K] extends { readonly type: "boolean" } ? boolean
    : O[K] extends { readonly default: string } ? string
    : string | undefined;
};

/**
 * Reads `args`: options in any order, `--` ending them, positionals only when
 * `allowPositionals`. Throws an Error naming the argument for an unknown option, a string
 * option without its value, a flag given a value, or an unexpected positional.
 */
export function parseArgs<const O extends Readonly<Record<string, OptionSpec>>>(o: {
  readonly args: readonly string[];
  readonly options: O;
  readonly allowPositionals: boolean;
}): { values: ParsedValues<O>; positionals: string[] } {
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(o.options)) {
    values[name] = spec.default ?? (spec.type === "boolean" ? false : undefined);
  }
  const positionals: string[] = [];
  const byShort = (letter: string) =>
    Object.keys(o.options).find((name) => o.options[name]!.short === letter) ?? letter;
  const take = (name: string, shown: string, inline: string | undefined, next: () => string) => {
    const spec = o.options[name];
    if (spec === undefined) throw new Error(`Unknown option '${shown}'`);
    if (spec.type === "boolean") {
      if (inline !== undefined) throw new Error(`Option '${shown}' does not take an argument`);
      values[name] = true;
    } else {
      values[name] = inline ?? next();
    }
  };
  for (let i = 0; i < o.args.length; i++) {
    const arg = o.args[i]!;
    const next = () => {
      const value = o.args[i + 1];
      if (value === undefined || value.startsWith("-")) {
        throw new Error(`Option '${arg}' argument missing`);
      }
      i++;
      return value;
    };
    if (arg === "--") {
      positionals.push(...o.args.slice(i + 1));
      break;
    } else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      take(name, `--${name}`, eq < 0 ? undefined : arg.slice(eq + 1), next);
    } else if (arg.startsWith("-") && arg.length > 1) {
      // -df is -d -f; -cFILE is -c FILE.
      for (let j = 1; j < arg.length; j++) {
        const name = byShort(arg[j]!);
        if (o.options[name]?.type === "string" && j + 1 < arg.length) {
          take(name, `-${arg[j]}`, arg.slice(j + 1), next);
          break;
        }
        take(name, `-${arg[j]}`, undefined, next);
      }
    } else {
      positionals.push(arg);
    }
  }
  if (!o.allowPositionals && positionals.length > 0) {
    throw new Error(
      `Unexpected argument '${positionals[0]}'. This command does not take positional arguments`,
    );
  }
  return { values: values as ParsedValues<O>, positionals };
}
