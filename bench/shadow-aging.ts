/**
 * Aging of one PDU-like shadow (issue 18, docs/shadow-engine.md): its update time, load time, memory
 * per cached copy and bytes on disk as it goes through many changes, through the real ShadowStore on
 * SQLite (so epochs are cut at commit time exactly as in a node).
 *   npx tsx bench/shadow-aging.ts [--changes 1000,10000,100000,1000000] [--epoch-after 32]
 *     [--compact-after 8] [--shared no|full|agreed]   (defaults: the node's, shared/settings.ts)
 * `--epoch-after 0` keeps the whole history (the engine before epochs). `--shared full`: the shadow is
 * shared with another site and `epochShared` is off (never cut); `--shared agreed`: shared, cut by
 * agreed cuts at a root whose peers always hold its heads (the best case: every due cut happens). SQLite runs with
 * synchronous=OFF here: the fsync of a commit is the disk's cost, not the engine's (it does not
 * depend on the shadow's age either). Prints one line per checkpoint and a JSON summary.
 */
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ShadowStore } from "../broker/shadow/shadow-store.ts";
import { openDatabase } from "../broker/store/database.ts";
import { SETTINGS } from "../shared/settings.ts";
import { pduInitial, pduStep } from "./pdu-workload.ts";
import { REPO_ROOT, tempDir } from "./procs.ts";

const { values } = parseArgs({
  options: {
    changes: { type: "string", default: "1000,10000,100000,1000000" },
    "epoch-after": { type: "string", default: String(SETTINGS.epochAfterChanges.default) },
    "compact-after": { type: "string", default: String(SETTINGS.compactAfterChunks.default) },
    window: { type: "string", default: "2000" },
    copies: { type: "string", default: "2000" },
    loads: { type: "string", default: "20" },
    shared: { type: "string", default: "no" },
  },
});
const checkpoints = (values.changes as string).split(",").map(Number);
const epochAfter = Number(values["epoch-after"]);
const WINDOW = Number(values.window);
const COPIES = Number(values.copies);
const LOADS = Number(values.loads);

const dir = tempDir("umbra-aging-");
const db = openDatabase(dir);
db.pragma("synchronous = OFF");
const compactAfter = Number(values["compact-after"]);
const options = {
  cacheSize: 10,
  compactAfterChunks: compactAfter,
  epochAfterChanges: epochAfter,
  site: "bench",
};
const store = new ShadowStore(db, "a".repeat(32), options);
const shared = values.shared as string;
if (!["no", "full", "agreed"].includes(shared)) throw new Error("--shared is no, full or agreed");
if (shared !== "no") store.setCutPolicy(() => (shared === "agreed" ? "agreed" : false));
const addr = { thing: "pdu-aging", shadow: "" };
const ts = 1_700_000_000;

function commit(edits: ReturnType<typeof pduStep>, t: number): { updateNs: number; commitNs: number } {
  const entry = store.open(addr);
  const t0 = process.hrtime.bigint();
  if (!entry.doc.update(edits, t)) throw new Error("the workload must change the shadow every time");
  const t1 = process.hrtime.bigint();
  store.stage(entry);
  store.commit([entry]);
  store.markCommitted([entry]);
  const t2 = process.hrtime.bigint();
  return { updateNs: Number(t1 - t0), commitNs: Number(t2 - t1) };
}

/** Median wall time of a load from SQLite (a cache miss), and the mean CPU time of one. */
function loadMs(): { wall: number; cpu: number } {
  const other = new ShadowStore(db, "b".repeat(32), { ...options, cacheSize: 1 });
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    other.open(addr); // warm-up loads (JIT), not counted
    other.close();
  }
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < LOADS; i++) {
    const t0 = performance.now();
    const entry = other.open(addr);
    samples.push(performance.now() - t0);
    if (entry.doc.view.version !== store.open(addr).doc.view.version) throw new Error("load mismatch");
    other.close();
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number;
  return { wall, cpu: (cpu.user + cpu.system) / LOADS / 1000 };
}

function diskBytes(): number {
  const row = db
    .prepare(
      `SELECT length(snapshot) + coalesce((SELECT sum(length(data)) FROM shadow_chunks c
        WHERE c.thing = s.thing AND c.name = s.name), 0) AS n FROM shadows s WHERE thing = ? AND name = ?`,
    )
    .get(addr.thing, addr.shadow) as { n: number };
  return row.n;
}

