/** Opens the native libraries once and turns errno into readable errors. */
import { LIBC_SYMBOLS } from "./libc.ts";
import { NFQ_SYMBOLS } from "./libnetfilter_queue.ts";

type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];
type Nfq = Deno.DynamicLibrary<typeof NFQ_SYMBOLS>["symbols"];

let libcLib: Deno.DynamicLibrary<typeof LIBC_SYMBOLS> | null = null;
let nfqLib: Deno.DynamicLibrary<typeof NFQ_SYMBOLS> | null = null;

/** libc's symbols, opened on first use. */
export function libc(): Libc {
  libcLib ??= Deno.dlopen("libc.so.6", LIBC_SYMBOLS);
  return libcLib.symbols;
}

/** libnetfilter_queue's symbols, opened on first use (needs the runtime package only, no -dev). */
export function nfq(): Nfq {
  if (!nfqLib) {
    try {
      nfqLib = Deno.dlopen("libnetfilter_queue.so.1", NFQ_SYMBOLS);
    } catch (e) {
      throw new Error(
        `Cannot load libnetfilter_queue.so.1 (install the libnetfilter-queue1 package): ${
          e instanceof Error ? e.message : String(e)
        }`,
      );
    }
  }
  return nfqLib.symbols;
}

/** The calling thread's errno; read it right after the failing synchronous call. */
export function errno(): number {
  const p = libc().__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32(0);
}

/** strerror text for `code`. */
export function errnoText(code: number): string {
  const p = libc().strerror(code);
  return p === null ? `errno ${code}` : Deno.UnsafePointerView.getCString(p);
}

/** An Error naming the failed call and the errno text, e.g. `Cannot socket(AF_PACKET): Operation not permitted`. */
export function callError(call: string, code = errno()): Error {
  return new Error(`Cannot ${call}: ${errnoText(code)} (errno ${code})`);
}

/** A NUL-terminated C string in a fresh buffer. */
export function cString(text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Closes the native libraries; call once on shutdown after every resource using them is closed. */
export function closeLibraries(): void {
  nfqLib?.close();
  nfqLib = null;
  libcLib?.close();
  libcLib = null;
}
