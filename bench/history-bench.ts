/**
 * The shadow change record (docs/history.md): what it costs per update and on disk.
 *
 *   npx tsx bench/history-bench.ts [--shadows 200] [--updates 20000] [--rounds 3] [--year-records 120000]
 *
 * 1. Throughput: PDU-like shadows (13 reported leaves, 2-3 change per update, a desired edit every
 *    1,000) updated through ShadowService on real SQLite (WAL, synchronous=FULL, group commit), 64
 *    requests in flight; alternating rounds with the record off and on in the same run.
 * 2. Bytes: per record (SQLite's dbstat: table + key pages) and per checkpoint.
 * 3. A year of one PDU at 5 s under the default retention: records appended in simulated time
 *    (17,280/day), the pruner ticking every simulated second with the default batch; prints the
 *    steady-state rows and bytes of that shadow and the longest pruning tick.
 */
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { HistoryPruner } from "../broker/history/history-pruner.ts";
import { HistoryQueries } from "../broker/history/history-queries.ts";
import { HistoryStore } from "../broker/history/history-store.ts";
import { GroupCommit } from "../broker/shadow/group-commit.ts";
import { ShadowService } from "../broker/shadow/shadow-service.ts";
import { type ShadowEntry, ShadowStore } from "../broker/shadow/shadow-store.ts";
import { type Db, openDatabase } from "../broker/store/database.ts";
import { principal } from "../shared/acl.ts";
import { DEFAULT_CONFIG } from "../shared/config.ts";
import { applyRecord, type HistoryRecord, type HistoryState } from "../shared/history.ts";
import type { JsonObject } from "../shared/json.ts";
import { DEFAULT_LIMITS } from "../shared/limits.ts";
import { planPatch } from "../shared/shadow-patch.ts";
import { tempDir } from "../test/helpers/node.ts";

