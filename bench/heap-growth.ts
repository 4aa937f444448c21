/**
 * What bounding the JS heap's growth (broker/shadow/heap-growth.ts) costs and saves, in one process:
 *   npx tsx bench/heap-growth.ts [--shadows 10000] [--ballast-mib 200] [--percents 300,50] [--rounds 4]
 *     [--seconds 8]
 * The shadow core (ShadowService + GroupCommit + SQLite, no MQTT) with every one of `--shadows`
 * shadows updating in a closed loop, as bench/service-load.ts, beside `--ballast-mib` of long-lived
 * JS objects standing in for the state of 10,000 MQTT connections (the node's live heap measured at
 * 10,000 devices was ~190 MiB after a full GC, docs/benchmarks.md). Each round runs one child
 * process per setting (300 = V8's own factor), in turn, so a change in the machine's load hits them
 * alike and no heap carries over between settings. Per setting: the median over rounds of the CPU
 * time per update in a `--seconds` window (all threads, GC included) and of the peak heap in use,
 * heap size and RSS in that window.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { GroupCommit } from "../broker/shadow/group-commit.ts";
import { limitHeapGrowth, V8_MAX_PERCENT } from "../broker/shadow/heap-growth.ts";
import { newActorId } from "../broker/shadow/shadow-doc.ts";
import { ShadowService } from "../broker/shadow/shadow-service.ts";
import { ShadowStore } from "../broker/shadow/shadow-store.ts";
import { WalSync } from "../broker/shadow/wal-sync.ts";
import { WasmHeadroom } from "../broker/shadow/wasm-headroom.ts";
import { openDatabase } from "../broker/store/database.ts";
import { DEFAULT_LIMITS } from "../shared/limits.ts";

const { values } = parseArgs({
  options: {
    shadows: { type: "string", default: "10000" },
    "ballast-mib": { type: "string", default: "200" },
    percents: { type: "string", default: "300,50" },
    rounds: { type: "string", default: "4" },
    seconds: { type: "string", default: "15" },
    child: { type: "string" },
  },
});
const shadows = Number(values.shadows);
const percents = (values.percents as string).split(",").map(Number);
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MIB = 2 ** 20;

interface Sample {
  cpuUs: number;
  heapUsedPeak: number;
  heapTotalPeak: number;
  rssPeak: number;
}

/** One setting in this process: warm up, then one window; prints a Sample as JSON. */
async function child(percent: number): Promise<void> {
  limitHeapGrowth(percent);
  // Long-lived objects of about the size and shape of per-connection state (~1 KiB each).
  const ballast: object[] = [];
  for (let i = 0; i < (Number(values["ballast-mib"]) * MIB) / 1024; i++)
    ballast.push({ id: `client-${i}`, subs: [`t/${i}/a`, `t/${i}/b`], buf: new Array(100).fill(i) });
  const dir = mkdtempSync(join(tmpdir(), "umbra-heap-growth-"));
  const db = openDatabase(dir);
  const store = new ShadowStore(db, newActorId(), { cacheSize: 20_000, compactAfterChunks: 8 });
  const commits = new GroupCommit(store, 4096, new WalSync(db));
  const headroom = new WasmHeadroom();
  headroom.topUp();
  commits.batchObservers.push((n) => headroom.afterChanges(n));
  const service = new ShadowService(store, commits, DEFAULT_LIMITS);
  let done = 0;
  let running = true;
  const device = async (i: number): Promise<void> => {
    let seq = 0;
    while (running) {
      seq++;
      const body = `{"state":{"reported":{"temp":${(20 + Math.random() * 10).toFixed(2)},"load":${seq % 100},"seq":${seq}}},"clientToken":"${seq}"}`;
      const r = await service.update({ thing: `dev-${i}`, shadow: "" }, Buffer.from(body));
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      done++;
    }
  };
  const devices = Array.from({ length: shadows }, (_, i) => device(i));
  while (done < 2 * shadows) await sleep(100);
  const out: Sample = { cpuUs: 0, heapUsedPeak: 0, heapTotalPeak: 0, rssPeak: 0 };
  const done0 = done;
  const cpu0 = process.cpuUsage();
  const until = performance.now() + SECONDS * 1000;
  while (performance.now() < until) {
    await sleep(100);
    const m = process.memoryUsage();
    out.heapUsedPeak = Math.max(out.heapUsedPeak, m.heapUsed);
    out.heapTotalPeak = Math.max(out.heapTotalPeak, m.heapTotal);
    out.rssPeak = Math.max(out.rssPeak, m.rss);
  }
  const cpu = process.cpuUsage(cpu0);
  out.cpuUs = (cpu.user + cpu.system) / (done - done0);
  running = false;
  await Promise.all(devices);
  await commits.close();
  store.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  void ballast.length;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (values.child !== undefined) {
  await child(Number(values.child));
  process.exit(0);
}

const rows = new Map<number, Sample[]>(percents.map((p) => [p, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const p of percents) {
    const run = spawnSync(
      process.execPath,
      ["--import", "tsx", fileURLToPath(import.meta.url), ...process.argv.slice(2), "--child", String(p)],
      { encoding: "utf8" },
    );
    if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
    const sample = JSON.parse(run.stdout.trim().split("\n").pop() as string) as Sample;
    rows.get(p)?.push(sample);
    process.stderr.write(`heap-growth: round ${r + 1} percent ${p}: ${JSON.stringify(sample)}\n`);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const med = (xs: Sample[], k: keyof Sample) => median(xs.map((x) => x[k]));
const base = rows.get(percents[0] as number) as Sample[];
const mib = (b: number) => `${(b / MIB).toFixed(0)} MiB`;
console.log("heap growth %  CPU µs/update  ratio  peak heap used  peak heap size  peak RSS");
for (const [p, xs] of rows)
  console.log(
    `${(p >= V8_MAX_PERCENT ? "V8's own" : `${p}`).padStart(13)}  ${med(xs, "cpuUs").toFixed(0).padStart(13)}  ${(med(xs, "cpuUs") / med(base, "cpuUs")).toFixed(2).padStart(5)}  ${mib(med(xs, "heapUsedPeak")).padStart(14)}  ${mib(med(xs, "heapTotalPeak")).padStart(14)}  ${mib(med(xs, "rssPeak")).padStart(8)}`,
  );
console.log(JSON.stringify([...rows].map(([percent, samples]) => ({ percent, samples }))));
