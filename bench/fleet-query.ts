/**
 * The fleet index and queries (docs/fleet.md) at scale, in one process, through the node's own store
 * API (ShadowService + group commit + SQLite, no MQTT: the index's share of the update path is
 * largest there):
 *   npx tsx bench/fleet-query.ts [things=100000] [--runs 30]
 * 1. index upkeep: update throughput with the fleet commit hook vs without it (same store, phases
 *    alternated A/B/A/B so drift hits both), 2. attribute equality + range on a reported number (p50),
 * 3. count and group-by over everything (p50), 4. roll-up of a 3-level system of 10,000 things (p50),
 * 5. rebuild of the index at start.
 */
import { rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { countThings, findThings } from "../broker/fleet/fleet-query.ts";
import { FleetService } from "../broker/fleet/fleet-service.ts";
import { GroupCommit } from "../broker/shadow/group-commit.ts";
import { newActorId } from "../broker/shadow/shadow-doc.ts";
import { ShadowService } from "../broker/shadow/shadow-service.ts";
import { ShadowStore } from "../broker/shadow/shadow-store.ts";
import { openDatabase } from "../broker/store/database.ts";
import { DEFAULT_LIMITS } from "../shared/limits.ts";
import { tempDir } from "../test/helpers/node.ts";

const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const runsAt = args.indexOf("--runs");
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 30;
const TYPES = ["pdu", "ups", "bmc", "switch", "host"];
const thing = (i: number) => `t-${String(i).padStart(6, "0")}`;

function report(i: number, round: number): string {
  return JSON.stringify({
    state: {
      reported: {
        temp: 20 + ((i * 7 + round) % 30),
        power: { w: 100 + ((i + round) % 900) },
        fw: `1.${i % 7}`,
      },
    },
  });
}

function p50(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function time(fn: () => unknown, runs = RUNS): { p50: number; min: number; last: unknown } {
  const samples: number[] = [];
  let last: unknown;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    last = fn();
    samples.push(performance.now() - t);
  }
  return { p50: p50(samples), min: Math.min(...samples), last };
}

const dir = tempDir("umbra-fleet-bench-");
const db = openDatabase(dir);
const store = new ShadowStore(db, newActorId(), { cacheSize: 5_000, compactAfterChunks: 64 });
const commits = new GroupCommit(store);
const service = new ShadowService(store, commits, DEFAULT_LIMITS);
const fleet = new FleetService(db, store);
const installed = store.commitHooks.pop();
if (!installed) throw new Error("the fleet service installed no commit hook");
// Time spent in the index's own work (commit hook + write-behind flushes), measured directly: the
// A/B throughput below is at the mercy of other load on the machine.
const spent = { hookMs: 0, flushMs: 0 };
const hook = {
  committed: (entries: Parameters<typeof installed.committed>[0]) => {
    const t = performance.now();
    installed.committed(entries);
    spent.hookMs += performance.now() - t;
  },
};
const flush = fleet.views.flush.bind(fleet.views);
fleet.views.flush = (views) => {
  const t = performance.now();
  flush(views);
  spent.flushMs += performance.now() - t;
};

async function writeAll(from: number, to: number, round: number): Promise<number> {
  const t = performance.now();
  const BATCH = 1_000;
  for (let base = from; base < to; base += BATCH) {
    const batch: Promise<unknown>[] = [];
    for (let i = base; i < Math.min(to, base + BATCH); i++)
      batch.push(service.update({ thing: thing(i), shadow: "" }, report(i, round)));
    await Promise.all(batch);
  }
  return ((to - from) / (performance.now() - t)) * 1000;
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");
console.log(
  `fleet bench: ${N} things, ${RUNS} runs per query, ${cpus().length} CPUs, load average ${load()}`,
);
// Fill with the hook on (the index must know every shadow), then the attributes in one transaction.
store.commitHooks.push(hook);
while (fleet.backfilling > 0) await new Promise((r) => setImmediate(r));
const fillStarted = performance.now();
await writeAll(0, N, 0);
console.log(`filled ${N} shadows in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);
db.transaction(() => {
  for (let i = 0; i < N; i++) {
    fleet.writeAttributes(
      thing(i),
      {
        type: TYPES[i % TYPES.length] as string,
        vendor: i % 3 ? "raritan" : "apc",
        location: {
          site: `site-${i % 10}`,
          room: `r${Math.floor(i / 10) % 10}`,
          rack: `a${i % 100}`,
          unit: i % 42,
        },
      },
      "put",
    );
  }
})();
console.log(
  `index: ${fleet.index.size} things; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`,
);

// 1. Upkeep: alternate phases without (A) and with (B) the hook, each updating a slice of the shadows.
const SLICE = Math.min(N, 10_000);
const rates = { without: [] as number[], with: [] as number[] };
let withMs = 0;
for (let round = 1; round <= 6; round++) {
  const on = round % 2 === 0;
  if (on) store.commitHooks.push(hook);
  else store.commitHooks.splice(store.commitHooks.indexOf(hook), 1);
  if (on) {
    spent.hookMs = 0;
    spent.flushMs = 0;
  }
  const t = performance.now();
  const rate = await writeAll(0, SLICE, round);
  if (on) {
    fleet.flushViews();
    withMs = performance.now() - t;
    console.log(
      `  phase with index: ${(withMs / 1000).toFixed(1)} s, of which commit hook ${spent.hookMs.toFixed(0)} ms + view flushes ${spent.flushMs.toFixed(0)} ms = ${(((spent.hookMs + spent.flushMs) / withMs) * 100).toFixed(1)} %`,
    );
  }
  (on ? rates.with : rates.without).push(rate);
}
if (!store.commitHooks.includes(hook)) store.commitHooks.push(hook);
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const upkeep = 1 - avg(rates.with) / avg(rates.without);
console.log(
  `updates/s without index ${avg(rates.without).toFixed(0)}, with ${avg(rates.with).toFixed(0)}: upkeep ${(upkeep * 100).toFixed(1)} % (target ≤ 10 %)`,
);

// 2-3. Queries.
const eqRange = "attributes.type:pdu AND attributes.location.room:r3 AND shadow.reported.temp > 40";
const q1 = time(() => findThings(fleet.index, { q: eqRange, limit: 100 }));
console.log(
  `equality + range, first page (${(q1.last as { results: unknown[] }).results.length} rows): p50 ${q1.p50.toFixed(1)} ms, min ${q1.min.toFixed(1)} ms (target ≤ 20 ms)`,
);
const q1s = time(() => findThings(fleet.index, { q: eqRange, limit: 100, sort: "-shadow.reported.temp" }));
console.log(
  `same, sorted by -shadow.reported.temp: p50 ${q1s.p50.toFixed(1)} ms, min ${q1s.min.toFixed(1)} ms`,
);
const c1 = time(() => countThings(fleet.index, {}));
console.log(`count all: p50 ${c1.p50.toFixed(1)} ms, min ${c1.min.toFixed(1)} ms`);
const g1 = time(() =>
  countThings(fleet.index, { groupBy: "attributes.location.site", stat: "shadow.reported.temp" }),
);
console.log(
  `group-by site with min/max/avg temp over all ${N}: p50 ${g1.p50.toFixed(1)} ms, min ${g1.min.toFixed(1)} ms (target ≤ 200 ms)`,
);

// 4. A 3-level system of 10,000 things: top → 10 sites → 10 rooms each → 100 things per room.
const M = Math.min(N, 10_000);
let k = 0;
const sites: string[] = [];
for (let s = 0; s < 10; s++) {
  const rooms: string[] = [];
  for (let r = 0; r < 10; r++) {
    const things: string[] = [];
    for (let j = 0; j < M / 100; j++) things.push(thing(k++));
    fleet.systems.put(`room-${s}-${r}`, { things });
    rooms.push(`room-${s}-${r}`);
  }
  fleet.systems.put(`site-${s}`, { systems: rooms });
  sites.push(`site-${s}`);
}
fleet.systems.put("top", { systems: sites });
const r1 = time(() => fleet.systems.rollup("top", 2));
console.log(
  `roll-up of 3 levels, ${(r1.last as { things: number }).things} things, every level: p50 ${r1.p50.toFixed(1)} ms, min ${r1.min.toFixed(1)} ms (target ≤ 50 ms)`,
);
const q2 = time(() =>
  findThings(fleet.index, { q: "systems:site-3 AND shadow.reported.temp >= 45", limit: 100 }),
);
console.log(`query on system membership: p50 ${q2.p50.toFixed(1)} ms, min ${q2.min.toFixed(1)} ms`);

// 5. Rebuild at start.
commits.close();
const rebuild = new FleetService(db, store);
console.log(
  `index rebuilt from SQLite: ${rebuild.loaded.shadows} shadows in ${rebuild.loaded.ms.toFixed(0)} ms`,
);
rebuild.close();
fleet.close();
store.close();
db.close();
rmSync(dir, { recursive: true, force: true });
console.log(`load average at the end ${load()}`);
