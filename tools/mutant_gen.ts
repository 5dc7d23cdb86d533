/**
 * Mechanical mutants for tools/mutants.ts: every small, one-token bug of a few kinds that can be
 * planted in a TypeScript source file's code (not in its comments, strings or regular
 * expressions), each named stably by its file, the text of its line and the change.
 */

/** One generated mutant: `find` at `at` in `file` becomes `replace`. */
export interface GeneratedMutant {
  /** Stable across edits elsewhere in the file: `file | line text | change #k`. */
  readonly key: string;
  readonly file: string;
  readonly at: number;
  readonly find: string;
  readonly replace: string;
  /** 1-based line of `at`, for the report. */
  readonly line: number;
  /** The kind of change, in words. */
  readonly kind: string;
}

/**
 * Which characters of `text` are code: false in comments, string and template literal text and
 * regular expression literals (a template's `${...}` is code again).
 */
export function codeMask(text: string): boolean[] {
  const code = new Array<boolean>(text.length).fill(false);
  // Brace depth at each open `${`, so the `}` that closes it returns to the template's text.
  const templates: number[] = [];
  let depth = 0;
  let last = ""; // the last significant code character, to tell a regex from a division
  let i = 0;
  const skipQuoted = (quote: string) => {
    for (i++; i < text.length && text[i] !== quote; i++) if (text[i] === "\\") i++;
    i++;
  };
  const inTemplate = () => {
    // From just after a backtick or a closing `}`: to the closing backtick or the next `${`.
    for (; i < text.length; i++) {
      if (text[i] === "\\") i++;
      else if (text[i] === "`") {
        i++;
        return;
      } else if (text[i] === "$" && text[i + 1] === "{") {
        templates.push(depth);
        depth++;
        i += 2;
        return;
      }
    }
  };
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === "/" && next === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end === -1 ? text.length : end + 2;
    } else if (c === '"' || c === "'") {
      skipQuoted(c);
      last = "a";
    } else if (c === "`") {
      i++;
      inTemplate();
      last = "a";
    } else if (
      c === "/" &&
      (last === "" || "(,=:[!&|?{};+-*%<>~^".includes(last) ||
        /\b(?:return|typeof)\s*$/.test(text.slice(Math.max(0, i - 8), i)))
    ) {
      // A regular expression literal (a character class may hold a slash).
      let inClass = false;
      for (i++; i < text.length && text[i] !== "\n"; i++) {
        if (text[i] === "\\") i++;
        else if (text[i] === "[") inClass = true;
        else if (text[i] === "]") inClass = false;
        else if (text[i] === "/" && !inClass) break;
      }
      i++;
      last = "a";
    } else {
      if (c === "{") depth++;
      else if (c === "}") {
        depth--;
        if (templates.length > 0 && templates[templates.length - 1] === depth) {
          templates.pop();
          i++;
          inTemplate();
          last = "a";
          continue;
        }
      }
      code[i] = true;
      if (!/\s/.test(c)) last = c;
      i++;
    }
  }
  return code;
}

/** Binary operators (written with a space each side, as deno fmt does) and what each becomes. */
const OPERATORS: Record<string, readonly string[]> = {
  "<": ["<="],
  "<=": ["<"],
  ">": [">="],
  ">=": [">"],
  "===": ["!=="],
  "!==": ["==="],
  "&&": ["||"],
  "||": ["&&"],
  "+": ["-"],
  "-": ["+"],
};

const STRING_SWAPS: Record<string, string> = { '"accept"': '"drop"', '"drop"': '"accept"' };

