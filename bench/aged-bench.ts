/**
 * A node whose store holds shadows aged to many changes each, all hot, against the same number of
 * fresh shadows, in one run (issue 18, docs/benchmarks.md "Aged store"):
 *   npx tsx bench/aged-bench.ts [--shadows 10000] [--changes 100000] [--duration 20] [--warmup 10]
 * For each store: fill it in a child process (bench/aged-store.ts: aged = epoch bases built by the
 * engine's base builder + the changes since the base through the store; fresh = one change each),
 * start `umbra broker` on it (start-up = spawn → ready), connect one device per shadow, warm up
 * (every shadow is loaded: all hot), then the closed loop of bench/load-run.ts. Prints both and the
 * ratio of closed-loop throughput aged / fresh, plus node RSS.
 */
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type LoadFigures, runLoad } from "./load-run.ts";
import type { BenchOptions } from "./options.ts";
import { cleanupNow, procSample, REPO_ROOT, spawnUmbra, tempDir, track } from "./procs.ts";

const { values } = parseArgs({
  options: {
    shadows: { type: "string", default: "10000" },
    changes: { type: "string", default: "100000" },
    duration: { type: "string", default: "20" },
    warmup: { type: "string", default: "10" },
    workers: { type: "string", default: "2" },
    only: { type: "string", default: "aged,fresh" },
  },
});
const shadows = Number(values.shadows);
const changes = Number(values.changes);
const log = (s: string) => process.stderr.write(`aged-bench: ${s}\n`);

function fill(dataDir: string, ageChanges: number): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          join(REPO_ROOT, "bench/aged-store.ts"),
          dataDir,
          "0",
          String(shadows),
          String(ageChanges),
        ],
        { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] },
      ),
    );
    let err = "";
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.once("exit", (code) =>
      code === 0 ? resolve((performance.now() - t) / 1000) : reject(new Error(`fill failed: ${err}`)),
    );
  });
}

interface Figures {
  label: string;
  changes: number;
  fillSeconds: number;
  dbBytes: number;
  startupMs: number;
  rssAfterStartBytes: number;
  rssAfterWarmupBytes: number;
  load: LoadFigures;
}

async function run(label: string, ageChanges: number): Promise<Figures> {
  const dataDir = join(tempDir(`umbra-aged-${label}-`), "data");
  log(`${label}: filling ${shadows} shadows of ${ageChanges} changes`);
  const fillSeconds = await fill(dataDir, ageChanges);
  const dbBytes = ["umbra.db", "umbra.db-wal"].reduce((n, f) => {
    try {
      return n + statSync(join(dataDir, f)).size;
    } catch {
      return n;
    }
  }, 0);
  log(
    `${label}: filled in ${fillSeconds.toFixed(0)} s, ${(dbBytes / 2 ** 20).toFixed(1)} MiB; starting the node`,
  );
  const node = await spawnUmbra(dataDir);
  try {
    const rssAfterStartBytes = procSample(node.pid).rssBytes;
    const opts: BenchOptions = {
      devices: shadows,
      duration: Number(values.duration),
      warmup: Number(values.warmup),
      rate: 200,
      deltaRate: 100,
      stored: 0,
      touch: 0,
      workers: Number(values.workers),
      parts: ["umbra"],
      nodeArgs: [],
      cpuProf: undefined,
      waitIdle: 0,
      timeout: 3600,
      quick: false,
    };
    const load = await runLoad(node, "shadow", opts);
    return {
      label,
      changes: ageChanges,
      fillSeconds,
      dbBytes,
      startupMs: node.startMs,
      rssAfterStartBytes,
      rssAfterWarmupBytes: load.rssPeakBytes,
      load,
    };
  } finally {
    await node.stop();
  }
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
try {
  const wanted = (values.only as string).split(",");
  const results: Figures[] = [];
  if (wanted.includes("aged")) results.push(await run("aged", changes));
  if (wanted.includes("fresh")) results.push(await run("fresh", 1));
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  console.log(
    "store   changes/shadow  db       start-up  RSS start  RSS peak  closed/s  p50 ms  p99 ms  broker CPU  other CPU",
  );
  for (const r of results) {
    const c = r.load.closed;
    console.log(
      `${r.label.padEnd(6)}  ${String(r.changes).padStart(14)}  ${mib(r.dbBytes).padStart(7)}  ${`${r.startupMs.toFixed(0)} ms`.padStart(8)}  ${mib(r.rssAfterStartBytes).padStart(9)}  ${mib(r.rssAfterWarmupBytes).padStart(8)}  ${c.perSecond.toFixed(0).padStart(8)}  ${c.p50Ms.toFixed(0).padStart(6)}  ${c.p99Ms.toFixed(0).padStart(6)}  ${`${c.brokerCpuPct.toFixed(0)} %`.padStart(10)}  ${`${c.foreignCpuPct.toFixed(0)} %`.padStart(9)}`,
    );
  }
  const [aged, fresh] = results;
  if (aged && fresh)
    console.log(
      `closed-loop throughput aged/fresh: ${(aged.load.closed.perSecond / fresh.load.closed.perSecond).toFixed(2)}`,
    );
  console.log(JSON.stringify(results.map(({ load, ...r }) => ({ ...r, closed: load.closed }))));
} finally {
  cleanupNow();
}
