/**
 * What bounding the JS heap's growth (broker/shadow/heap-growth.ts) costs and saves, in one process:
 *   npx tsx bench/heap-growth.ts [--shadows 10000] [--ballast-mib 200] [--percents 0,50] [--rounds 4]
 *     [--seconds 8]
 * The shadow core (ShadowService + GroupCommit + SQLite, no MQTT) with every one of `--shadows`
 * shadows updating in a closed loop, as bench/service-load.ts, beside `--ballast-mib` of long-lived
 * JS objects standing in for the state of 10,000 MQTT connections (the node's live heap measured at
 * 10,000 devices was ~190 MiB after a full GC, docs/benchmarks.md). V8 reads
 * `--heap-growing-percent` whenever it sets the next limit, so the settings are alternated within
 * the process, round after round (0 = V8's own factor). Per setting: the median over rounds of the
 * CPU time per update (all threads, GC included) and the highest heap in use and heap size seen.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { GroupCommit } from "../broker/shadow/group-commit.ts";
import { limitHeapGrowth } from "../broker/shadow/heap-growth.ts";
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
    percents: { type: "string", default: "0,50" },
    rounds: { type: "string", default: "4" },
    seconds: { type: "string", default: "8" },
  },
});
const shadows = Number(values.shadows);
const percents = (values.percents as string).split(",").map(Number);
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MIB = 2 ** 20;

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
async function device(i: number): Promise<void> {
  let seq = 0;
  while (running) {
    seq++;
    const body = `{"state":{"reported":{"temp":${(20 + Math.random() * 10).toFixed(2)},"load":${seq % 100},"seq":${seq}}},"clientToken":"${seq}"}`;
    const r = await service.update({ thing: `dev-${i}`, shadow: "" }, Buffer.from(body));
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    done++;
  }
}
const devices = Array.from({ length: shadows }, (_, i) => device(i));
while (done < 2 * shadows) await sleep(100);

interface Row {
  cpu: number[];
  heapUsedPeak: number;
  heapTotalPeak: number;
  rssPeak: number;
}
const rows = new Map<number, Row>(
  percents.map((p) => [p, { cpu: [], heapUsedPeak: 0, heapTotalPeak: 0, rssPeak: 0 }]),
);
for (let r = 0; r < ROUNDS; r++) {
  for (const p of percents) {
    const row = rows.get(p) as Row;
    if (p > 0) limitHeapGrowth(p);
    else setFlagsFromString("--heap-growing-percent=0");
    const done0 = done;
    const cpu0 = process.cpuUsage();
    const until = performance.now() + SECONDS * 1000;
    while (performance.now() < until) {
      await sleep(100);
      const m = process.memoryUsage();
      row.heapUsedPeak = Math.max(row.heapUsedPeak, m.heapUsed);
      row.heapTotalPeak = Math.max(row.heapTotalPeak, m.heapTotal);
      row.rssPeak = Math.max(row.rssPeak, m.rss);
    }
    const cpu = process.cpuUsage(cpu0);
    row.cpu.push((cpu.user + cpu.system) / (done - done0));
    process.stderr.write(
      `heap-growth: round ${r + 1} percent ${p}: ${row.cpu.at(-1)?.toFixed(0)} µs/update\n`,
    );
  }
}
running = false;
await Promise.all(devices);
await commits.close();
store.close();
db.close();
rmSync(dir, { recursive: true, force: true });
void ballast.length;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const base = rows.get(percents[0] as number) as Row;
console.log("heap growth %  CPU µs/update  ratio  peak heap used  peak heap size  peak RSS");
for (const [p, row] of rows)
  console.log(
    `${(p === 0 ? "V8's own" : `${p}`).padStart(13)}  ${median(row.cpu).toFixed(0).padStart(13)}  ${(median(row.cpu) / median(base.cpu)).toFixed(2).padStart(5)}  ${`${(row.heapUsedPeak / MIB).toFixed(0)} MiB`.padStart(14)}  ${`${(row.heapTotalPeak / MIB).toFixed(0)} MiB`.padStart(14)}  ${`${(row.rssPeak / MIB).toFixed(0)} MiB`.padStart(8)}`,
  );
console.log(JSON.stringify([...rows].map(([p, row]) => ({ percent: p, cpuUs: median(row.cpu), ...row }))));
