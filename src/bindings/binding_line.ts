/** One line of a binding file: `KEY=VALUE`, with the one comment rule of binding files. */

/** A `KEY=VALUE` line taken apart; `value` is null for an unclosed quote. */
export interface BindingLine {
  readonly key: string;
  /** The value without its comment, white space and quotes; null when a quote is not closed. */
  readonly value: string | null;
  /** The value as written (before the comment), for error messages. */
  readonly written: string;
  /** True when a comment followed `=` with nothing but white space before it: `MACSPOOF=  # x`. */
  readonly onlyComment: boolean;
}

/**
 * Splits `line` (already trimmed, not blank, not a `#` comment line) at its first `=`; null when
 * it has no key. The comment rule, the shell's: outside quotes, a `#` at the start of the value or
 * after white space starts a comment that runs to the end of the line (`IP=10.0.0.2  # web`), so
 * `KEY=#...` and `KEY=  # ...` are empty values. A `#` inside a word (`TAGS=a#b`) or inside quotes
 * (`TAGS="a # b"`) is kept. The original nfdhcpd had no comments after values: it kept the `#` and
 * what follows as part of the value (see README "Binding files").
 */
export function splitBindingLine(line: string): BindingLine | null {
  const eq = line.indexOf("=");
  if (eq <= 0) return null;
  const key = line.slice(0, eq).trim();
  const rest = line.slice(eq + 1);
  const cut = commentStart(rest);
  const written = rest.slice(0, cut).trim();
  const onlyComment = cut < rest.length && written === "";
  return { key, value: unquote(written), written, onlyComment };
}

/** Where the comment of `value` starts (its length when it has none). */
function commentStart(value: string): number {
  let quote = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote !== "") {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === "#" && (i === 0 || /\s/.test(value[i - 1]!))) {
      return i;
    }
  }
  return value.length;
}

/** The text inside matching quotes, the text itself when unquoted, null for an unclosed quote. */
function unquote(value: string): string | null {
  const q = value[0];
  if (q !== '"' && q !== "'") return value;
  return value.length >= 2 && value.endsWith(q) ? value.slice(1, -1) : null;
}
