/**
 * The shadow core alone, in process, no MQTT: N shadows each with one update in flight (the closed
 * loop of bench/shadow-bench.ts without sockets), through ShadowService + GroupCommit + SQLite.
 *   npx tsx bench/service-load.ts [--shadows N] [--seconds S] [--commit inline|wal|worker] [--headroom on|off]
 * Reports updates/s and the process's CPU time per update (all threads, GC included): on a shared
 * machine the CPU per update stays meaningful when wall-clock throughput does not. `--commit inline`
 * and `--headroom off` reproduce the node before 2026-12-07 (fsync inside COMMIT, wasm heap growing
 * in 64 KiB steps); `--commit worker` is the node's default (transaction and fsync on the commit
 * worker, docs/shadow-engine.md "Threads"). `mainCpuMicrosPerUpdate` is the main thread's share. One
 * JSON line on stdout.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CommitThread } from "../broker/shadow/commit-thread.ts";
import { GroupCommit } from "../broker/shadow/group-commit.ts";
import { newActorId } from "../broker/shadow/shadow-doc.ts";
import { ShadowService } from "../broker/shadow/shadow-service.ts";
import { ShadowStore } from "../broker/shadow/shadow-store.ts";
import { WalSync } from "../broker/shadow/wal-sync.ts";
import { WasmHeadroom } from "../broker/shadow/wasm-headroom.ts";
import { openDatabase } from "../broker/store/database.ts";
import { DEFAULT_LIMITS } from "../shared/limits.ts";
import { mainThreadCpuSeconds } from "./procs.ts";

const { values } = parseArgs({
  options: {
    shadows: { type: "string", default: "10000" },
    seconds: { type: "string", default: "10" },
    commit: { type: "string", default: "wal" },
    headroom: { type: "string", default: "on" },
  },
});
const shadows = Number(values.shadows);
const seconds = Number(values.seconds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), "umbra-service-load-"));
const db = openDatabase(dir);
const store = new ShadowStore(db, newActorId(), { cacheSize: 20_000, compactAfterChunks: 64 });
const durability =
  values.commit === "worker" ? new CommitThread(db) : values.commit === "wal" ? new WalSync(db) : undefined;
const commits = new GroupCommit(store, 4096, durability);
if (values.headroom === "on") {
  const headroom = new WasmHeadroom();
  headroom.topUp();
  commits.batchObservers.push((n) => headroom.afterChanges(n));
}
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
// Warm-up: every shadow created and updated once, so the window measures updates, not creation.
while (done < 2 * shadows) await sleep(100);
const done0 = done;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const main0 = mainThreadCpuSeconds(process.pid);
await sleep(seconds * 1000);
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const mainCpu = mainThreadCpuSeconds(process.pid) - main0;
const n = done - done0;
const memory = process.memoryUsage();
running = false;
await Promise.all(devices);
await commits.close();
store.close();
db.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    shadows,
    commit: values.commit,
    headroom: values.headroom,
    updatesPerSecond: Math.round(n / wall),
    cpuPct: Math.round((cpu.user + cpu.system) / 1e4 / wall),
    cpuMicrosPerUpdate: Math.round((cpu.user + cpu.system) / n),
    mainCpuMicrosPerUpdate: Math.round((mainCpu * 1e6) / n),
    rssMiB: Math.round(memory.rss / 2 ** 20),
    // What is neither the JS heap nor Node's buffers is mostly Automerge's wasm memory.
    jsHeapMiB: Math.round(memory.heapTotal / 2 ** 20),
    externalMiB: Math.round(memory.external / 2 ** 20),
  })}\n`,
);