const { values: args } = parseArgs({
  options: {
    shadows: { type: "string", default: "200" },
    updates: { type: "string", default: "20000" },
    rounds: { type: "string", default: "3" },
    "year-records": { type: "string", default: String(365 * 17_280) },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  process.stdout.write(
    "usage: npx tsx bench/history-bench.ts [--shadows N] [--updates N] [--rounds N] [--year-records N]\n",
  );
  process.exit(0);
}
const SHADOWS = Number(args.shadows);
const UPDATES = Number(args.updates);
const ROUNDS = Number(args.rounds);
const YEAR_RECORDS = Number(args["year-records"]);
const IN_FLIGHT = 64;
const DAY = 86_400_000;
const bridge = principal("pdu-bridge", "bridge", "*");
let appendMs = 0;
let appended = 0;

interface Node {
  dir: string;
  db: Db;
  store: ShadowStore;
  commits: GroupCommit;
  service: ShadowService;
  history?: HistoryStore;
}

function openNode(withHistory: boolean): Node {
  const dir = tempDir("umbra-history-bench-");
  const db = openDatabase(dir);
  const store = new ShadowStore(db, "b".repeat(32), {
    cacheSize: 20_000,
    compactAfterChunks: 64,
    site: "bench",
  });
  const commits = new GroupCommit(store);
  const service = new ShadowService(store, commits, DEFAULT_LIMITS);
  const node: Node = { dir, db, store, commits, service };
  if (withHistory) {
    const history = new HistoryStore(db, "bench", DEFAULT_CONFIG.historyCheckpointEvery);
    node.history = history;
    // Timed: the work the record adds inside the commit's transaction.
    store.journal = {
      append(entry, journal) {
        const t = performance.now();
        history.append(entry, journal);
        appendMs += performance.now() - t;
        appended += journal.records.length;
      },
      settle(maxRows) {
        const t = performance.now();
        const progress = history.settle(maxRows);
        appendMs += performance.now() - t;
        return progress;
      },
    };
  }
  return node;
}

function closeNode(n: Node): void {
  n.commits.close();
  n.store.close();
  n.db.close();
  rmSync(n.dir, { recursive: true, force: true });
}

/** A PDU report: 13 leaves at first, then 2-3 of them change per update. */
function report(i: number, n: number): JsonObject {
  if (n === 0) {
    const r: JsonObject = { model: "PDU-24", firmware: "1.2.3", serial: `SN${i}` };
    for (let o = 1; o <= 8; o++) r[`outlet${o}`] = "on";
    r.power = { watts: 0, volts: 230, amps: 0 };
    return r;
  }
  const r: JsonObject = {
    power: { watts: 1000 + ((n * 7 + i) % 500), amps: Number((4 + (n % 10) / 10).toFixed(1)) },
  };
  if (n % 3 === 0) (r.power as JsonObject).volts = 228 + (n % 5);
  return r;
}

/** Updates spread over the shadows, IN_FLIGHT at a time; returns updates/s. */
async function drive(n: Node, count: number, offset: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const k = next++;
      if (k >= count) return;
      const seq = offset + Math.floor(k / SHADOWS);
      const i = k % SHADOWS;
      const body =
        seq > 0 && seq % 1000 === 0
          ? { state: { desired: { outlet1: seq % 2000 === 0 ? "on" : "off" } }, clientToken: `op-${seq}` }
          : { state: { reported: report(i, seq) } };
      const r = await n.service.update({ thing: `pdu-${i}`, shadow: "" }, JSON.stringify(body), bridge);
      if (!r.ok) throw new Error(JSON.stringify(r.error));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return count / ((performance.now() - started) / 1000);
}

function tableBytes(db: Db, name: string): number {
  return (
    db.prepare("SELECT coalesce(sum(pgsize), 0) AS b FROM dbstat WHERE name = ?").get(name) as { b: number }
  ).b;
}

function rows(db: Db, table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

async function throughput(): Promise<void> {
  console.log(`# throughput: ${SHADOWS} PDU shadows, ${UPDATES} updates per round, ${IN_FLIGHT} in flight`);
  const rates: Record<"off" | "on", number[]> = { off: [], on: [] };
  let last: Node | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const)) {
      const n = openNode(mode === "on");
      await drive(n, SHADOWS, 0); // create the shadows (13 leaves each)
      const rate = await drive(n, UPDATES, 1);
      rates[mode].push(rate);
      console.log(`round ${round + 1} record ${mode.padEnd(3)} ${rate.toFixed(0).padStart(7)} updates/s`);
      if (mode === "on" && round === ROUNDS - 1) last = n;
      else closeNode(n);
    }
  }
  console.log(
    `append inside the commit: ${((appendMs * 1000) / Math.max(appended, 1)).toFixed(1)} µs per record (${appended} records)`,
  );
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const off = median(rates.off);
  const on = median(rates.on);
  console.log(
    `median: without the record ${off.toFixed(0)}/s (${(1e6 / off).toFixed(0)} µs/update), with ${on.toFixed(0)}/s (${(1e6 / on).toFixed(0)} µs/update); ratio ${(on / off).toFixed(2)}, overhead ${(1e6 / on - 1e6 / off).toFixed(1)} µs/update`,
  );
  if (last) {
    const db = last.db;
    last.history?.settleAll();
    const recs = rows(db, "history_records");
    const cps = rows(db, "history_checkpoints");
    const recBytes = tableBytes(db, "history_records");
    const cpBytes = tableBytes(db, "history_checkpoints");
    const patch = (db.prepare("SELECT avg(length(patch)) AS a FROM history_records").get() as { a: number })
      .a;
    console.log(
      `bytes: ${recs} records, ${(recBytes / recs).toFixed(1)} B/record on disk (patch JSON ${patch.toFixed(1)} B); ${cps} checkpoints, ${(cpBytes / Math.max(cps, 1)).toFixed(0)} B each`,
    );
    closeNode(last);
  }
}

