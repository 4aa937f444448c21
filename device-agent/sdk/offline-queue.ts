import Database from "better-sqlite3";
import type { JsonObject, JsonValue } from "../../shared/json.ts";
import { type Leaf, leavesOf, pathKey, pathsOverlap, setLeaf } from "./paths.ts";

/** A run of queued leaves that can go out as one update: no two of its paths overlap. */
export interface Batch {
  seqs: number[];
  patch: JsonObject;
}

export interface EnqueueResult {
  /** Sequence numbers of the rows this report created, one per leaf. */
  seqs: number[];
  /** Rows this report replaced: [old seq, the new seq that carries its key now]. */
  superseded: [number, number][];
}

interface Row {
  seq: number;
  path: string;
  value: string;
}

/** Payload budget of one update built from queued rows; AWS counts 8 KiB of state per document. */
export const DEFAULT_MAX_BATCH_BYTES = 7000;

/**
 * The durable report queue (SQLite, better-sqlite3). Every report passes through it, online or not, so
 * that a report made just after a reconnect can never overtake an older one still waiting to be replayed.
 *
 * One row per leaf, in report order (`seq`). A new value for a key deletes the queued row of that key and
 * of every key below it (a newer `a` makes a queued `a.b` moot) and is appended at the end: the queue
 * holds only the latest value per key, in the order those latest values were produced. A queued ancestor
 * is kept before a newer descendant (`a: null` then `a.b: 1` is not the same as `a.b: 1` alone), and a batch
 * never contains both, so replaying batches in order gives the node exactly the final state.
 */
export class OfflineQueue {
  private readonly db: Database.Database;
  private readonly q;

  constructor(
    file: string | undefined,
    private readonly scope: string,
  ) {
    this.db = new Database(file ?? ":memory:");
    if (file !== undefined) {
      this.db.pragma("journal_mode = WAL");
      // FULL: a report the caller was told is queued survives a power cut, not only a crash.
      this.db.pragma("synchronous = FULL");
      this.db.pragma("busy_timeout = 5000");
    }
    this.db.exec(`CREATE TABLE IF NOT EXISTS report_queue (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      scope TEXT NOT NULL,
      path TEXT NOT NULL,
      value TEXT NOT NULL,
      UNIQUE (scope, path)
    )`);
    this.q = {
      // The path is a JSON array, so the rows below '["a"]' are exactly those starting with '["a",'.
      covered: this.db.prepare(
        "SELECT seq FROM report_queue WHERE scope = ? AND (path = ? OR substr(path, 1, length(?)) = ?)",
      ),
      drop: this.db.prepare("DELETE FROM report_queue WHERE seq = ?"),
      insert: this.db.prepare("INSERT INTO report_queue (scope, path, value) VALUES (?, ?, ?)"),
      head: this.db.prepare("SELECT seq, path, value FROM report_queue WHERE scope = ? ORDER BY seq LIMIT ?"),
      count: this.db.prepare("SELECT count(*) AS n FROM report_queue WHERE scope = ?"),
    };
  }

  /** Appends a report (one transaction): its leaves replace queued values of the same or lower keys. */
  enqueue(patch: JsonObject): EnqueueResult {
    const result: EnqueueResult = { seqs: [], superseded: [] };
    const leaves = leavesOf(patch);
    if (leaves.length === 0) return result;
    this.db.transaction((items: Leaf[]) => {
      for (const leaf of items) {
        const key = pathKey(leaf.path);
        const below = `${key.slice(0, -1)},`;
        const old = (this.q.covered.all(this.scope, key, below, below) as { seq: number }[]).map(
          (r) => r.seq,
        );
        for (const seq of old) this.q.drop.run(seq);
        const seq = Number(this.q.insert.run(this.scope, key, JSON.stringify(leaf.value)).lastInsertRowid);
        result.seqs.push(seq);
        for (const o of old) result.superseded.push([o, seq]);
      }
    })(leaves);
    return result;
  }

  /**
   * The oldest rows that can be sent together: stops before a row whose path overlaps one already taken
   * (it must follow in a later update) or when the batch would exceed `maxBytes` (always at least one row).
   */
  nextBatch(maxBytes = DEFAULT_MAX_BATCH_BYTES, maxRows = 500): Batch | undefined {
    const rows = this.q.head.all(this.scope, maxRows) as Row[];
    if (rows.length === 0) return undefined;
    const taken: string[][] = [];
    const batch: Batch = { seqs: [], patch: {} };
    let bytes = 2;
    for (const row of rows) {
      const path = JSON.parse(row.path) as string[];
      const size = row.path.length + row.value.length + 4;
      if (batch.seqs.length > 0 && (bytes + size > maxBytes || taken.some((p) => pathsOverlap(p, path))))
        break;
      taken.push(path);
      bytes += size;
      batch.seqs.push(row.seq);
      setLeaf(batch.patch, path, JSON.parse(row.value) as JsonValue);
    }
    return batch;
  }

  /** Removes sent (or given-up) rows; rows replaced in the meantime are already gone. */
  remove(seqs: readonly number[]): void {
    this.db.transaction((list: readonly number[]) => {
      for (const seq of list) this.q.drop.run(seq);
    })(seqs);
  }

  get size(): number {
    return (this.q.count.get(this.scope) as { n: number }).n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
