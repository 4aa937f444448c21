/**
 * Shares of a V8 CPU profile (`--cpu-prof`, e.g. from `shadow-bench.ts --cpu-prof DIR`): for each
 * function name given, the time spent in it or below it (inclusive), as a share of the busy time
 * (all samples but `(idle)`). CPU-time shares do not depend on how loaded the machine is.
 *
 *   npx tsx bench/profile-share.ts DIR_OR_FILE outgoingClearMessageId run ...
 *   npx tsx bench/profile-share.ts DIR --timeline                   # busy % per second: find a phase
 *   npx tsx bench/profile-share.ts DIR --from 12 --to 22 writev     # shares within that window
 *
 * With a directory, the largest profile in it or below is read (the node's main thread).
 */
import { largestProfile, readProfile } from "./cpu-profile.ts";

/** `--from S` / `--to S`: only samples between these seconds after the profile's start (a phase). */
function takeOption(args: string[], name: string): number | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = Number(args[i + 1]);
  if (!Number.isFinite(value)) {
    process.stderr.write(`${name} needs a number of seconds\n`);
    process.exit(2);
  }
  args.splice(i, 2);
  return value;
}
const args = process.argv.slice(2);
const fromUs = (takeOption(args, "--from") ?? 0) * 1e6;
const toUs = (takeOption(args, "--to") ?? Number.POSITIVE_INFINITY) * 1e6;
const timeline = args.includes("--timeline");
const [target, ...names] = args.filter((a) => a !== "--timeline");
if (!target || (names.length === 0 && !timeline)) {
  process.stderr.write(
    "usage: profile-share.ts DIR_OR_FILE [--from S] [--to S] [--timeline] FUNCTION_NAME...\n",
  );
  process.exit(2);
}
const file = largestProfile(target);
const profile = readProfile(file);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

let busyUs = 0;
let atUs = 0;
const busyBySecond: number[] = [];
const inclusiveUs = new Map<string, number>(names.map((n) => [n, 0]));
for (let i = 0; i < profile.samples.length; i++) {
  const leaf = profile.samples[i] as number;
  atUs += profile.timeDeltas[i] ?? 0;
  const dt = profile.timeDeltas[i + 1] ?? 0; // the time until the next sample is this sample's
  if (byId.get(leaf)?.callFrame.functionName === "(idle)") continue;
  const second = Math.floor(atUs / 1e6);
  busyBySecond[second] = (busyBySecond[second] ?? 0) + dt;
  if (atUs < fromUs || atUs > toUs) continue;
  busyUs += dt;
  const seen = new Set<string>();
  for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
    const name = byId.get(id)?.callFrame.functionName ?? "";
    if (inclusiveUs.has(name) && !seen.has(name)) {
      seen.add(name);
      inclusiveUs.set(name, (inclusiveUs.get(name) ?? 0) + dt);
    }
  }
}
if (timeline) {
  // Busy share of each second: the bench's phases (warm-up, closed loop, …) show as plateaus.
  const line = Array.from(busyBySecond, (us, s) => `${s}:${Math.round((us ?? 0) / 1e4)}%`).join(" ");
  process.stdout.write(`busy per second since the profile's start: ${line}\n`);
}
const window = fromUs > 0 || toUs < Number.POSITIVE_INFINITY ? ` (${fromUs / 1e6}-${toUs / 1e6} s)` : "";
process.stdout.write(`${file}${window}: busy ${(busyUs / 1e6).toFixed(1)} s of CPU\n`);
for (const [name, us] of inclusiveUs)
  process.stdout.write(
    `${name}: ${(us / 1e6).toFixed(2)} s inclusive, ${((100 * us) / Math.max(1, busyUs)).toFixed(2)} % of busy\n`,
  );