/** Every generated mutant of one file's text. */
export function generate(file: string, text: string): GeneratedMutant[] {
  const code = codeMask(text);
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const lineOf = (at: number) => {
    let lo = 0, hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const out: GeneratedMutant[] = [];
  const seen = new Map<string, number>();
  const add = (at: number, find: string, replace: string, kind: string) => {
    const line = lineOf(at);
    const end = text.indexOf("\n", lineStarts[line]!);
    const lineText = text.slice(lineStarts[line]!, end === -1 ? text.length : end).trim();
    const base = `${file} | ${lineText} | ${JSON.stringify(find)} -> ${JSON.stringify(replace)}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    out.push({ key: `${base} #${n}`, file, at, find, replace, line: line + 1, kind });
  };
  const isCode = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (!code[k]) return false;
    return true;
  };
  const wordChar = (c: string | undefined) => c !== undefined && /[\w$]/.test(c);

  for (let i = 0; i < text.length; i++) {
    if (!code[i]) {
      const swap = Object.keys(STRING_SWAPS).find((s) => text.startsWith(s, i));
      if (swap !== undefined && (i === 0 || code[i - 1])) {
        add(i, swap, STRING_SWAPS[swap]!, "accept/drop swapped");
      }
      continue;
    }
    const c = text[i]!;
    // Binary operators: " op ".
    if (c === " ") {
      const m = /^ ([<>=!&|+-]{1,3}) /.exec(text.slice(i, i + 6));
      if (m && OPERATORS[m[1]!] && isCode(i, i + m[0].length)) {
        for (const r of OPERATORS[m[1]!]!) add(i + 1, m[1]!, r, `${m[1]} -> ${r}`);
      }
      continue;
    }
    if (wordChar(text[i - 1])) continue;
    // Integer literals, decimal or hex, not part of a decimal fraction or a bigint.
    const num = /^(?:0x[0-9a-fA-F_]+|[0-9][0-9_]*)(?![\w.$])/.exec(text.slice(i, i + 24));
    if (num && text[i - 1] !== ".") {
      const literal = num[0];
      const value = Number(literal.replaceAll("_", ""));
      const write = (v: number) => literal.startsWith("0x") ? `0x${v.toString(16)}` : String(v);
      add(i, literal, write(value + 1), "integer + 1");
      if (value > 0) add(i, literal, write(value - 1), "integer - 1");
      i += literal.length - 1;
      continue;
    }
    const word = /^[A-Za-z_$][\w$]*/.exec(text.slice(i, i + 40))?.[0];
    if (word === undefined) {
      if (c === "!" && text[i + 1] !== "=" && /[(\s]/.test(text[i - 1] ?? "")) {
        add(i, "!", "", "negation dropped");
      }
      continue;
    }
    if (word === "true") add(i, "true", "false", "true -> false");
    else if (word === "false") add(i, "false", "true", "false -> true");
    else if (word === "Math" && /^Math\.(min|max)\(/.test(text.slice(i, i + 9))) {
      const fn = text.slice(i + 5, i + 8);
      add(i, `Math.${fn}`, `Math.${fn === "min" ? "max" : "min"}`, "min <-> max");
    } else if (word === "if" && text[i + 2] === " " && text[i + 3] === "(") {
      const close = matching(text, i + 3);
      if (close !== -1) {
        const cond = text.slice(i + 3, close + 1);
        add(i + 3, cond, `(!${cond})`, "if negated");
        add(i + 3, cond, "(false)", "if body dropped");
      }
    }
    i += word.length - 1;
  }
  dropStatements(text, code, lineStarts, add);
  return out;
}

/** The index of the bracket closing the one at `open`, or -1. */
function matching(text: string, open: number): number {
  let depth = 0;
  for (let k = open; k < text.length; k++) {
    if (text[k] === "(") depth++;
    else if (text[k] === ")" && --depth === 0) return k;
  }
  return -1;
}

/**
 * Whole one-line statements dropped: calls, assignments, increments, `break` and `continue` (not
 * declarations or returns, whose removal does not type-check).
 */
function dropStatements(
  text: string,
  code: boolean[],
  lineStarts: number[],
  add: (at: number, find: string, replace: string, kind: string) => void,
): void {
  for (let l = 0; l < lineStarts.length; l++) {
    const start = lineStarts[l]!;
    const end = l + 1 < lineStarts.length ? lineStarts[l + 1]! - 1 : text.length;
    const line = text.slice(start, end);
    const body = line.trim();
    const from = start + line.indexOf(body);
    if (body === "" || !code[from] || !body.endsWith(";")) continue;
    if (
      /^(?:const|let|var|return|throw|import|export|type|interface|case|default|yield|await\s+using)\b/
        .test(body)
    ) continue;
    if (/^[})\]]/.test(body)) continue;
    // A statement that does something: a call, an assignment, a step, a jump (not a type's member).
    if (!/[(=]|\+\+|--|^(?:break|continue);$/.test(body)) continue;
    let balance = 0;
    for (const ch of body) {
      if ("([{".includes(ch)) balance++;
      else if (")]}".includes(ch)) balance--;
      if (balance < 0) break;
    }
    if (balance !== 0) continue;
    // The previous line must end a statement or open a block, so this line is a whole statement.
    let k = start - 1;
    while (k >= 0 && (!code[k] || /\s/.test(text[k]!))) k--;
    if (k >= 0 && !";{}".includes(text[k]!)) continue;
    add(from, body, "", "statement dropped");
  }
}
