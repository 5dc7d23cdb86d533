/** Runs a hook of contrib/ the way its VM manager does, against a temporary binding directory. */

import { type Binding, parseBinding } from "../../src/bindings/binding.ts";

/** The directory holding the hooks. */
export const CONTRIB: string = new URL("../../contrib/", import.meta.url).pathname.replace(
  /\/$/,
  "",
);

/** How a hook run ended. */
export interface HookResult {
  readonly code: number;
  readonly stderr: string;
}

/** What {@linkcode runHook} passes: the manager's arguments, environment and standard input. */
export interface HookCall {
  /** The program to run (the hook, or a link to it named as the manager names it). */
  readonly program: string;
  readonly args?: readonly string[];
  /**
   * The whole environment (nothing else of ours leaks in), plus NFDHCPD_DATAPATH (or, with
   * `conf`, NFDHCPD_CONF) and NFDHCPD_DEFAULTS (the lab's {@link HookLab.defaults}).
   */
  readonly env?: Readonly<Record<string, string>>;
  readonly stdin?: string;
  /** nfdhcpd.conf's text: the hook finds the binding directory in it, not in NFDHCPD_DATAPATH. */
  readonly conf?: string;
  /** The network namespace to run the hook in (`ip netns exec`; needs root). */
  readonly ns?: string;
}

/** A binding directory in a temp dir, and links to the hooks under the names managers use. */
export class HookLab implements Disposable {
  readonly dir: string;
  readonly datapath: string;
  /** The hooks' /etc/default/nfdhcpd (absent until a test writes it): the host's never leaks in. */
  readonly defaults: string;

  constructor() {
    this.dir = Deno.makeTempDirSync({ prefix: "nfdhcpd-hooks-" });
    this.datapath = `${this.dir}/datapath`;
    this.defaults = `${this.dir}/default`;
    Deno.mkdirSync(this.datapath);
  }

  /** A symbolic link `name` to contrib/`hook` in the lab (managers pick actions by name). */
  link(hook: string, name: string): string {
    const path = `${this.dir}/${name}`;
    Deno.symlinkSync(`${CONTRIB}/${hook}`, path);
    return path;
  }

  /** Runs the hook with only the given environment (and PATH), bounded to 10 s. */
  async run(call: HookCall): Promise<HookResult> {
    const conf = `${this.dir}/nfdhcpd.conf`;
    if (call.conf !== undefined) Deno.writeTextFileSync(conf, call.conf);
    const where: Record<string, string> = call.conf === undefined
      ? { NFDHCPD_DATAPATH: this.datapath }
      : { NFDHCPD_CONF: conf };
    const shell = ["/bin/sh", call.program, ...(call.args ?? [])];
    const [command = "", ...args] = call.ns === undefined
      ? shell
      : ["ip", "netns", "exec", call.ns, ...shell];
    const child = new Deno.Command(command, {
      args,
      clearEnv: true,
      env: {
        PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
        ...call.env,
        ...where,
        NFDHCPD_DEFAULTS: this.defaults,
      },
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(10_000),
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(call.stdin ?? ""));
    await writer.close();
    const out = await child.output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  }

  /** Names in the binding directory, hidden ones (a temp file left behind) included, sorted. */
  files(): string[] {
    return [...Deno.readDirSync(this.datapath)].map((e) => e.name).sort();
  }

  /** The text of binding file `name`. */
  text(name: string): string {
    return Deno.readTextFileSync(`${this.datapath}/${name}`);
  }

  /** The inode of binding file `name`: a rename puts a new one there, an in-place write does not. */
  inode(name: string): number | null {
    return Deno.statSync(`${this.datapath}/${name}`).ino;
  }

  /** Binding file `name` as the daemon parses it; throws with the daemon's errors when it rejects it. */
  binding(name: string): Binding {
    const result = parseBinding(name, this.text(name));
    if (!result.ok) throw new Error(`nfdhcpd rejects ${name}: ${result.errors.join("; ")}`);
    return result.binding;
  }

  [Symbol.dispose](): void {
    Deno.removeSync(this.dir, { recursive: true });
  }
}

/** The KEY=VALUE lines of a binding file (comments left out), in order. */
export function bindingLines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}
