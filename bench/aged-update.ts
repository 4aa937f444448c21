/**
 * The closed loop of bench/aged-bench.ts without the node around it, in one process, to profile where
 * an aged shadow's update costs more than a fresh one's (issue 18, docs/benchmarks.md):
 *   npx tsx bench/aged-update.ts [--shadows 2000] [--changes 100000] [--updates 4000] [--rounds 6]
 *     [--batch 64] [--only aged,fresh]
 * Two stores are filled by bench/aged-store.ts exactly as aged-bench fills them (aged: epoch bases +
 * the changes since, spread over the epoch cycle; fresh: the same state in one change), opened with
 * the node's defaults (epochAfterChanges, compactAfterChunks, UMBRA_* in the environment apply) and
 * every shadow loaded (all hot, as in aged-bench). Then `--rounds` rounds alternating between the
 * stores: `--updates` updates of one reported leaf of random shadows, committed in groups of
 * `--batch` through the store's commit (`prepare` + the batch's SQL inline, synchronous=OFF: the fsync
 * does not depend on age). Prints CPU µs per update (the process: prepare, SQL and the update itself)
 * and the part in `prepare` (what the node's main thread pays per commit), medians of rounds and the
 * median of the per-round aged/fresh ratios. Run it under `node --cpu-prof` with `--only aged` to see
 * where the aged store's time goes.
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { newActorId } from "../broker/shadow/shadow-doc.ts";
import { type ShadowEntry, ShadowStore } from "../broker/shadow/shadow-store.ts";
import { openDatabase } from "../broker/store/database.ts";
import { SETTINGS } from "../shared/settings.ts";
import { REPO_ROOT, tempDir } from "./procs.ts";
import { deviceId } from "./things.ts";

const { values } = parseArgs({
  options: {
    shadows: { type: "string", default: "2000" },
    changes: { type: "string", default: "100000" },
    updates: { type: "string", default: "4000" },
    rounds: { type: "string", default: "6" },
    batch: { type: "string", default: "64" },
    only: { type: "string", default: "aged,fresh" },
  },
});
const SHADOWS = Number(values.shadows);
const CHANGES = Number(values.changes);
const UPDATES = Number(values.updates);
const ROUNDS = Number(values.rounds);
const BATCH = Number(values.batch);
const env = (name: string, fallback: number) => Number(process.env[name] || fallback);
const options = {
  cacheSize: SHADOWS + 10,
  compactAfterChunks: env("UMBRA_COMPACT_AFTER_CHUNKS", SETTINGS.compactAfterChunks.default as number),
  epochAfterChanges: env("UMBRA_EPOCH_AFTER_CHANGES", SETTINGS.epochAfterChanges.default as number),
  site: "bench",
};

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

function setup(label: string, changes: number) {
  const dir = tempDir(`umbra-aged-update-${label}-`);
  const fill = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      join(REPO_ROOT, "bench/aged-store.ts"),
      dir,
      "0",
      String(SHADOWS),
      String(changes),
      "",
      String(CHANGES),
    ],
    { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "inherit"] },
  );
  if (fill.status !== 0) throw new Error(`fill of ${label} failed`);
  const db = openDatabase(dir);
  db.pragma("synchronous = OFF");
  const store = new ShadowStore(db, newActorId(), options);
  for (let i = 0; i < SHADOWS; i++) store.open({ thing: deviceId(i), shadow: "" });
  const s = { label, dir, db, store, total: [] as number[], prepare: [] as number[], prepareUs: 0 };
  // The commit calls `this.prepare`: time it there.
  const prepare = store.prepare.bind(store);
  store.prepare = (entries) => {
    const p0 = cpuUs();
    const prepared = prepare(entries);
    s.prepareUs += cpuUs() - p0;
    return prepared;
  };
  return s;
}
type Setup = ReturnType<typeof setup>;

function round(s: Setup): void {
  s.prepareUs = 0;
  const c0 = cpuUs();
  for (let done = 0; done < UPDATES; done += BATCH) {
    const batch = new Map<string, ShadowEntry>();
    for (let k = 0; k < BATCH; k++) {
      const entry = s.store.open({ thing: deviceId(Math.floor(Math.random() * SHADOWS)), shadow: "" });
      entry.doc.update(
        { reported: { temp: Math.round(Math.random() * 400) / 10 } },
        Math.floor(Date.now() / 1000),
      );
      s.store.stage(entry);
      batch.set(entry.key, entry);
    }
    s.store.commit(batch.values());
    s.store.markCommitted(batch.values());
  }
  const n = Math.ceil(UPDATES / BATCH) * BATCH;
  s.total.push((cpuUs() - c0) / n);
  s.prepare.push(s.prepareUs / n);
}

const only = (values.only as string).split(",");
const setups = [
  ...(only.includes("aged") ? [setup("aged", CHANGES)] : []),
  ...(only.includes("fresh") ? [setup("fresh", 1)] : []),
];
for (let r = 0; r < ROUNDS; r++) for (const s of setups) round(s);
const [a, f] = setups;
const ratios = (pick: (s: Setup) => number[]) =>
  a && f ? median(pick(a).map((x, i) => x / (pick(f)[i] ?? Number.NaN))).toFixed(2) : "-";
console.log(
  `load average at the end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
for (const s of setups)
  console.log(
    `${s.label.padEnd(6)} CPU µs per update ${median(s.total).toFixed(0).padStart(5)} (prepare ${median(s.prepare).toFixed(0).padStart(4)}), cuts ${s.store.cuts}`,
  );
console.log(`aged/fresh: CPU per update ${ratios((s) => s.total)}, prepare ${ratios((s) => s.prepare)}`);
for (const s of setups) {
  s.store.close();
  s.db.close();
  rmSync(s.dir, { recursive: true, force: true });
}