function memoryPerShadow(): number {
  const file = join(dir, "shadow.bin");
  const doc = store.open(addr).doc;
  writeFileSync(file, doc.save());
  writeFileSync(`${file}.meta`, JSON.stringify(doc.view.meta));
  // Bounded by the memory the copies will take (~160 B of wasm per change held, issue 18), not by
  // their saved size: a long history saves small and loads big.
  const estimate = 20_000 + 200 * (doc.changesSinceBase + 1);
  const copies = Math.max(20, Math.min(COPIES, Math.floor(3e8 / (2 * estimate))));
  const run = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", join(REPO_ROOT, "bench/shadow-memory.ts"), file, String(copies)],
    { cwd: REPO_ROOT, encoding: "utf8", maxBuffer: 1 << 20 },
  );
  if (run.status !== 0) throw new Error(`shadow-memory failed: ${run.stderr}`);
  return (JSON.parse(run.stdout.trim()) as { bytesPerShadow: number }).bytesPerShadow;
}

// Warm-up on another shadow, so the JIT's first compilations do not count as the young shadow's cost.
{
  const warm = store.open({ thing: "pdu-warmup", shadow: "" });
  warm.doc.update({ reported: pduInitial(1) }, ts);
  for (let i = 1; i <= 3000; i++) {
    warm.doc.update(pduStep(i), ts + i);
    store.stage(warm);
    store.commit([warm]);
    store.markCommitted([warm]);
  }
}

const first = store.open(addr);
first.doc.update({ reported: pduInitial(0) }, ts);
store.stage(first);
store.commit([first]);
store.markCommitted([first]);

interface Row {
  changes: number;
  updateUs: number;
  commitUs: number;
  /** CPU time of update + commit per change (robust when other work shares the machine). */
  cpuUs: number;
  loadMs: number;
  loadCpuMs: number;
  memoryBytes: number;
  diskBytes: number;
  epoch: number;
  sinceBase: number;
}
const rows: Row[] = [];
const started = performance.now();
console.log(
  `epochAfterChanges=${epochAfter} shared=${shared}\n   changes  update µs  commit µs  cpu µs  load ms (cpu)  memory B/shadow  disk B  epoch  changes since base`,
);
let n = 1;
for (const target of checkpoints) {
  let updateNs = 0;
  let commitNs = 0;
  let measured = 0;
  let cpuWindow: NodeJS.CpuUsage | undefined;
  for (; n < target; n++) {
    if (target - n === WINDOW || (n === 1 && target - n < WINDOW)) cpuWindow = process.cpuUsage();
    const t = commit(pduStep(n), ts + n);
    if (target - n <= WINDOW) {
      updateNs += t.updateNs;
      commitNs += t.commitNs;
      measured++;
    }
  }
  const cpu = process.cpuUsage(cpuWindow);
  const cpuUs = (cpu.user + cpu.system) / measured;
  // Figures at the worst point of the epoch cycle: the last change before the next cut.
  let doc = store.open(addr).doc;
  for (; epochAfter > 0 && doc.changesSinceBase < epochAfter - 1; n++) {
    commit(pduStep(n), ts + n);
    doc = store.open(addr).doc;
  }
  const row: Row = {
    changes: n,
    updateUs: updateNs / measured / 1000,
    commitUs: commitNs / measured / 1000,
    cpuUs,
    ...(({ wall, cpu }) => ({ loadMs: wall, loadCpuMs: cpu }))(loadMs()),
    memoryBytes: memoryPerShadow(),
    diskBytes: diskBytes(),
    epoch: doc.epoch,
    sinceBase: doc.changesSinceBase,
  };
  rows.push(row);
  console.log(
    `${String(row.changes).padStart(10)}  ${row.updateUs.toFixed(1).padStart(9)}  ${row.commitUs.toFixed(1).padStart(9)}  ${row.cpuUs.toFixed(1).padStart(6)}  ${`${row.loadMs.toFixed(2)} (${row.loadCpuMs.toFixed(2)})`.padStart(13)}  ${String(row.memoryBytes).padStart(15)}  ${String(row.diskBytes).padStart(6)}  ${String(row.epoch).padStart(5)}  ${String(row.sinceBase).padStart(18)}`,
  );
}
const base = rows[0];
const last = rows[rows.length - 1];
if (base && last) {
  console.log(
    `ratio ${last.changes}/${base.changes}: update ${(last.updateUs / base.updateUs).toFixed(2)}x, update+commit ${((last.updateUs + last.commitUs) / (base.updateUs + base.commitUs)).toFixed(2)}x, cpu ${(last.cpuUs / base.cpuUs).toFixed(2)}x; load avg ${loadavg()[0]?.toFixed(1)}; ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
}
console.log(JSON.stringify({ epochAfterChanges: epochAfter, shared, rows }));
store.close();
db.close();
rmSync(dir, { recursive: true, force: true });
