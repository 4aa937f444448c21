/**
 * Shares of a V8 CPU profile (`--cpu-prof`, e.g. from `shadow-bench.ts --cpu-prof DIR`): for each
 * function name given, the time spent in it or below it (inclusive), as a share of the busy time
 * (all samples but `(idle)`). CPU-time shares do not depend on how loaded the machine is.
 *
 *   npx tsx bench/profile-share.ts DIR_OR_FILE outgoingClearMessageId run ...
 *
 * With a directory, the largest profile in it or below is read (the node's main thread).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function largestProfile(path: string): string {
  if (!statSync(path).isDirectory()) return path;
  const files = (readdirSync(path, { recursive: true }) as string[])
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(path, f));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${path}`);
  return files.reduce((a, b) => (statSync(b).size > statSync(a).size ? b : a));
}

const [target, ...names] = process.argv.slice(2);
if (!target || names.length === 0) {
  process.stderr.write("usage: profile-share.ts DIR_OR_FILE FUNCTION_NAME...\n");
  process.exit(2);
}
const file = largestProfile(target);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

let busyUs = 0;
const inclusiveUs = new Map<string, number>(names.map((n) => [n, 0]));
for (let i = 0; i < profile.samples.length; i++) {
  const leaf = profile.samples[i] as number;
  const dt = profile.timeDeltas[i + 1] ?? 0; // the time until the next sample is this sample's
  if (byId.get(leaf)?.callFrame.functionName === "(idle)") continue;
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
process.stdout.write(`${file}: busy ${(busyUs / 1e6).toFixed(1)} s of CPU\n`);
for (const [name, us] of inclusiveUs)
  process.stdout.write(
    `${name}: ${(us / 1e6).toFixed(2)} s inclusive, ${((100 * us) / Math.max(1, busyUs)).toFixed(2)} % of busy\n`,
  );
