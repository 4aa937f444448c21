import { encodePatch, type HistoryState, recordFlags } from "../../shared/history.ts";
import type { ShadowAddress } from "../../shared/topics.ts";
import type { StagedJournal } from "../shadow/shadow-store.ts";
import type { Db } from "../store/database.ts";
import { KINDS, RECORD_COLS } from "./history-row.ts";
import { HistorySettler, type SettleProgress } from "./history-settler.ts";

/** What a writer needs besides its connection: the same on the main thread and in the commit worker. */
export interface HistoryWriterOptions {
  /** This node's site, written on local records. */
  site: string;
  /** A checkpoint every this many records (and on a shadow's first record). */
  checkpointEvery: number;
  /** Records a generation of the log gathers before it settles (default HISTORY_LOG_ROWS; 0: every commit). */
  logTarget?: number;
}

/**
 * Appends change records (docs/history.md) to the log inside the shadow commit's transaction, so a
 * record is on disk exactly when its change is, and settles the log in bounded steps (`settle`: inside
 * an inline commit, or between the commit worker's batches). Only SQL and plain data: it runs on the main thread (inline group commit) or on the
 * commit worker's own connection (broker/shadow/commit-worker.ts).
 */
export class HistoryWriter {
  private readonly q;
  private readonly settler: HistorySettler;

  constructor(
    db: Db,
    private readonly options: HistoryWriterOptions,
  ) {
    this.settler = new HistorySettler(db, options.logTarget);
    this.q = {
      upsert: db.prepare(
        `INSERT INTO history_shadows (thing, name, appended, since_checkpoint, horizon) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (thing, name) DO UPDATE SET appended = appended + excluded.appended,
           since_checkpoint = since_checkpoint + excluded.appended
         RETURNING id, appended, since_checkpoint`,
      ),
      insert: db.prepare(
        `INSERT OR REPLACE INTO history_log (shadow, ${RECORD_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      checkpoint: db.prepare(
        "INSERT OR REPLACE INTO history_checkpoints (shadow, version, at, ordinal, state) VALUES (?, ?, ?, ?, ?)",
      ),
      setSince: db.prepare("UPDATE history_shadows SET since_checkpoint = ? WHERE id = ?"),
    };
  }

  /**
   * Writes the records staged on a shadow. A due checkpoint is taken at the batch's first record (whose
   * state was captured when it was staged), so a shadow's very first record is always one: the horizon
   * starts at a checkpoint.
   */
  append(addr: ShadowAddress, journal: StagedJournal): void {
    const { records } = journal;
    const first = records[0];
    if (!first) return;
    const every = this.options.checkpointEvery;
    const n = records.length;
    // A new shadow starts as if K-1 records had passed since a checkpoint: its first record takes one.
    const row = this.q.upsert.get(addr.thing, addr.shadow, n, every - 1 + n, first.version) as {
      id: number;
      appended: number;
      since_checkpoint: number;
    };
    for (const r of records) {
      const site = r.site ?? (r.via === undefined ? this.options.site : null);
      this.q.insert.run(
        row.id,
        r.version,
        r.at,
        KINDS.indexOf(r.kind),
        recordFlags(r),
        site,
        r.via ?? null,
        r.identity?.name ?? null,
        r.identity?.role ?? null,
        r.clientToken ?? null,
        encodePatch(r.patch),
      );
    }
    this.settler.appendedRows(n);
    // since_checkpoint counts this batch too: the checkpoint is due if the records before it reached K.
    if (row.since_checkpoint - n + 1 >= every) {
      const v = journal.first;
      const state: HistoryState = {
        exists: v.exists,
        version: first.version,
        desired: v.desired,
        reported: v.reported,
        meta: v.meta,
      };
      this.q.checkpoint.run(row.id, first.version, first.at, row.appended - n + 1, JSON.stringify(state));
      this.q.setSince.run(n - 1, row.id);
    }
  }

  /**
   * One settling step (inside a transaction): an inline commit's (HistorySettler.step), or with
   * `maxRows` a paced one of the commit worker between batches (HistorySettler.paced).
   */
  settle(maxRows?: number): SettleProgress {
    return maxRows === undefined ? this.settler.step() : this.settler.paced(maxRows);
  }

  /** Settles the whole log (inside a transaction): tests, benches. */
  settleAll(): number {
    return this.settler.settleAll();
  }
}
