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
import type { CommitReply, CommitRequest, CommitWorkerData } from "./commit-thread.ts";

const { path, busyTimeoutMs, checkpointer } = workerData as CommitWorkerData;
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
  // The WAL checkpointer thread copies the WAL back beside the commits (wal-checkpointer.ts).
  if (checkpointer) db.pragma("wal_autocheckpoint = 0");
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
});
