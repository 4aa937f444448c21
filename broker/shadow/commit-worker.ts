/**
 * The commit worker (docs/shadow-engine.md, "Threads"): runs the group commit's SQLite transaction and
 * the fsync of the WAL on its own thread and connection, so the main thread only prepares the bytes.
 * Started by CommitThread; one batch at a time, answered only once it is on disk.
 */
import { closeSync, fdatasyncSync, fsyncSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { BatchWriter } from "./commit-batch.ts";
import type { CheckpointNote, CommitReply, CommitRequest, CommitWorkerData } from "./commit-thread.ts";
import { WORKER, WriteGate } from "./write-gate.ts";

const {
  path,
  busyTimeoutMs,
  checkpointer,
  checkpointEveryMs,
  gate: gateWord,
} = workerData as CommitWorkerData;
/** Taken for each settling step: the main thread's writes between batches never wait for one. */
const gate = new WriteGate(gateWord);
/** A checkpoint at least this often while batches are rare (see `idleCheckpoints`). */
const IDLE_CHECKPOINT_MS = 1000;
const port = parentPort;
if (!port) throw new Error("commit-worker.ts runs as a worker thread (broker/shadow/commit-thread.ts)");
/** The same port, typed as present (the functions below run only after the check above). */
const inbox: MessagePort = port;
/** A message already waiting on the port, taken without going back to the event loop. */
const nextMessage = () => (receiveMessageOnPort(inbox) as { message: CommitRequest } | undefined)?.message;

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
  for (let next: CommitRequest | undefined = req; next; ) {
    if (next.type !== "batch") {
      control(next);
      return;
    }
    if (settleBehind) settleStep();
    next = writeBatches(next) ?? settleWhileIdle();
  }
});

function control(req: Exclude<CommitRequest, { type: "batch" }>): void {
  if (req.type === "autocheckpoint") {
    db.pragma("wal_autocheckpoint = 1000");
    return;
  }
  clearInterval(idleCheckpoints);
  if (walFd !== undefined) closeSync(walFd);
  db.close();
  inbox.close();
}

/**
 * Writes `first` and every batch already queued behind it (the group commit may post a second one
 * while one is in flight, GroupCommit `pipeline`), each in its own transaction, then one fdatasync for
 * all of them, then the answers in the order the batches came. A batch whose transaction failed (rolled
 * back) is answered in its place; a failed fdatasync fails every batch it was to make durable. Returns
 * the control message found behind them, if any.
 */
function writeBatches(first: Extract<CommitRequest, { type: "batch" }>): CommitRequest | undefined {
  const written: { id: number; commitMs?: number; message?: string }[] = [];
  let after: CommitRequest | undefined;
  for (let req: CommitRequest | undefined = first; req; ) {
    if (req.type !== "batch") {
      after = req;
      break;
    }
    const t0 = performance.now();
    try {
      writer.write(req.batch);
      written.push({ id: req.id, commitMs: performance.now() - t0 });
    } catch (err) {
      written.push({ id: req.id, message: (err as Error).message });
    }
    req = nextMessage();
  }
  const t1 = performance.now();
  let syncError: string | undefined;
  if (written.some((w) => w.commitMs !== undefined)) {
    try {
      fdatasyncSync(wal());
    } catch (err) {
      syncError = `fsync: ${(err as Error).message}`;
    }
  }
  const syncMs = performance.now() - t1;
  for (const w of written) {
    let reply: CommitReply;
    if (w.commitMs === undefined) reply = { id: w.id, ok: false, storage: false, message: w.message ?? "" };
    else if (syncError) reply = { id: w.id, ok: false, storage: true, message: syncError };
    else reply = { id: w.id, ok: true, commitMs: w.commitMs, syncMs };
    inbox.postMessage(reply);
  }
  if (!syncError) checkpointAfterAnswer();
  return after;
}

/** Rows one settling transaction moves at most (≈ 1 ms): how long a batch may wait for one. */
const SETTLE_STEP_ROWS = 256;
/** Steps in one idle stretch at most, then back to the event loop (idle checkpoints, close). */
const MAX_IDLE_SETTLE_STEPS = 64;
/** Whether settling fell behind (the open generation is full while the last one is not settled). */
let settleBehind = false;

/**
 * One settling transaction, unless the main thread is writing (then none: tried after the next batch);
 * whether more is to do. Errors are left to the next try.
 */
function settleStep(): boolean {
  if (!gate.tryEnter(WORKER)) return false;
  try {
    const progress = writer.settle(SETTLE_STEP_ROWS);
    settleBehind = progress?.behind ?? false;
    return progress?.more ?? false;
  } catch {
    // Retried after the next batch; a failing disk shows in that batch's commit.
    return false;
  } finally {
    gate.leave();
  }
}

/**
 * Settles the change record's log (broker/history/history-settler.ts) while no batch waits: steps of
 * SETTLE_STEP_ROWS rows, each its own transaction, without an fdatasync (made durable by the next
 * batch's; one lost to a crash is redone from the stored cursor). Returns the message that arrived
 * meanwhile. While settling falls behind (the next generation is full already), one step goes before
 * the waiting batch, so the log stays bounded under any load.
 */
function settleWhileIdle(): CommitRequest | undefined {
  for (let i = 0; i < MAX_IDLE_SETTLE_STEPS; i++) {
    const more = settleStep();
    const next = nextMessage();
    if (next || !more) return next;
  }
  return undefined;
}

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
