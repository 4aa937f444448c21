/**
 * The WAL checkpointer (docs/shadow-engine.md, "Threads"): a worker thread with its own connection that
 * copies the WAL back into the database every `everyMs`, so that no commit pays for it.
 *
 * Why: SQLite runs its automatic checkpoint inside the COMMIT that leaves the WAL over 1,000 pages. With
 * the commit worker writing every batch that was nearly always one of its batches: 4–7 times a second at
 * 2,000 updates/s, each adding the copy and two fsyncs (WAL, then database file) to that batch, 7–15 ms
 * at the median on this machine under load, while every request behind it waited (docs/benchmarks.md,
 * "Open-loop latency composition"). A PASSIVE checkpoint from another connection runs beside the
 * writers (it never takes the write lock); the next write transaction restarts the WAL from its start
 * once everything is copied. Neither the commit worker's connection nor the node's own one checkpoints
 * automatically while this thread runs; if it fails, both get SQLite's automatic checkpoint back
 * (CommitThread).
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import type { CheckpointerData, CheckpointReport } from "./commit-thread.ts";

const { path, busyTimeoutMs, everyMs } = workerData as CheckpointerData;
const port = parentPort;
if (!port) throw new Error("wal-checkpointer.ts runs as a worker thread (broker/shadow/commit-thread.ts)");

let db: Database.Database;
try {
  db = new Database(path, { fileMustExist: true });
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma("wal_autocheckpoint = 0");
} catch (err) {
  throw new Error(`cannot open ${path}: ${(err as Error).message}`);
}

/** The WAL's frames and how many of them were copied, after the last pass (both restart with the WAL). */
let last = { log: 0, checkpointed: 0 };
const timer = setInterval(() => {
  const t0 = performance.now();
  const [row] = db.pragma("wal_checkpoint(PASSIVE)") as { busy: number; log: number; checkpointed: number }[];
  if (!row) return;
  const restarted = row.log < last.log;
  const frames = restarted ? row.checkpointed : row.checkpointed - last.checkpointed;
  last = { log: row.log, checkpointed: row.checkpointed };
  if (frames <= 0) return;
  const report: CheckpointReport = { ms: performance.now() - t0, frames, at: performance.timeOrigin + t0 };
  port.postMessage(report);
}, everyMs);

port.on("message", (msg: { type: "close" }) => {
  if (msg.type !== "close") return;
  clearInterval(timer);
  db.close();
  port.close();
});
