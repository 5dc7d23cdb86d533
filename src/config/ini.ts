/** A configobj-subset INI parser: `[section]`, `key = value`, quotes, lists, `#` comments. */

/** A value: one string, or a list when the value holds an unquoted comma (`a, b` or `a,`). */
export type IniValue = string | readonly string[];

/** One `key = value` line. */
export interface IniEntry {
  readonly key: string;
  readonly value: IniValue;
  /** 1-based line number in the file. */
  readonly line: number;
}

/** One `[name]` section; the root section (keys before any header) has name `""` and line 0. */
export interface IniSection {
  readonly name: string;
  readonly line: number;
  readonly entries: ReadonlyMap<string, IniEntry>;
}

/** A parsed file. */
export interface IniDocument {
  readonly fileName: string;
  /** Keys that appear before the first section header. */
  readonly root: IniSection;
  /** Sections in file order, by name. */
  readonly sections: ReadonlyMap<string, IniSection>;
}

/** One syntax error: where it is (section `""` outside any, line 1-based) and why. */
export interface IniProblem {
  readonly section: string;
  readonly key?: string;
  readonly line: number;
  readonly reason: string;
}

/**
 * The document, or every error found: as messages naming the file and line ({@link iniLocation}),
 * and as {@link IniProblem}s for tools that format them otherwise.
 */
export type IniResult =
  | { readonly ok: true; readonly document: IniDocument }
  | {
    readonly ok: false;
    readonly errors: readonly string[];
    readonly problems: readonly IniProblem[];
  };

/**
 * Names a place in a file the way every config message does:
 * `file [section] key (line 7)`; parts that are unknown are left out.
 */
export function iniLocation(
  fileName: string,
  section: string,
  key?: string,
  line?: number,
): string {
  let where = fileName;
  if (section !== "") where += ` [${section}]`;
  if (key !== undefined) where += ` ${key}`;
  if (line !== undefined && line > 0) {
    where += key === undefined ? ` line ${line}` : ` (line ${line})`;
  }
  return where;
}

type Parsed<T> = { readonly ok: true; readonly value: T } | {
  readonly ok: false;
  readonly reason: string;
};

const QUOTES = new Set(["'", '"']);

/**
 * Parses INI text as configobj does for the subset nfdhcpd.conf uses: `[section]` headers (no
 * nesting), `key = value` (the key ends at the first `=`), values in single or double quotes
 * (no escapes, no triple quotes), comma lists (`a,` is a list of one, a lone `,` the empty list),
 * `#` comments on their own line or after a value, blank lines. Duplicate sections and keys are
 * errors. Keys keep their case.
 */
export function parseIni(text: string, fileName: string): IniResult {
  const problems: IniProblem[] = [];
  const root = { name: "", line: 0, entries: new Map<string, IniEntry>() };
  const sections = new Map<string, typeof root>();
  let current = root;
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    if (trimmed.startsWith("[")) {
      const header = parseHeader(trimmed);
      if (!header.ok) {
        problems.push({ section: "", line, reason: header.reason });
        current = { name: "", line, entries: new Map() }; // keeps later keys from landing elsewhere
        return;
      }
      const name = header.value;
      const earlier = sections.get(name);
      if (earlier) {
        problems.push({
          section: name,
          line,
          reason: `duplicate section, first on line ${earlier.line}`,
        });
        current = { name, line, entries: new Map() };
        return;
      }
      current = { name, line, entries: new Map() };
      sections.set(name, current);
      return;
    }
    const entry = parseEntry(trimmed, line);
    if (!entry.ok) {
      problems.push({ section: current.name, key: entry.key, line, reason: entry.reason });
      return;
    }
    const earlier = current.entries.get(entry.value.key);
    if (earlier) {
      const reason = `duplicate key, first set on line ${earlier.line}`;
      problems.push({ section: current.name, key: entry.value.key, line, reason });
      return;
    }
    current.entries.set(entry.value.key, entry.value);
  });
  if (problems.length > 0) {
    const errors = problems.map((p) =>
      `${iniLocation(fileName, p.section, p.key, p.line)}: ${p.reason}`
    );
    return { ok: false, errors, problems };
  }
  return { ok: true, document: { fileName, root, sections } };
}

