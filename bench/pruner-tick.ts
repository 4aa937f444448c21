/**
 * The history pruner's tick on a store at steady state (docs/history.md, "Retention"): SHADOWS
 * shadows, each with a full contiguous part (35,000 records' worth of checkpoints, one per 256, ≈ 137,
 * each holding a 13-leaf PDU state) and a changed record count since the last look (a busy node), then
 * ticks timed as the node runs them (64 shadows per tick).
 *
 *   npx tsx bench/pruner-tick.ts [--shadows 500] [--ticks 200]
 */

import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { HistoryPruner } from "../broker/history/history-pruner.ts";
import { openDatabase } from "../broker/store/database.ts";
import { tempDir } from "../test/helpers/node.ts";

const { values: args } = parseArgs({
  options: { shadows: { type: "string", default: "500" }, ticks: { type: "string", default: "200" } },
});
const SHADOWS = Number(args.shadows);
const TICKS = Number(args.ticks);
const K = 256;
const MAX = 35_000;
const DAY = 86_400_000;
const dir = tempDir("umbra-pruner-bench-");
const db = openDatabase(dir);
const state = JSON.stringify({
  exists: true,
  version: 1,
  desired: { outlet1: "on" },
  reported: Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`leaf${i}`, 1000 + i])),
  meta: {
    desired: { outlet1: { timestamp: 1 } },
    reported: Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`leaf${i}`, { timestamp: 1 }])),
  },
});
const now = Date.now();
const addShadow = db.prepare(
  "INSERT INTO history_shadows (id, thing, name, appended, since_checkpoint, horizon) VALUES (?, ?, '', ?, 0, ?)",
);
const addCheckpoint = db.prepare(
  "INSERT INTO history_checkpoints (shadow, version, at, ordinal, state) VALUES (?, ?, ?, ?, ?)",
);
const bump = db.prepare("UPDATE history_shadows SET appended = appended + 1");
db.transaction(() => {
  for (let s = 1; s <= SHADOWS; s++) {
    const first = 1_000_000 - MAX + 1;
    addShadow.run(s, `pdu-${s}`, 1_000_000, first);
    for (let v = first; v <= 1_000_000; v += K) addCheckpoint.run(s, v, now - DAY + v, v, state);
  }
})();
const pruner = new HistoryPruner(db, {
  reported: { maxAgeMs: 2 * DAY, maxRecords: MAX },
  desired: { maxAgeMs: 400 * DAY, maxRecords: 10_000 },
  batch: 1000,
  shadowsPerTick: 64,
});
const ms: number[] = [];
for (let i = 0; i < TICKS; i++) {
  bump.run();
  const t = performance.now();
  pruner.tick(now);
  ms.push(performance.now() - t);
}
ms.sort((a, b) => a - b);
const pct = (p: number) => ms[Math.floor((ms.length - 1) * p)]?.toFixed(2);
console.log(
  `pruner tick over ${SHADOWS} shadows at steady state (≈ ${Math.ceil(MAX / K)} checkpoints each), 64 per tick: p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${ms[ms.length - 1]?.toFixed(2)} ms`,
);
db.close();
rmSync(dir, { recursive: true, force: true });
