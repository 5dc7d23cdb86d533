/** Captures what code under test prints (console.log, console.error, Deno.stdout), for the tests. */

/** What was printed: one entry a console call (arguments joined by spaces), and stdout's bytes. */
export interface Printed {
  readonly out: string[];
  readonly err: string[];
  /** What was written with Deno.stdout.write, as text. */
  readonly written: string;
}

/** Runs `body` with console.log, console.error and Deno.stdout.write recorded (not shown). */
export async function capturing<T>(body: () => T | Promise<T>): Promise<Printed & { result: T }> {
  const out: string[] = [];
  const err: string[] = [];
  const chunks: string[] = [];
  const { log, error } = console;
  const write = Deno.stdout.write;
  console.log = (...args: unknown[]) => out.push(args.map(String).join(" "));
  console.error = (...args: unknown[]) => err.push(args.map(String).join(" "));
  Deno.stdout.write = (bytes: Uint8Array) => {
    chunks.push(new TextDecoder().decode(bytes));
    return Promise.resolve(bytes.length);
  };
  try {
    const result = await body();
    return { out, err, written: chunks.join(""), result };
  } finally {
    console.log = log;
    console.error = error;
    Deno.stdout.write = write;
  }
}
