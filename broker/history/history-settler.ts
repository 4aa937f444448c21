import { HISTORY_LOG_ROWS } from "../../shared/history.ts";
import type { Db } from "../store/database.ts";
import { decodeRow, RECORD_COLS, type RecordRow } from "./history-row.ts";
import { LeafIndex } from "./leaf-index.ts";
import { LeafOverlay } from "./leaf-overlay.ts";

/** Bounds on the rows one step settles (a step runs inside one commit's transaction). */
const MIN_STEP_ROWS = 256;
const MAX_STEP_ROWS = 4_096;
/** A paced step settles at least this many rows (see `paced`). */
const MIN_PACED_ROWS = 32;
/** What the pace may save up while nothing is to settle. */
const MAX_ALLOWANCE = 16_384;
/** Settled rows dropped per step (contiguous in the table, ≈ 1 ms). */
const DROP_ROWS = 2_048;

const FILLING = 0;
const SETTLING = 1;
const DROPPING = 2;

interface SettleState {
  phase: number;
  end_seq: number;
  cursor_shadow: number;
  cursor_version: number;
}

/** What a settling step did, and what is left. */
export interface SettleProgress {
  /** Rows moved into history_records by this step. */
  settled: number;
  /** Whether settling has more to do now (a closed generation, or an open one at its target). */
  more: boolean;
  /** Whether it falls behind: the open generation reached its target while the last is not settled. */
  behind: boolean;
}

/**
 * Moves change records from the log into `history_records` and the leaf index (docs/history.md,
 * "Settling"). The log is appended in commit order, so a commit writes a few log pages however many
 * shadows it touches. Once a generation of it holds the target, it is closed and settled in bounded
 * steps, one per commit, in (shadow, version) order: each shadow's records of the whole generation go
 * in at once (its record and leaf pages written once for all of them, not once per commit); then the
 * generation is dropped, contiguous rows of the table. Where this stands is a row of `history_settle`
 * written in the same transactions, so a rollback or a crash resumes exactly where it was.
 */
export class HistorySettler {
  private readonly q;
  private readonly leaves: LeafIndex;
  /** Rows appended since the last step. */
  private appended = 0;
  /** Rows paced steps may still settle: two per row appended (see `paced`). */
  private allowance = 0;

  constructor(
    db: Db,
    /** Rows a generation gathers before it is settled (0: every commit settles what it appended). */
    private readonly target = HISTORY_LOG_ROWS,
  ) {
    this.leaves = new LeafIndex(db);
    const after = "(shadow, version) > (?, ?) AND seq < ?";
    const slice = `${after} AND (shadow, version) <= (?, ?)`;
    this.q = {
      state: db.prepare(
        "SELECT phase, end_seq, cursor_shadow, cursor_version FROM history_settle WHERE id = 1",
      ),
      setState: db.prepare(
        "UPDATE history_settle SET phase = ?, end_seq = ?, cursor_shadow = ?, cursor_version = ? WHERE id = 1",
      ),
      nextSeq: db.prepare("SELECT coalesce(max(seq), 0) + 1 AS seq FROM history_log"),
      lowest: db.prepare("SELECT min(seq) AS seq FROM history_log"),
      nth: db.prepare(
        `SELECT shadow, version FROM history_log WHERE ${after} ORDER BY shadow, version LIMIT 1 OFFSET ?`,
      ),
      leafRows: db.prepare(
        `SELECT shadow, ${RECORD_COLS} FROM history_log WHERE ${slice} ORDER BY shadow, version`,
      ),
      move: db.prepare(
        `INSERT OR REPLACE INTO history_records (shadow, ${RECORD_COLS})
         SELECT shadow, ${RECORD_COLS} FROM history_log WHERE ${slice}`,
      ),
      drop: db.prepare("DELETE FROM history_log WHERE seq < ?"),
    };
  }

  /** Told of rows appended to the log in the current transaction. */
  appendedRows(n: number): void {
    this.appended += n;
    this.allowance = Math.min(MAX_ALLOWANCE, this.allowance + 2 * n);
  }

  /**
   * One step, inside a transaction (an inline commit's): closes the open generation once it holds the
   * target, settles twice what was appended since the last step (256–4,096 rows) of the closed one,
   * and drops a part of it once all of it is settled.
   */
  step(): SettleProgress {
    const budget = Math.min(MAX_STEP_ROWS, Math.max(MIN_STEP_ROWS, 2 * this.appended));
    this.appended = 0;
    const { settled, settling, full } = this.run(this.state(), budget, DROP_ROWS);
    return { settled, more: settling || full, behind: settling && full };
  }

