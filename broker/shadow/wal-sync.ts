import { type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";
import type { Db } from "../store/database.ts";

/**
 * How the group commit makes a batch durable (see GroupCommit): `relaxed` runs the SQLite transaction
 * without waiting for the disk, `sync` then waits for the disk off the main thread.
 */
export interface CommitDurability {
  /** Runs `write` (one SQLite transaction) without the fsync at COMMIT. */
  relaxed<T>(write: () => T): T;
  /** Resolves once everything committed before the call is on disk; rejects if the disk failed. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The fsync of a shadow batch, moved off the main thread. In WAL mode `synchronous=FULL` makes COMMIT
 * write the transaction's frames to the `-wal` file and then fdatasync it, on the main thread: with
 * small batches (open loop) that wait was a third of the node's time, and every slow fsync stalled
 * every connection. Here the batch's transaction runs with `synchronous=NORMAL` (frames written, no
 * fsync; checkpoints still sync, so the file is never corrupt) and the group commit then calls
 * `sync()`: an fdatasync of the same `-wal` file on libuv's thread pool. Only when it returns are the
 * batch's requests answered, so `accepted` still means "on disk", exactly as with FULL. Other writers
 * of the database (presence, identities, the relay) keep `synchronous=FULL`.
 */
export class WalSync implements CommitDurability {
  private readonly walPath: string;
  private handle: Promise<FileHandle> | undefined;

  constructor(private readonly db: Db) {
    const mode = db.pragma("journal_mode", { simple: true });
    if (mode !== "wal") throw new Error(`WalSync needs journal_mode=WAL, the database is in ${String(mode)}`);
    this.walPath = `${db.name}-wal`;
  }

  /** A WalSync for `db`, or undefined when it is not in WAL mode (then COMMIT keeps its own fsync). */
  static forDatabase(db: Db): WalSync | undefined {
    return db.pragma("journal_mode", { simple: true }) === "wal" ? new WalSync(db) : undefined;
  }

  /**
   * How a writer of `db` runs a transaction it need not fsync itself (durable with the next shadow
   * batch's fdatasync): `relaxed` in WAL mode, as it is otherwise.
   */
  static relaxedWrites(db: Db): <T>(write: () => T) => T {
    const sync = WalSync.forDatabase(db);
    return sync ? (write) => sync.relaxed(write) : (write) => write();
  }

  /**
   * `db.pragma` each time (~5 µs), not a prepared statement: SQLite applies `PRAGMA synchronous` while
   * compiling it, so running a prepared one again does nothing.
   */
  relaxed<T>(write: () => T): T {
    this.db.pragma("synchronous = NORMAL");
    try {
      return write();
    } finally {
      this.db.pragma("synchronous = FULL");
    }
  }

  async sync(): Promise<void> {
    if (!this.handle) {
      const opening = openWal(this.walPath);
      this.handle = opening;
      // A failed open is retried at the next sync, not remembered.
      opening.catch(() => {
        if (this.handle === opening) this.handle = undefined;
      });
    }
    await (await this.handle).datasync();
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle).close();
  }
}

/**
 * Opens the `-wal` file (it exists once the first transaction committed) and makes its directory entry
 * durable once: SQLite would do that at its own first sync of a new WAL, which under NORMAL may only come
 * at the first checkpoint. The node's own connection keeps the file (same inode) open for as long as it
 * runs: SQLite deletes a WAL only when its last connection closes.
 */
async function openWal(path: string): Promise<FileHandle> {
  const dir = await open(dirname(path), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return open(path, "r");
}
