/**
 * Fills a data dir with shadows `from`..`to-1` (things `deviceId(i)`, the bench devices' own shadows)
 * aged to `changes` changes each, without replaying them (issue 18, docs/shadow-engine.md):
 *   node --import tsx bench/aged-store.ts <dataDir> <from> <to> <changes> [epochAfterChanges] [stateOf]
 * An unshared shadow that has seen `changes` changes holds the base of epoch
 * floor((changes - 1) / E) plus the changes since that base. Each shadow is built exactly so: its
 * base through the engine's own base builder (`ShadowDocument.fromBase`, the change a cut writes), at
 * the version the cut had, then its changes since the base through the store's commit path (chunks,
 * compaction). Shadows are spread uniformly over the epoch cycle, as the shadows of a fleet are.
 * `changes` = 1 writes fresh shadows (one change, the normal update path). `stateOf` (default
 * `changes`): the age whose state the shadows hold — a fresh store given the aged store's age holds
 * the same state (the operator's `desired` edits included) in one change, so the two differ in age
 * only. Prints `{"filled":n,"ms":…}`.
 */
import { newActorId, ShadowDocument } from "../broker/shadow/shadow-doc.ts";
import { DEFAULT_EPOCH_AFTER_CHANGES, type ShadowEntry, ShadowStore } from "../broker/shadow/shadow-store.ts";
import { openDatabase } from "../broker/store/database.ts";
import type { JsonObject } from "../shared/json.ts";
import { SETTINGS } from "../shared/settings.ts";
import { shadowKey } from "../shared/topics.ts";
import { pduInitial, pduStep } from "./pdu-workload.ts";
import { deviceId } from "./things.ts";

const [dataDir, fromArg, toArg, changesArg, epochArg, stateArg] = process.argv.slice(2);
const from = Number(fromArg);
const to = Number(toArg);
const changes = Number(changesArg);
// As the node reads them: the argument, else UMBRA_EPOCH_AFTER_CHANGES / UMBRA_COMPACT_AFTER_CHUNKS, else
// the defaults (so `UMBRA_EPOCH_AFTER_CHANGES=16 npx tsx bench/aged-bench.ts` ages and runs alike).
const E = Number(epochArg || process.env.UMBRA_EPOCH_AFTER_CHANGES || DEFAULT_EPOCH_AFTER_CHANGES);
const stateOf = Number(stateArg ?? changes);
if (!dataDir || ![from, to, changes, E].every(Number.isInteger) || from < 0 || to < from || changes < 1) {
  process.stderr.write("usage: aged-store.ts <dataDir> <from> <to> <changes> [epochAfterChanges]\n");
  process.exit(2);
}

const db = openDatabase(dataDir);
// A fill, not the node under test: no fsync per group commit (the file is closed cleanly at the end).
db.pragma("synchronous = OFF");
const actor = newActorId();
const store = new ShadowStore(db, actor, {
  cacheSize: 4_000,
  // The node's default (shared/settings.ts).
  compactAfterChunks: Number(process.env.UMBRA_COMPACT_AFTER_CHUNKS || SETTINGS.compactAfterChunks.default),
  epochAfterChanges: E,
  site: "bench",
});
const insert = db.prepare(
  `INSERT INTO shadows (thing, name, snapshot, version, deleted, updated_at, chunk_count, chunk_bytes, meta, heads)
   VALUES (?, ?, ?, ?, 0, ?, 0, 0, ?, ?)`,
);
const T0 = 1_700_000_000;

/**
 * Writes shadow i's row as it stood right after its last cut; returns how many changes follow it. A
 * store cuts when a shadow reaches E changes beyond its base, so after c changes it is at epoch
 * floor(c / E) with c mod E changes since. c = changes - (i mod E) spreads the fleet over the cycle.
 */
function writeBase(i: number): number {
  const addr = { thing: deviceId(i), shadow: "" };
  const c = Math.max(1, changes - (i % E));
  const epoch = Math.floor(c / E);
  const since = c % E;
  const reported = pduInitial(i);
  // By 8,000 changes the operator's edit every 1,000 has set each of the 8 outlets once.
  const desired: Record<string, object> =
    Math.max(c, stateOf) >= 8000
      ? { outlets: Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`o${k + 1}`, "on"])) }
      : {};
  const stamp = (o: object): object =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === "object" ? stamp(v) : T0]));
  if (epoch === 0) {
    const entry = store.open(addr);
    entry.doc.update({ reported, desired: desired as JsonObject }, T0);
    commit([entry]);
    return c - 1;
  }
  const state = { exists: true, version: c - since, desired, reported } as never;
  const meta = { desired: stamp(desired), reported: stamp(reported) } as never;
  const doc = ShadowDocument.fromBase(actor, shadowKey(addr), epoch, state, meta, "bench");
  insert.run(addr.thing, "", doc.save(), c - since, Date.now(), JSON.stringify(meta), doc.heads().join(","));
  doc.free();
  return since;
}

function commit(entries: ShadowEntry[]): void {
  for (const e of entries) store.stage(e);
  store.commit(entries);
  store.markCommitted(entries);
}

const started = performance.now();
const BATCH = 2_500;
for (let b = from; b < to; b += BATCH) {
  const ids = Array.from({ length: Math.min(to, b + BATCH) - b }, (_, k) => b + k);
  const rest = new Map<number, number>();
  db.transaction(() => {
    for (const i of ids) rest.set(i, writeBase(i));
  })();
  // The changes since the base, as group commits of the whole batch (one step of every shadow each).
  for (let step = 1; ; step++) {
    const entries: ShadowEntry[] = [];
    for (const i of ids) {
      if ((rest.get(i) ?? 0) < step) continue;
      const entry = store.open({ thing: deviceId(i), shadow: "" });
      // Change numbers continue after the cut's version (n = version + 1 onwards).
      entry.doc.update(pduStep(entry.doc.view.version + 1), T0 + step);
      entries.push(entry);
    }
    if (entries.length === 0) break;
    commit(entries);
  }
}
process.stdout.write(
  `${JSON.stringify({ filled: to - from, ms: Math.round(performance.now() - started) })}\n`,
);
store.close();
db.close();