  /**
   * A paced step, inside a transaction of its own (the commit worker's, between batches): at most
   * `maxRows`, and no more than twice the rows appended since the last paced steps (at least 32), so a
   * closed generation's writes spread over the batches that follow instead of landing on one batch's
   * fdatasync. Unpaced while behind. `more`: whether another step is due now.
   */
  paced(maxRows: number): SettleProgress {
    const s = this.state();
    const wasBehind = s.phase !== FILLING && this.full(s);
    const budget = wasBehind ? maxRows : Math.min(maxRows, Math.max(MIN_PACED_ROWS, this.allowance));
    const { settled, settling, full } = this.run(s, budget, Math.min(DROP_ROWS, 4 * budget));
    this.allowance = Math.max(0, this.allowance - Math.max(settled, budget / 4));
    const behind = settling && full;
    // While settling, another step is due only as the pace allows (or when behind); else when full.
    const more = settling ? behind || this.allowance >= MIN_PACED_ROWS : full;
    return { settled, more, behind };
  }

  /** Closes, settles `budget` rows, drops: what is due from state `s`. Where it ends up, and whether full. */
  private run(
    start: SettleState,
    budget: number,
    dropRows: number,
  ): { settled: number; settling: boolean; full: boolean } {
    let s = start;
    let settled = 0;
    if (s.phase === FILLING && this.full(s)) s = this.close();
    if (s.phase === SETTLING) {
      settled = this.settle(s, budget);
      s = this.state();
    }
    if (s.phase === DROPPING) {
      this.drop(s, dropRows);
      s = this.state();
    }
    return { settled, settling: s.phase !== FILLING, full: this.full(s) };
  }

  /** Settles and drops the whole log (tests, benches). Call inside a transaction. */
  settleAll(): number {
    let moved = 0;
    let s = this.state();
    if (s.phase === FILLING) s = this.close();
    for (;;) {
      if (s.phase === SETTLING) moved += this.settle(s, MAX_STEP_ROWS);
      else if (s.phase === DROPPING) this.drop(s, DROP_ROWS);
      else if (this.lowestSeq() !== undefined) this.close();
      else break;
      s = this.state();
    }
    return moved;
  }

  /** Closes the open generation: every row now in the log is to be settled. */
  private close(): SettleState {
    return this.setState({ phase: SETTLING, end_seq: this.nextSeq(), cursor_shadow: -1, cursor_version: 0 });
  }

  /**
   * Whether the open generation (rows from end_seq on) holds the target: seq counts appends (rows a
   * later record of the same version replaced are counted too: an estimate, on the high side).
   */
  private full(s: SettleState): boolean {
    const open = this.nextSeq() - Math.max(s.end_seq, this.lowestSeq() ?? s.end_seq);
    return open > 0 && open >= this.target;
  }

  /** Settles the next `budget` rows of the closed generation in (shadow, version) order. */
  private settle(s: SettleState, budget: number): number {
    const from = [s.cursor_shadow, s.cursor_version, s.end_seq] as const;
    const edge = this.q.nth.get(...from, budget - 1) as { shadow: number; version: number } | undefined;
    const upto = edge ? [edge.shadow, edge.version] : [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
    const params = [...from, ...upto];
    this.settleLeaves(this.q.leafRows.all(...params) as (RecordRow & { shadow: number })[]);
    const moved = this.q.move.run(...params).changes;
    if (edge) this.setState({ ...s, cursor_shadow: edge.shadow, cursor_version: edge.version });
    else this.setState({ ...s, phase: DROPPING });
    return moved;
  }

  /** Drops the next settled rows, oldest first; the generation is done when none is left. */
  private drop(s: SettleState, rows: number): void {
    const lowest = this.lowestSeq();
    if (lowest !== undefined && lowest < s.end_seq) {
      this.q.drop.run(Math.min(s.end_seq, lowest + rows));
      const next = this.lowestSeq();
      if (next !== undefined && next < s.end_seq) return;
    }
    this.setState({ ...s, phase: FILLING, cursor_shadow: -1, cursor_version: 0 });
  }

  /** One overlay per shadow of the slice (rows in shadow, version order), written down once. */
  private settleLeaves(rows: (RecordRow & { shadow: number })[]): void {
    let shadow = -1;
    let overlay: LeafOverlay | undefined;
    for (const row of rows) {
      if (row.shadow !== shadow) {
        overlay?.writeTo(this.leaves, shadow);
        shadow = row.shadow;
        overlay = new LeafOverlay();
      }
      overlay?.apply(decodeRow(row));
    }
    overlay?.writeTo(this.leaves, shadow);
  }

  private state(): SettleState {
    return this.q.state.get() as SettleState;
  }

  private setState(s: SettleState): SettleState {
    this.q.setState.run(s.phase, s.end_seq, s.cursor_shadow, s.cursor_version);
    return s;
  }

  private nextSeq(): number {
    return (this.q.nextSeq.get() as { seq: number }).seq;
  }

  private lowestSeq(): number | undefined {
    return (this.q.lowest.get() as { seq: number | null }).seq ?? undefined;
  }
}
