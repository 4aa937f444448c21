import type { SettleProgress } from "../history/history-settler.ts";
import { HistoryWriter, type HistoryWriterOptions } from "../history/history-writer.ts";
import type { Db } from "../store/database.ts";
import type { JournalSink, StagedJournal } from "./shadow-store.ts";

/**
 * What one shadow contributes to a group commit, as plain data: the bytes were made from its Automerge
 * document on the main thread (ShadowStore.prepare); writing them is SQL only, so it can run on the
 * main thread or in the commit worker (docs/shadow-engine.md, "Threads").
 */
export interface ShadowRowWrite {
  thing: string;
  shadow: string;
  /**
   * insert: the shadow's first row; replace: a new snapshot (compaction or epoch), chunks dropped; chunk:
   * one more incremental chunk; state: the document is unchanged, only deferred updates (no bytes).
   */
  kind: "insert" | "replace" | "chunk" | "state";
  bytes: Uint8Array;
  version: number;
  deleted: 0 | 1;
  /** Per-leaf metadata as JSON (kept beside the document, see shadow-doc.ts). */
  meta: string;
  /** The document's heads after this write, comma-separated (the relay's digest reads them). */
  heads: string;
  /** The updates the document does not hold yet (`ShadowDocument.deferredState`), or null. */
  deferred: string | null;
}

/** The change records staged with a shadow's changes (broker/history), written right after its row. */
export interface JournalWrite {
  addr: { thing: string; shadow: string };
  journal: StagedJournal;
}

/** One group commit's writes: one SQLite transaction. */
export interface CommitBatch {
  /** `updated_at` of every row written. */
  now: number;
  rows: ShadowRowWrite[];
  /** rows[i]'s records, if any, at journals[i]. */
  journals: (JournalWrite | undefined)[];
  /** Set when records are staged: how the commit worker builds its history writer. */
  history?: HistoryWriterOptions;
}

/**
 * Runs a CommitBatch as one transaction on `db`. On the main thread its history sink is the store's
 * journal (HistoryStore); in the commit worker, a HistoryWriter on the worker's own connection.
 */
export class BatchWriter {
  private readonly q;
  private history: JournalSink | undefined;
  private historyKey = "";

  constructor(
    private readonly db: Db,
    /** The main thread's journal (the store's); absent in the worker, which builds its own per batch options. */
    private readonly journal?: () => JournalSink | undefined,
  ) {
    this.q = {
      insertRow: db.prepare(
        `INSERT INTO shadows (thing, name, snapshot, version, deleted, updated_at, chunk_count, chunk_bytes, meta, heads, deferred)
         VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?)`,
      ),
      replaceSnapshot: db.prepare(
        `UPDATE shadows SET snapshot = ?, version = ?, deleted = ?, updated_at = ?, chunk_count = 0, chunk_bytes = 0,
         meta = ?, heads = ?, deferred = ? WHERE thing = ? AND name = ?`,
      ),
      addChunk: db.prepare("INSERT INTO shadow_chunks (thing, name, data) VALUES (?, ?, ?)"),
      bumpRow: db.prepare(
        `UPDATE shadows SET version = ?, deleted = ?, updated_at = ?, chunk_count = chunk_count + 1,
         chunk_bytes = chunk_bytes + ?, meta = ?, heads = ?, deferred = ? WHERE thing = ? AND name = ?`,
      ),
      setState: db.prepare(
        "UPDATE shadows SET version = ?, deleted = ?, updated_at = ?, meta = ?, deferred = ? WHERE thing = ? AND name = ?",
      ),
      dropChunks: db.prepare("DELETE FROM shadow_chunks WHERE thing = ? AND name = ?"),
    };
  }

  /**
   * Writes the batch in one transaction; throws (and rolls back) if SQLite fails. IMMEDIATE: the write
   * lock is taken at BEGIN (waiting under busy_timeout), so the transaction never fails half-way with
   * SQLITE_BUSY because another connection of the node wrote since it started reading.
   */
  write(batch: CommitBatch): void {
    this.db.transaction(() => this.writeAll(batch)).immediate();
  }

  private writeAll(batch: CommitBatch): void {
    const sink = batch.journals.length > 0 ? this.sink(batch) : undefined;
    for (let i = 0; i < batch.rows.length; i++) {
      this.writeRow(batch.rows[i] as ShadowRowWrite, batch.now);
      const j = batch.journals[i];
      if (j && sink) sink.append(j, j.journal);
    }
    // Inline commits settle a step inside this transaction; the commit worker between batches (`settle`).
    if (this.journal) sink?.settle?.();
  }

  /**
   * One step of the journal's upkeep in a transaction of its own (the commit worker, between batches):
   * settles at most `maxRows` of the change record's log. Undefined before a batch brought records.
   */
  settle(maxRows: number): SettleProgress | undefined {
    const sink = this.history;
    if (!sink?.settle) return undefined;
    return this.db.transaction(() => sink.settle?.(maxRows)).immediate();
  }

  private sink(batch: CommitBatch): JournalSink | undefined {
    if (this.journal) return this.journal();
    if (!batch.history) return undefined;
    const { site, checkpointEvery, logTarget } = batch.history;
    const key = `${site}\n${checkpointEvery}\n${logTarget}`;
    if (!this.history || key !== this.historyKey) {
      const writer = new HistoryWriter(this.db, batch.history);
      this.history = {
        append: (target, journal) => writer.append(target.addr, journal),
        settle: (maxRows) => writer.settle(maxRows),
      };
      this.historyKey = key;
    }
    return this.history;
  }

  private writeRow(r: ShadowRowWrite, now: number): void {
    const { thing, shadow } = r;
    if (r.kind === "insert") {
      this.q.insertRow.run(thing, shadow, r.bytes, r.version, r.deleted, now, r.meta, r.heads, r.deferred);
    } else if (r.kind === "replace") {
      this.q.replaceSnapshot.run(
        r.bytes,
        r.version,
        r.deleted,
        now,
        r.meta,
        r.heads,
        r.deferred,
        thing,
        shadow,
      );
      this.q.dropChunks.run(thing, shadow);
    } else if (r.kind === "chunk") {
      this.q.addChunk.run(thing, shadow, r.bytes);
      const n = r.bytes.byteLength;
      this.q.bumpRow.run(r.version, r.deleted, now, n, r.meta, r.heads, r.deferred, thing, shadow);
    } else {
      this.q.setState.run(r.version, r.deleted, now, r.meta, r.deferred, thing, shadow);
    }
  }
}
