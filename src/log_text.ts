/** Text from outside (file names, values) made safe to put in a log line. */

/**
 * `text` with control characters, backslashes and Unicode line separators escaped in the JSON
 * manner (`\n`, `\t`, `\\`, `\u001b`...), so that a file named `"tap0\nFAKE LOG LINE"` or one
 * holding terminal escapes cannot forge or garble log lines. Printable text is left as it is.
 */
export function escapeForLog(text: string): string {
  // deno-lint-ignore no-control-regex
  if (!/[\u0000-\u001f\u007f-\u009f\\\u2028\u2029]/.test(text)) return text;
  return JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * `line` with control characters and Unicode line separators escaped (`\n`, `\u001b`...) and
 * nothing else changed: the last defence the logger applies to every line, so that no value,
 * file name or error text can split a log line or drive a terminal, even where a message was
 * built without {@link escapeForLog}.
 */
export function escapeControls(line: string): string {
  return line.replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
