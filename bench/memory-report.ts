/**
 * Reads a bench/memory-probe.ts file and prints the sample at peak RSS and the last one:
 *   npx tsx bench/memory-report.ts /tmp/mem.jsonl
 * "other" = RSS − heap total − external: native memory outside V8's accounting (SQLite's page cache,
 * socket buffers, code, allocator slack).
 */
import { readFileSync } from "node:fs";

const file = process.argv[2];
if (!file) {
  process.stderr.write("usage: memory-report.ts <probe.jsonl>\n");
  process.exit(2);
}
interface Sample {
  t: number;
  cpuS: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  spaces: Record<string, number>;
}
const samples = readFileSync(file, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as Sample);
if (samples.length === 0) throw new Error("no samples");
const peak = samples.reduce((a, b) => (b.rss > a.rss ? b : a));
const show = (label: string, s: Sample) =>
  console.log(
    `${label}: t=${(s.t / 1000).toFixed(0)} s RSS ${s.rss} MiB = heap ${s.heapTotal} (used ${s.heapUsed}; old ${s.spaces.old_space ?? "?"}, new ${s.spaces.new_space ?? "?"}) + external ${s.external} (array buffers ${s.arrayBuffers}) + other ${s.rss - s.heapTotal - s.external} MiB`,
  );
show("peak", peak);
show("last", samples[samples.length - 1] as Sample);