/** One PDU's year at one report per 5 s, appended directly in simulated time, pruned with the defaults. */
async function year(): Promise<void> {
  const c = DEFAULT_CONFIG;
  console.log(
    `# a year of one PDU (${YEAR_RECORDS} records, 5 s apart, a desired edit every 1,000): retention reported ${c.historyReportedDays} d / ${c.historyReportedMax}, desired ${c.historyDesiredDays} d / ${c.historyDesiredMax}, K=${c.historyCheckpointEvery}`,
  );
  const n = openNode(true);
  const pruner = new HistoryPruner(n.db, {
    reported: { maxAgeMs: c.historyReportedDays * DAY, maxRecords: c.historyReportedMax },
    desired: { maxAgeMs: c.historyDesiredDays * DAY, maxRecords: c.historyDesiredMax },
    batch: c.historyPruneBatch,
    shadowsPerTick: 64,
  });
  // Plain JSON state (no Automerge document: its own history cost is not what is measured here).
  const entry = { addr: { thing: "pdu-year", shadow: "" } } as ShadowEntry;
  let state: HistoryState = {
    exists: true,
    version: 0,
    desired: {},
    reported: {},
    meta: { desired: {}, reported: {} },
  };
  const t0 = Date.UTC(2026, 0, 1);
  let maxTick = 0;
  let ticks = 0;
  const tickMs: number[] = [];
  const commitMs: number[] = [];
  const started = performance.now();
  const BATCH = 1000;
  for (let k = 0; k < YEAR_RECORDS; k += BATCH) {
    // Records as the service stages them, 1,000 per transaction.
    const tc = performance.now();
    n.db.transaction(() => {
      for (let j = k; j < Math.min(k + BATCH, YEAR_RECORDS); j++) {
        const desired = j > 0 && j % 1000 === 0;
        const ops = desired
          ? { desired: planPatch(state.desired, { outlet1: j % 2000 ? "off" : "on" }) }
          : { reported: planPatch(state.reported, report(0, j)) };
        const record: HistoryRecord = {
          version: state.version + 1,
          at: t0 + j * 5000,
          kind: "update",
          exists: true,
          identity: { name: desired ? "alice" : "pdu-bridge", role: desired ? "operator" : "bridge" },
          patch: ops,
        };
        state = applyRecord(state, record);
        n.history?.append(entry, { records: [record], first: state });
      }
      n.history?.settle();
    })();
    commitMs.push(performance.now() - tc);
    // A few pruning ticks per 1,000 records (at the default pace it would be 20,000: it keeps up easily).
    for (let s = 0; s < 5; s++) {
      const t = performance.now();
      pruner.tick(t0 + (k + BATCH) * 5000);
      tickMs.push(performance.now() - t);
      maxTick = Math.max(maxTick, performance.now() - t);
      ticks++;
    }
  }
  // Let the pruner finish what is due.
  for (let i = 0; i < 1000 && pruner.tick(t0 + YEAR_RECORDS * 5000).deleted > 0; i++) ticks++;
  const pct = (xs: number[], p: number) =>
    [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)] ?? 0;
  console.log(
    `pruning tick ms: p50 ${pct(tickMs, 0.5).toFixed(2)}, p99 ${pct(tickMs, 0.99).toFixed(2)}, max ${maxTick.toFixed(1)}, over 100 ms: ${tickMs.filter((t) => t > 100).length}; a 1,000-record append transaction for comparison: p50 ${pct(commitMs, 0.5).toFixed(1)}, p99 ${pct(commitMs, 0.99).toFixed(1)}, max ${Math.max(...commitMs).toFixed(1)} ms, over 100 ms: ${commitMs.filter((t) => t > 100).length}`,
  );
  const db = n.db;
  n.history?.settleAll();
  const recs = rows(db, "history_records");
  const tail = (
    db.prepare("SELECT count(*) AS n FROM history_records WHERE flags & 1").get() as { n: number }
  ).n;
  const bytes = tableBytes(db, "history_records") + tableBytes(db, "history_checkpoints");
  console.log(
    `after a year: ${recs} records kept (${tail} desired-class), ${rows(db, "history_checkpoints")} checkpoints, ${(bytes / 1024 / 1024).toFixed(1)} MiB for this shadow; ${ticks} pruning ticks, longest ${maxTick.toFixed(1)} ms; simulated in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  // Reads on that shadow: the worst reconstruction (K-1 patches after a checkpoint) and blame, whose
  // never-rewritten leaves (model, serial…) make it walk the whole kept record.
  const queries = new HistoryQueries(n.history as HistoryStore);
  const s = n.history?.shadow(entry.addr);
  const cps = n.history?.checkpoints(s?.id ?? -1) ?? [];
  const worst = (cps[cps.length - 2]?.version ?? 1) + c.historyCheckpointEvery - 1;
  const time = (f: () => unknown) => {
    const t = performance.now();
    for (let i = 0; i < 5; i++) f();
    return (performance.now() - t) / 5;
  };
  const atMs = time(() => queries.stateAt(entry.addr, { version: worst }));
  const blameMs = time(() => queries.blame(entry.addr));
  const listMs = time(() => queries.list(entry.addr, { limit: 100, order: "desc" }));
  console.log(
    `reads: state at a version ${atMs.toFixed(1)} ms (${c.historyCheckpointEvery - 1} patches replayed), blame ${blameMs.toFixed(1)} ms (${recs} records kept), a page of 100 ${listMs.toFixed(1)} ms`,
  );
  closeNode(n);
}

if (!process.env.HISTORY_BENCH_YEAR_ONLY) await throughput();
await year();
