/**
 * Which binding a replayed packet is decided with: one file for every packet, one TAP of a
 * directory, or the directory's binding whose MAC is the packet's source. Read with plain file
 * calls (no FFI): replay runs offline, unprivileged, on copies of the files.
 */
import { formatMac, sameMac } from "../address.ts";
import { type Binding, parseBinding } from "../bindings/binding.ts";
import { isBindingFileName } from "../bindings/store.ts";
import { errorMessage } from "../error_message.ts";

/** The daemon reads no binding file larger than this (src/bindings/store.ts). */
const MAX_BINDING_BYTES = 64 * 1024;

/** Picks a packet's binding from its source MAC; a string says why there is none. */
export type BindingChooser = (mac: Uint8Array | null) => Binding | string;

/** The bindings read and the problems met on the way (files that do not parse...). */
export interface LoadedBindings {
  readonly choose: BindingChooser;
  readonly problems: readonly string[];
  /** Where the bindings come from, for the output's header. */
  readonly source: string;
}

/** The binding of `path` (named after its file, as the daemon names it after the TAP). */
export async function bindingFile(path: string): Promise<LoadedBindings> {
  const tap = path.split("/").pop() || path;
  const result = parseBinding(tap, await Deno.readTextFile(path));
  if (!result.ok) throw new Error(result.errors.join("\n"));
  const binding = result.binding;
  return { choose: () => binding, problems: result.warnings, source: `binding ${path}` };
}

/**
 * The bindings of directory `dir`: the one of `tap` for every packet when given, else the one
 * whose MAC is the packet's source (the first by name when several share it).
 */
export async function bindingDirectory(dir: string, tap: string | null): Promise<LoadedBindings> {
  const problems: string[] = [];
  const bindings: Binding[] = [];
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && isBindingFileName(entry.name)) names.push(entry.name);
  }
  for (const name of names.sort()) {
    const path = `${dir}/${name}`;
    try {
      if ((await Deno.lstat(path)).size > MAX_BINDING_BYTES) {
        problems.push(`${path}: larger than ${MAX_BINDING_BYTES} bytes, not a binding`);
        continue;
      }
      const result = parseBinding(name, await Deno.readTextFile(path));
      if (result.ok) bindings.push(result.binding);
      else problems.push(...result.errors);
    } catch (e) {
      problems.push(`${path}: ${errorMessage(e)}`);
    }
  }
  if (tap !== null) {
    const binding = bindings.find((b) => b.tap === tap);
    if (binding === undefined) throw new Error(`${dir} has no usable binding for TAP ${tap}`);
    return { choose: () => binding, problems, source: `binding ${dir}/${tap}` };
  }
  const choose: BindingChooser = (mac) => {
    if (mac === null) return `no source MAC in the capture to find a binding in ${dir} (use --tap)`;
    return bindings.find((b) => sameMac(b.mac, mac)) ??
      `no binding in ${dir} has MAC ${formatMac(mac)}`;
  };
  return { choose, problems, source: `bindings in ${dir}, matched by source MAC` };
}
