/**
 * The unbounded fuzz CLI (`make fuzz`): runs until N inputs or SECONDS pass (forever when
 * neither is given, until Ctrl-C), then prints each distinct finding with its replay command.
 *   deno run --allow-read tests/fuzz/main.ts [--seed=S] [--n=N] [--seconds=T] [--only=I]
 */
import { describe, fuzz } from "./fuzzer.ts";

function flag(name: string): number | undefined {
  const arg = Deno.args.find((a) => a.startsWith(`--${name}=`));
  if (arg === undefined || arg === `--${name}=`) return undefined;
  const value = Number(arg.slice(name.length + 3));
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`Cannot read --${name}: ${arg.slice(name.length + 3)} is not a whole number`);
    Deno.exit(2);
  }
  return value;
}

const seed = flag("seed") ?? (Math.random() * 0x100000000) >>> 0;
const inputs = flag("n");
const seconds = flag("seconds");
const only = flag("only");
console.log(`fuzz: seed ${seed}` + (only === undefined ? "" : `, input ${only} only`));
const report = fuzz({
  seed,
  inputs,
  seconds,
  only,
  progress: (done) => {
    if (done % 100000 === 0) console.log(`fuzz: ${done} inputs`);
  },
});
const rate = Math.round(report.inputs / (report.milliseconds / 1000));
console.log(`fuzz: ${report.inputs} inputs in ${Math.round(report.milliseconds)} ms (${rate}/s)`);
console.log(`fuzz: replies checked: ${JSON.stringify(report.replies)}`);
for (const f of report.findings) console.log(`\n${describe(f)}`);
console.log(`\nfuzz: ${report.findings.length} distinct finding(s), seed ${seed}`);
Deno.exit(report.findings.length === 0 ? 0 : 1);
