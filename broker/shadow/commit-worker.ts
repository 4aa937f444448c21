/**
 * The commit worker (docs/shadow-engine.md, "Threads"): runs the group commit's SQLite transaction and
 * the fsync of the WAL on its own thread and connection, so the main thread only prepares the bytes.
 * Started by CommitThread; one batch at a time, answered only once it is on disk.
 */
import { closeSync, fdatasyncSync, fsyncSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { BatchWriter } from "./commit-batch.ts";
import type { CheckpointNote, CommitReply, CommitRequest, CommitWorkerData } from "./commit-thread.ts";

const { path, busyTimeoutMs, checkpointer, checkpointEveryMs } = workerData as CommitWorkerData;
/** A checkpoint at least this often while batches are rare (see `idleCheckpoints`). */
const IDLE_CHECKPOINT_MS = 1000;
const port = parentPort;
if (!port) throw new Error("commit-worker.ts runs as a worker thread (broker/shadow/commit-thread.ts)");

function open(): { db: Database.Database; writer: BatchWriter } {
  const db = new Database(path, { fileMustExist: true });
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma("foreign_keys = ON");
  // The transaction writes its frames without syncing; the fdatasync below makes them durable before
  // the answer, outside the write lock, so the node's other writers wait for the transaction only.
  // Checkpoints still sync, so the file is never corrupt (as WalSync does on the main thread).
  db.pragma("synchronous = NORMAL");
  // Checkpoints run after a batch is answered (below) or on the checkpointer thread (wal-checkpointer.ts),
  // never inside a commit, where SQLite's automatic one would run.
  if (checkpointer || checkpointEveryMs > 0) db.pragma("wal_autocheckpoint = 0");
  return { db, writer: new BatchWriter(db) };
}

let opened: ReturnType<typeof open>;
try {
  opened = open();
} catch (err) {
  // A plain Error: SQLite's own loses its message on the way to the main thread.
  throw new Error(`cannot open ${path}: ${(err as Error).message}`);
}
const { db, writer } = opened;
let walFd: number | undefined;

/** The `-wal` file, opened once after the first commit created it; its directory entry made durable once. */
function wal(): number {
  if (walFd === undefined) {
    const dir = openSync(dirname(path), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    walFd = openSync(`${path}-wal`, "r");
  }
  return walFd;
}

port.on("message", (req: CommitRequest) => {
  if (req.type === "autocheckpoint") {
    db.pragma("wal_autocheckpoint = 1000");
    return;
  }
  if (req.type === "close") {
    clearInterval(idleCheckpoints);
    if (walFd !== undefined) closeSync(walFd);
    db.close();
    port.close();
    return;
  }
  const t0 = performance.now();
  let reply: CommitReply;
  try {
    writer.write(req.batch);
  } catch (err) {
    reply = { id: req.id, ok: false, storage: false, message: (err as Error).message };
    port.postMessage(reply);
    return;
  }
  const t1 = performance.now();
  try {
    fdatasyncSync(wal());
    reply = { id: req.id, ok: true, commitMs: t1 - t0, syncMs: performance.now() - t1 };
  } catch (err) {
    reply = { id: req.id, ok: false, storage: true, message: `fsync: ${(err as Error).message}` };
  }
  port.postMessage(reply);
  if (reply.ok) checkpointAfterAnswer();
});

let lastCheckpoint = performance.now();
/**
 * Also when no batch comes for a while: the node's own connection does not checkpoint either (see
 * CommitThread), and it may keep writing (telemetry, the relay's outbox) while no shadow changes.
 * Between messages, so never during a batch.
 */
const idleCheckpoints = setInterval(() => checkpointAfterAnswer(IDLE_CHECKPOINT_MS), IDLE_CHECKPOINT_MS);
idleCheckpoints.unref();
/**
 * SQLite's automatic checkpoint ran inside the COMMIT that left the WAL over 1,000 pages: 4–7 times a
 * second at 2,000 updates/s, adding the copy and two fsyncs to that batch while its requests and those
 * queued behind it waited (docs/benchmarks.md, "Open-loop latency composition"). Here it runs after
 * the batch is answered, at most every `checkpointEveryMs`: the batch that would have carried it does
 * not wait for it, the next one (prepared while it runs) at most for what is left of it. On this thread,
 * so the database file's fsync never overlaps a commit's. PASSIVE: it never waits for a lock.
 */
function checkpointAfterAnswer(minGapMs = checkpointEveryMs): void {
  if (checkpointer || checkpointEveryMs <= 0) return;
  const t0 = performance.now();
  if (t0 - lastCheckpoint < minGapMs) return;
  lastCheckpoint = t0;
  try {
    const [row] = db.pragma("wal_checkpoint(PASSIVE)") as { log: number; checkpointed: number }[];
    const report: CheckpointNote = {
      type: "checkpoint",
      ms: performance.now() - t0,
      at: performance.timeOrigin + t0,
      frames: row?.checkpointed ?? 0,
    };
    port?.postMessage(report);
  } catch {
    // Retried after the next batch; a failing disk shows in the next commit's fsync.
  }
}
