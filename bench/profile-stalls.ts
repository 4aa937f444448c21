/**
 * Long main-thread tasks in a V8 CPU profile (`--cpu-prof`, e.g. from `shadow-bench.ts --cpu-prof DIR`):
 * every stretch of consecutive non-idle samples longer than `--min` ms (default 5) is one task the
 * event loop could not leave, so every request arriving meanwhile waited for it. For each stretch: when
 * it started (s since the profile began), how long it lasted, and the functions (inclusive) that took
 * most of it; then, over all long stretches, which functions they were made of. On a loaded machine a
 * stretch also holds the time the thread was descheduled; the function shares stay meaningful.
 *
 *   npx tsx bench/profile-stalls.ts DIR_OR_FILE [--min 5] [--from S] [--to S] [--top 5]
 */
import { largestProfile, type ProfileNode, readProfile } from "./cpu-profile.ts";

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const target = args[0];
if (!target) {
  process.stderr.write("usage: profile-stalls.ts DIR_OR_FILE [--min MS] [--from S] [--to S] [--top N]\n");
  process.exit(2);
}
const minMs = flag("min", 5);
const fromS = flag("from", 0);
const toS = flag("to", Number.POSITIVE_INFINITY);
const top = flag("top", 5);

const file = largestProfile(target);
const profile = readProfile(file);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: ProfileNode | undefined) => {
  if (!n) return "?";
  const f = n.callFrame;
  const where = f.url ? `${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}` : "";
  return `${f.functionName || "(anonymous)"} ${where}`.trim();
};

interface Stretch {
  startS: number;
  ms: number;
  /** Inclusive µs per function label. */
  by: Map<string, number>;
}

const stretches: Stretch[] = [];
let current: Stretch | undefined;
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  const leaf = profile.samples[i] as number;
  const dt = profile.timeDeltas[i + 1] ?? 0;
  const idle = byId.get(leaf)?.callFrame.functionName === "(idle)";
  if (idle) {
    if (current && current.ms >= minMs) stretches.push(current);
    current = undefined;
    continue;
  }
  current ??= { startS: (t - profile.startTime) / 1e6, ms: 0, by: new Map() };
  current.ms += dt / 1000;
  const seen = new Set<string>();
  for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
    const name = label(byId.get(id));
    if (seen.has(name)) continue;
    seen.add(name);
    current.by.set(name, (current.by.get(name) ?? 0) + dt);
  }
}
if (current && current.ms >= minMs) stretches.push(current);

const picked = stretches.filter((s) => s.startS >= fromS && s.startS <= toS);
const total = new Map<string, number>();
let totalMs = 0;
const skip = new Set(["(root)", "(program)"]);
const tops = (by: Map<string, number>, ms: number, n: number) =>
  [...by.entries()]
    .filter(([k]) => !skip.has(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `${k} ${((100 * us) / 1000 / ms).toFixed(0)}%`);
process.stdout.write(`${file}\n${picked.length} stretches ≥ ${minMs} ms without an idle sample\n`);
for (const s of picked) {
  totalMs += s.ms;
  for (const [k, us] of s.by) total.set(k, (total.get(k) ?? 0) + us);
  process.stdout.write(
    `${s.startS.toFixed(2)} s  ${s.ms.toFixed(1)} ms  ${tops(s.by, s.ms, top).join(" | ")}\n`,
  );
}
process.stdout.write(`\nall long stretches: ${totalMs.toFixed(0)} ms; inclusive shares:\n`);
for (const line of tops(total, totalMs, 30)) process.stdout.write(`  ${line}\n`);
