import { decodePatch, FLAG_EXISTS } from "../../shared/history.ts";
import type { Db } from "../store/database.ts";
import { LeafIndex } from "./leaf-index.ts";
import { LeafOverlay } from "./leaf-overlay.ts";

/** The columns a record has in both `history_log` and `history_records`. */
export const RECORD_COLS = "version, at, kind, flags, site, via, who, role, token, patch";

/**
 * Rows the log holds before settling starts. The more rows per shadow a step finds, the fewer pages it
 * writes per record (at 2,000 busy shadows ≈ 16 records per shadow per step); 32,768 records are ≈ 4 MB.
 */
export const LOG_TARGET_ROWS = 32_768;
/** Bounds on one step's rows (one step runs inside one commit's transaction). */
const MIN_STEP_ROWS = 256;
const MAX_STEP_ROWS = 4_096;
/** The row count is read again from the table every this many steps (two writers may share a database). */
const RECOUNT_EVERY = 256;

interface LeafRow {
  shadow: number;
  version: number;
  flags: number;
  patch: string;
}

/**
 * Moves change records from the log (appended in commit order: a commit writes a few pages, however
 * many shadows it touches) into `history_records`, clustered by shadow, and brings the leaf index
 * (blame) up to date (docs/history.md, "Settling"). A step takes the log's shadows in id order from a
 * cursor that goes round, so each shadow's records have gathered for a whole turn of the log: its
 * record and leaf pages are written once for all of them instead of once per commit.
 */
export class HistorySettler {
  private readonly q;
  private readonly leaves: LeafIndex;
  /** history_log's row count, as far as this writer knows. */
  private rows: number;
  /** Rows appended since the last step. */
  private appended = 0;
  /** The lowest shadow id the next step settles. */
  private cursor = 0;
  private steps = 0;

  constructor(
    db: Db,
    /** Rows the log keeps before a commit settles some (0: every commit settles what it appended). */
    private readonly target = LOG_TARGET_ROWS,
  ) {
    this.leaves = new LeafIndex(db);
    const slice = "shadow >= ? AND shadow <= ? AND (shadow < ? OR version <= ?)";
    this.q = {
      count: db.prepare("SELECT count(*) AS n FROM history_log"),
      nth: db.prepare(
        "SELECT shadow, version FROM history_log WHERE shadow >= ? ORDER BY shadow, version LIMIT 1 OFFSET ?",
      ),
      leafRows: db.prepare(
        `SELECT shadow, version, flags, patch FROM history_log WHERE ${slice} ORDER BY shadow, version`,
      ),
      move: db.prepare(
        `INSERT OR REPLACE INTO history_records (shadow, ${RECORD_COLS})
         SELECT shadow, ${RECORD_COLS} FROM history_log WHERE ${slice}`,
      ),
      drop: db.prepare(`DELETE FROM history_log WHERE ${slice}`),
    };
    this.rows = this.count();
  }

  /** Told of rows appended to the log in the current transaction. */
  appendedRows(n: number): void {
    this.rows += n;
    this.appended += n;
  }

  /**
   * Called once per commit, inside its transaction: while the log holds more than the target, settles
   * about twice what was appended since the last step (bounded), so the log shrinks back to the target.
   * Returns the rows settled.
   */
  step(): number {
    const appended = this.appended;
    this.appended = 0;
    if (++this.steps % RECOUNT_EVERY === 0) this.rows = this.count();
    if (this.rows <= this.target || this.rows === 0) return 0;
    const budget = Math.min(MAX_STEP_ROWS, Math.max(MIN_STEP_ROWS, 2 * appended, this.rows - this.target));
    return this.settle(budget);
  }

  /** Settles everything (tests, benches, an admin compaction). Call inside a transaction. */
  settleAll(): number {
    let moved = 0;
    this.cursor = 0;
    while (this.count() > 0) moved += this.settle(MAX_STEP_ROWS);
    this.rows = 0;
    return moved;
  }

  /**
   * Settles `budget` rows (or all from the cursor on): in (shadow, version) order from the cursor, the
   * next step going on from the last shadow it touched.
   */
  private settle(budget: number): number {
    const lo = this.cursor;
    const edge = this.q.nth.get(lo, budget - 1) as { shadow: number; version: number } | undefined;
    let hi = Number.MAX_SAFE_INTEGER;
    let upto = Number.MAX_SAFE_INTEGER;
    if (edge) {
      hi = edge.shadow;
      upto = edge.version;
      this.cursor = hi;
    } else {
      this.cursor = 0;
    }
    const params = [lo, hi, hi, upto] as const;
    this.settleLeaves(this.q.leafRows.all(...params) as LeafRow[]);
    this.q.move.run(...params);
    const moved = this.q.drop.run(...params).changes;
    this.rows = Math.max(0, this.rows - moved);
    return moved;
  }

  /** One overlay per shadow of the slice (rows in shadow, version order), written down once. */
  private settleLeaves(rows: LeafRow[]): void {
    let shadow = -1;
    let overlay: LeafOverlay | undefined;
    for (const row of rows) {
      if (row.shadow !== shadow) {
        overlay?.writeTo(this.leaves, shadow);
        shadow = row.shadow;
        overlay = new LeafOverlay();
      }
      overlay?.apply({
        version: row.version,
        at: 0,
        kind: "update",
        exists: (row.flags & FLAG_EXISTS) !== 0,
        patch: decodePatch(row.patch),
      });
    }
    overlay?.writeTo(this.leaves, shadow);
  }

  private count(): number {
    return (this.q.count.get() as { n: number }).n;
  }
}
