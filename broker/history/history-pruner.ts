import { horizonMovesTo, type RetentionPolicy, selectHorizon } from "../../shared/history-retention.ts";
import type { Db } from "../store/database.ts";
import type { CheckpointRow } from "./history-store.ts";

/** A shadow with no new record is looked at again after this long (age limits move on their own). */
const RELOOK_MS = 60_000;

interface ShadowRow {
  id: number;
  appended: number;
  horizon: number;
  /** The horizon checkpoint's ordinal (null: the horizon is not a checkpoint, not expected). */
  horizonOrdinal: number | null;
  /** When the first checkpoint after the horizon was taken (null: none yet). */
  nextAt: number | null;
}

export interface PruneTick {
  visited: number;
  deleted: number;
  horizonsMoved: number;
}

export interface PrunerOptions {
  /** The contiguous, reconstructable part of each shadow's record. */
  reported: RetentionPolicy;
  /** The desired tail below the horizon (records that touched desired or deleted the shadow). */
  desired: RetentionPolicy;
  /** Rows deleted per tick at most: the bound on how long one tick holds the node's thread. */
  batch: number;
  /** Shadows visited per tick (round-robin over all shadows with a record). */
  shadowsPerTick: number;
}

/**
 * Retention of the change record, applied incrementally: each tick visits a few shadows round-robin,
 * moves each one's horizon (shared/history-retention.ts), and deletes at most `batch` rows — records
 * below the horizon that are reported-only or older than the desired retention, then the oldest of
 * the desired tail beyond its count — in one short transaction of its own.
 */
export class HistoryPruner {
  private cursor = 0;
  /** Per shadow id: its record count and the time of the last full look (an idle shadow is skipped). */
  private readonly looked = new Map<number, { appended: number; at: number }>();
  private readonly q;

  constructor(
    private readonly db: Db,
    private readonly options: PrunerOptions,
  ) {
    this.q = {
      // With each shadow: its horizon's ordinal and when the next checkpoint was taken (two index seeks),
      // enough to tell that its horizon cannot move (see `tick`).
      shadows: db.prepare(
        `SELECT s.id, s.appended, s.horizon,
           (SELECT c.ordinal FROM history_checkpoints c WHERE c.shadow = s.id AND c.version = s.horizon) AS horizonOrdinal,
           (SELECT c.at FROM history_checkpoints c WHERE c.shadow = s.id AND c.version > s.horizon
            ORDER BY c.version LIMIT 1) AS nextAt
         FROM history_shadows s WHERE s.id > ? ORDER BY s.id LIMIT ?`,
      ),
      checkpoints: db.prepare(
        "SELECT version, at, ordinal FROM history_checkpoints WHERE shadow = ? ORDER BY version",
      ),
      moveHorizon: db.prepare("UPDATE history_shadows SET horizon = ?, pruned = 1 WHERE id = ?"),
      dropCheckpoints: db.prepare("DELETE FROM history_checkpoints WHERE shadow = ? AND version < ?"),
      dropBelow: db.prepare(
        `DELETE FROM history_records WHERE shadow = ? AND version IN (
           SELECT version FROM history_records WHERE shadow = ? AND version < ? AND ((flags & 1) = 0 OR at < ?)
           ORDER BY version LIMIT ?)`,
      ),
      tailEdge: db.prepare(
        `SELECT version FROM history_records WHERE shadow = ? AND version < ? AND (flags & 1) != 0
         ORDER BY version DESC LIMIT 1 OFFSET ?`,
      ),
      dropTail: db.prepare(
        `DELETE FROM history_records WHERE shadow = ? AND version IN (
           SELECT version FROM history_records WHERE shadow = ? AND version <= ? ORDER BY version LIMIT ?)`,
      ),
    };
  }

  tick(now = Date.now()): PruneTick {
    const result: PruneTick = { visited: 0, deleted: 0, horizonsMoved: 0 };
    this.db.transaction(() => {
      const rows = this.q.shadows.all(this.cursor, this.options.shadowsPerTick) as ShadowRow[];
      this.cursor = rows.length < this.options.shadowsPerTick ? 0 : (rows[rows.length - 1]?.id ?? 0);
      for (const row of rows) {
        const budget = this.options.batch - result.deleted;
        if (budget <= 0) {
          this.cursor = row.id - 1;
          break;
        }
        // Looked at fully within the minute, and nothing since can move its horizon (a busy shadow's
        // count changes at every tick, but its horizon moves once per checkpoint at most): what is
        // below the horizon only ages, which the minute's look covers.
        const last = this.looked.get(row.id);
        const recent = last !== undefined && now - last.at < RELOOK_MS && now >= last.at;
        if (recent && (last.appended === row.appended || !this.horizonCanMove(row, now))) continue;
        result.visited++;
        const moved = this.pruneShadow(row, now, budget);
        // Looked at fully only when the budget did not cut the work short.
        if (moved.deleted < budget) this.looked.set(row.id, { appended: row.appended, at: now });
        result.deleted += moved.deleted;
        if (moved.horizon) result.horizonsMoved++;
      }
    })();
    return result;
  }

  /**
   * Whether `selectHorizon` could move this horizon: only to a checkpoint after it, and the first one
   * after it qualifies whenever a later one would (later checkpoints are younger, and the count kept is
   * reckoned from the horizon until it moves).
   */
  private horizonCanMove(row: ShadowRow, now: number): boolean {
    if (row.nextAt === null) return false;
    const ordinal = row.horizonOrdinal ?? undefined;
    return horizonMovesTo(row.nextAt, row.appended, ordinal, this.options.reported, now);
  }

  private pruneShadow(
    row: { id: number; appended: number; horizon: number },
    now: number,
    budget: number,
  ): { deleted: number; horizon: boolean } {
    const { reported, desired } = this.options;
    const cps = this.q.checkpoints.all(row.id) as CheckpointRow[];
    const horizon = selectHorizon(cps, row.appended, row.horizon, reported, now);
    if (horizon > row.horizon) {
      this.q.moveHorizon.run(horizon, row.id);
      this.q.dropCheckpoints.run(row.id, horizon);
    }
    let deleted = this.q.dropBelow.run(row.id, row.id, horizon, now - desired.maxAgeMs, budget).changes;
    if (deleted < budget) {
      const edge = this.q.tailEdge.get(row.id, horizon, desired.maxRecords) as
        | { version: number }
        | undefined;
      if (edge) deleted += this.q.dropTail.run(row.id, row.id, edge.version, budget - deleted).changes;
    }
    return { deleted, horizon: horizon > row.horizon };
  }
}
