// @ts-check
/**
 * A preload (plain JS: it runs before tsx is registered) for the node under a bench: appends one
 * JSON line of the process's memory every `UMBRA_MEMORY_PROBE_MS` (default 1000) to the file named by `UMBRA_MEMORY_PROBE`, so the peak's
 * breakdown (JS heap, external/array buffers — Automerge's wasm memory is one —, the rest of RSS:
 * SQLite's page cache, sockets, code) can be read after a run:
 *   npx tsx bench/shadow-bench.ts --devices 10000 --only umbra --node-args="--import ./bench/memory-probe.mjs"
 *   (with UMBRA_MEMORY_PROBE=/tmp/mem.jsonl in the environment)
 * Then `npx tsx bench/memory-report.ts /tmp/mem.jsonl` prints the samples at peak RSS.
 */
import { appendFileSync } from "node:fs";
import { getHeapSpaceStatistics } from "node:v8";

const file = process.env.UMBRA_MEMORY_PROBE;
if (file) {
  const every = Number(process.env.UMBRA_MEMORY_PROBE_MS ?? 1000);
  const mib = (b) => Math.round(b / 2 ** 20);
  const t0 = Date.now();
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    const spaces = {};
    for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = mib(s.space_used_size);
    const cpu = process.cpuUsage();
    const line = {
      t: Date.now() - t0,
      cpuS: (cpu.user + cpu.system) / 1e6,
      rss: mib(m.rss),
      heapTotal: mib(m.heapTotal),
      heapUsed: mib(m.heapUsed),
      external: mib(m.external),
      arrayBuffers: mib(m.arrayBuffers),
      spaces,
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, every);
  timer.unref();
}