/** `[name]` with an optional trailing comment; the name may be quoted. */
function parseHeader(text: string): Parsed<string> {
  if (text.startsWith("[[")) return fail("nested sections ([[name]]) are not supported");
  const close = text.indexOf("]", 1);
  if (close < 0) return fail(`section header has no closing "]": ${JSON.stringify(text)}`);
  const rest = text.slice(close + 1).trim();
  if (rest !== "" && !rest.startsWith("#")) {
    return fail(`unexpected text after the section header: ${JSON.stringify(rest)}`);
  }
  let name = text.slice(1, close).trim();
  if (name.length >= 2 && QUOTES.has(name[0]!) && name.endsWith(name[0]!)) {
    name = name.slice(1, -1);
  }
  if (name === "") return fail("empty section name");
  return { ok: true, value: name };
}

/** `key = value`; the key may be quoted, else it ends at the first `=`. */
function parseEntry(
  text: string,
  line: number,
): { readonly ok: true; readonly value: IniEntry } | {
  readonly ok: false;
  readonly key?: string;
  readonly reason: string;
} {
  let key: string;
  let afterKey: string;
  const first = text[0]!;
  if (QUOTES.has(first)) {
    const close = text.indexOf(first, 1);
    if (close < 0) return fail(`key has no closing quote: ${JSON.stringify(text)}`);
    key = text.slice(1, close);
    afterKey = text.slice(close + 1).trimStart();
    if (!afterKey.startsWith("=")) {
      return fail(`expected "=" after the key: ${JSON.stringify(text)}`);
    }
  } else {
    const eq = text.indexOf("=");
    if (eq < 0) return fail(`expected "[section]" or "key = value": ${JSON.stringify(text)}`);
    key = text.slice(0, eq).trim();
    afterKey = text.slice(eq);
  }
  if (key === "") return fail(`empty key: ${JSON.stringify(text)}`);
  const value = parseValue(afterKey.slice(1));
  if (!value.ok) return { ok: false, key, reason: value.reason };
  return { ok: true, value: { key, value: value.value, line } };
}

/** The text after `=`: one item, or comma-separated items, then an optional `# comment`. */
function parseValue(text: string): Parsed<IniValue> {
  const items: string[] = [];
  let list = false;
  let i = skipSpace(text, 0);
  if (text.startsWith("'''", i) || text.startsWith('"""', i)) {
    return fail("multi-line (triple-quoted) values are not supported");
  }
  if (text[i] === ",") {
    i = skipSpace(text, i + 1);
    if (atValueEnd(text, i)) return { ok: true, value: [] };
    return fail(`empty item in list: ${JSON.stringify(text.trim())}`);
  }
  while (!atValueEnd(text, i)) {
    const c = text[i]!;
    if (c === ",") return fail(`empty item in list: ${JSON.stringify(text.trim())}`);
    if (QUOTES.has(c)) {
      const close = text.indexOf(c, i + 1);
      if (close < 0) return fail(`missing closing quote: ${JSON.stringify(text.trim())}`);
      items.push(text.slice(i + 1, close));
      i = skipSpace(text, close + 1);
    } else {
      let end = i;
      while (end < text.length && text[end] !== "," && text[end] !== "#") end++;
      items.push(text.slice(i, end).trim());
      i = end;
    }
    if (atValueEnd(text, i)) break;
    if (text[i] !== ",") {
      return fail(`unexpected text after the closing quote: ${JSON.stringify(text.slice(i))}`);
    }
    list = true;
    i = skipSpace(text, i + 1);
  }
  if (list) return { ok: true, value: items };
  return { ok: true, value: items[0] ?? "" };
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}

function atValueEnd(text: string, i: number): boolean {
  return i >= text.length || text[i] === "#";
}

function fail(reason: string): { readonly ok: false; readonly reason: string } {
  return { ok: false, reason };
}
