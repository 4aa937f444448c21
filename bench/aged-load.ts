/**
 * Cold load of an aged shadow against a fresh one, and what the store's epoch and compaction settings
 * cost per change (issue 18, docs/benchmarks.md "Bounded history"), in one process:
 *   npx tsx bench/aged-load.ts [--configs 128:64,128:16,64:16] [--shadows 256] [--rounds 5]
 * Each config is `epochAfterChanges:compactAfterChunks`. For each, `--shadows` PDU-like shadows go
 * through the real ShadowStore on SQLite (synchronous=OFF: the fsync does not depend on age) for two
 * epochs plus i mod E changes (so the fleet is spread over the epoch cycle, as an aged store is). A
 * fresh store holds the same number of shadows with one change each. Then, in `--rounds` rounds
 * alternating between the stores: cold loads of every shadow (`readView` on a store with no cache:
 * SQLite read + document load + view), and (configs only) `--updates` updates of random hot shadows
 * (update + group commit of 64, cuts and compactions included). Figures are CPU time (robust on a
 * shared machine): the median over rounds, and for loads the median of the per-round ratio to fresh.
 */
import { rmSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { ShadowStore } from "../broker/shadow/shadow-store.ts";
import type { Db } from "../broker/store/database.ts";
import { openDatabase } from "../broker/store/database.ts";
import { pduInitial, pduStep } from "./pdu-workload.ts";
import { tempDir } from "./procs.ts";

const { values } = parseArgs({
  options: {
    configs: { type: "string", default: "128:64,128:16,64:16,64:8,32:8" },
    shadows: { type: "string", default: "256" },
    rounds: { type: "string", default: "5" },
    updates: { type: "string", default: "4000" },
  },
});
const SHADOWS = Number(values.shadows);
const ROUNDS = Number(values.rounds);
const UPDATES = Number(values.updates);
const T0 = 1_700_000_000;

interface Setup {
  label: string;
  db: Db;
  /** Holds every shadow hot (the updates); `cold` has no cache (the loads). */
  store: ShadowStore;
  cold: ShadowStore;
  dir: string;
  bytesPerShadow: number;
  loads: number[];
  ratios: number[];
  /** CPU µs of update + commit per change, per round. */
  updates: number[];
  step: number;
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function build(label: string, epochAfter: number, compactAfter: number): Setup {
  const dir = tempDir(`umbra-aged-load-${label.replace(":", "-")}-`);
  const db = openDatabase(dir);
  db.pragma("synchronous = OFF");
  const options = { compactAfterChunks: compactAfter, epochAfterChanges: epochAfter, site: "bench" };
  const store = new ShadowStore(db, "a".repeat(32), { ...options, cacheSize: SHADOWS + 10 });
  const cold = new ShadowStore(db, "b".repeat(32), { ...options, cacheSize: 0 });
  for (let i = 0; i < SHADOWS; i++) {
    const addr = { thing: `pdu-${i}`, shadow: "" };
    const total = epochAfter === 0 ? 1 : 2 * epochAfter + (i % epochAfter);
    for (let n = 1; n <= total; n++) {
      const entry = store.open(addr);
      entry.doc.update(n === 1 ? { reported: pduInitial(i) } : pduStep(n), T0 + n);
      store.stage(entry);
      store.commit([entry]);
      store.markCommitted([entry]);
    }
  }
  const bytes = db
    .prepare(
      "SELECT (SELECT coalesce(sum(length(snapshot)), 0) FROM shadows) + (SELECT coalesce(sum(length(data)), 0) FROM shadow_chunks) AS n",
    )
    .get() as { n: number };
  return {
    label,
    db,
    store,
    cold,
    dir,
    bytesPerShadow: bytes.n / SHADOWS,
    loads: [],
    ratios: [],
    updates: [],
    step: 100_000,
  };
}

/** CPU µs per change of `UPDATES` updates of random hot shadows, committed in groups of 64. */
function updateRound(s: Setup): number {
  const c0 = cpuUs();
  for (let done = 0; done < UPDATES; done += 64) {
    const batch = new Map<string, ReturnType<ShadowStore["open"]>>();
    for (let k = 0; k < 64; k++) {
      const i = Math.floor(Math.random() * SHADOWS);
      const entry = s.store.open({ thing: `pdu-${i}`, shadow: "" });
      s.step++;
      entry.doc.update(pduStep(s.step), T0 + s.step);
      s.store.stage(entry);
      batch.set(entry.key, entry);
    }
    s.store.commit(batch.values());
    s.store.markCommitted(batch.values());
  }
  return (cpuUs() - c0) / (Math.ceil(UPDATES / 64) * 64);
}

/** Mean CPU µs of one cold `readView` over every shadow of the store. */
function loadRound(s: Setup): number {
  const c0 = cpuUs();
  for (let i = 0; i < SHADOWS; i++) s.cold.readView({ thing: `pdu-${i}`, shadow: "" });
  return (cpuUs() - c0) / SHADOWS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const configs = (values.configs as string).split(",").map((c) => {
  const [e, k] = c.split(":").map(Number);
  if (!Number.isInteger(e) || !Number.isInteger(k)) throw new Error(`bad config '${c}' (E:C)`);
  return { label: c, e: e as number, k: k as number };
});
const fresh = build("fresh", 0, 64);
const setups = configs.map((c) => {
  process.stderr.write(`aged-load: building ${c.label}\n`);
  return build(c.label, c.e, c.k);
});
for (const s of [fresh, ...setups]) loadRound(s); // warm-up (JIT, SQLite page cache)
for (let r = 0; r < ROUNDS; r++) {
  process.stderr.write(`aged-load: round ${r + 1} of ${ROUNDS}\n`);
  const f = loadRound(fresh);
  fresh.loads.push(f);
  for (const s of setups) {
    const l = loadRound(s);
    s.loads.push(l);
    s.ratios.push(l / f);
    s.updates.push(updateRound(s));
  }
}
console.log(
  `load average at the end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
console.log(
  "E:C (epochAfter:compactAfterChunks)  load CPU µs  ratio to fresh  update+commit CPU µs/change  disk B/shadow",
);
console.log(
  `fresh (1 change)                     ${median(fresh.loads).toFixed(0).padStart(11)}  ${"1.00".padStart(14)}  ${"-".padStart(27)}  ${fresh.bytesPerShadow.toFixed(0).padStart(13)}`,
);
for (const s of setups)
  console.log(
    `${s.label.padEnd(37)}${median(s.loads).toFixed(0).padStart(11)}  ${median(s.ratios).toFixed(2).padStart(14)}  ${median(s.updates).toFixed(0).padStart(27)}  ${s.bytesPerShadow.toFixed(0).padStart(13)}`,
  );
console.log(
  JSON.stringify(
    [fresh, ...setups].map((s) => ({
      config: s.label,
      loadCpuUs: median(s.loads),
      ratio: s.ratios.length ? median(s.ratios) : 1,
      cpuPerChangeUs: s.updates.length ? median(s.updates) : null,
      bytesPerShadow: s.bytesPerShadow,
    })),
  ),
);
for (const s of [fresh, ...setups]) {
  s.store.close();
  s.cold.close();
  s.db.close();
  rmSync(s.dir, { recursive: true, force: true });
}
