import type { Logger } from "../../shared/logger.ts";
import type { Db } from "../store/database.ts";

/**
 * The receiving side's exactly-once filter for relayed plain-topic messages. Per origin (a child
 * site's outbox, see outbox.ts) it keeps the highest contiguous sequence delivered and the set of
 * sequences delivered above it (what arrived out of order, e.g. a resent batch overtaking a lost one).
 * Both are persisted in SQLite in the same transaction as the record, so a restart never re-delivers.
 *
 * Exactly once end to end: the receiver calls `admit` (filters and records in one transaction) before
 * it publishes locally and acknowledges; a resend after a lost ack is then filtered out. When local
 * delivery writes to this same database, wrap both in one `db.transaction` with `fresh` + `record`.
 *
 * The set above the contiguous mark is bounded (`maxAbove`). It only grows when sequences go missing
 * in flight, which the sender's resends repair; if it overflows anyway, the mark jumps to the lowest
 * recorded sequence, the skipped ones are counted (`stats().skipped`) and logged, and a late arrival
 * of a skipped sequence is then treated as a duplicate. Sender-side drops (outbox `drop-oldest`) are
 * announced with `advance(origin, floor)` instead, so they never fill the set.
 */
export interface DedupOptions {
  /** Bound of the out-of-order set per origin. Default 10 000. */
  maxAbove?: number;
  log?: Logger;
}

export interface DedupStats {
  origins: number;
  /** Sequences given up on because the out-of-order set overflowed. */
  skipped: number;
}

/**
 * No in-memory copy of the state: every read goes to SQLite (microseconds, against the fsync the
 * delivery costs anyway), so a delivering transaction that rolls back leaves the filter consistent.
 */
export class DedupFilter {
  private readonly maxAbove: number;
  private skipped = 0;
  private readonly stmt;

  constructor(
    private readonly db: Db,
    private readonly options: DedupOptions = {},
  ) {
    this.maxAbove = options.maxAbove ?? 10_000;
    this.stmt = {
      mark: db.prepare("SELECT contiguous FROM relay_dedup WHERE origin = ?").pluck(),
      has: db.prepare("SELECT 1 FROM relay_dedup_above WHERE origin = ? AND seq = ?").pluck(),
      setMark: db.prepare(
        "INSERT INTO relay_dedup (origin, contiguous) VALUES (?, ?) ON CONFLICT(origin) DO UPDATE SET contiguous = excluded.contiguous",
      ),
      addAbove: db.prepare("INSERT OR IGNORE INTO relay_dedup_above (origin, seq) VALUES (?, ?)"),
      takeAbove: db.prepare("DELETE FROM relay_dedup_above WHERE origin = ? AND seq = ?"),
      dropAbove: db.prepare("DELETE FROM relay_dedup_above WHERE origin = ? AND seq <= ?"),
      countAbove: db.prepare("SELECT COUNT(*) FROM relay_dedup_above WHERE origin = ?").pluck(),
      lowestAbove: db.prepare("SELECT MIN(seq) FROM relay_dedup_above WHERE origin = ?").pluck(),
      origins: db.prepare("SELECT COUNT(*) FROM relay_dedup").pluck(),
    };
  }

  /** The highest contiguous delivered seq of `origin` (0 when none). */
  contiguous(origin: string): number {
    return (this.stmt.mark.get(origin) as number | undefined) ?? 0;
  }

  /** True when `seq` of `origin` was not delivered yet (read-only). */
  fresh(origin: string, seq: number): boolean {
    return seq > this.contiguous(origin) && this.stmt.has.get(origin, seq) === undefined;
  }

  /** Records sequences as delivered (idempotent). Call inside the transaction that delivers, or use `admit`. */
  record(origin: string, seqs: Iterable<number>): void {
    this.db.transaction(() => {
      const before = this.contiguous(origin);
      let mark = before;
      let added = false;
      for (const seq of seqs) {
        if (seq <= mark) continue;
        if (seq === mark + 1) mark = this.absorb(origin, seq);
        else {
          this.stmt.addAbove.run(origin, seq);
          added = true;
        }
      }
      if (added && (this.stmt.countAbove.get(origin) as number) > this.maxAbove)
        mark = this.overflow(origin, mark);
      if (mark !== before) this.stmt.setMark.run(origin, mark);
    })();
  }

  /** Moves the mark to `seq` and over every recorded seq right above it; returns the new mark. */
  private absorb(origin: string, seq: number): number {
    let mark = seq;
    this.stmt.takeAbove.run(origin, mark);
    while (this.stmt.takeAbove.run(origin, mark + 1).changes > 0) mark++;
    return mark;
  }

  /** Filters `messages` to those not delivered yet and records them, in one transaction. */
  admit<T extends { origin: string; seq: number }>(messages: readonly T[]): T[] {
    return this.db.transaction(() => {
      const out: T[] = [];
      const seen = new Set<string>();
      for (const m of messages) {
        const id = `${m.seq}@${m.origin}`;
        if (seen.has(id) || !this.fresh(m.origin, m.seq)) continue;
        seen.add(id);
        out.push(m);
      }
      const byOrigin = new Map<string, number[]>();
      for (const m of out) {
        const list = byOrigin.get(m.origin);
        if (list) list.push(m.seq);
        else byOrigin.set(m.origin, [m.seq]);
      }
      for (const [origin, seqs] of byOrigin) this.record(origin, seqs);
      return out;
    })();
  }

  /**
   * The sender says every seq ≤ `floor` is acknowledged or was dropped (outbox `peek().floor`):
   * the mark may move up to it, so dropped sequences never occupy the out-of-order set.
   */
  advance(origin: string, floor: number): void {
    this.db.transaction(() => {
      if (floor <= this.contiguous(origin)) return;
      this.stmt.dropAbove.run(origin, floor);
      this.stmt.setMark.run(origin, this.absorb(origin, floor));
    })();
  }

  stats(): DedupStats {
    return { origins: this.stmt.origins.get() as number, skipped: this.skipped };
  }

  private overflow(origin: string, mark: number): number {
    const lowest = this.stmt.lowestAbove.get(origin) as number;
    this.skipped += lowest - 1 - mark;
    this.options.log?.warn(
      { origin, from: mark + 1, to: lowest - 1, maxAbove: this.maxAbove },
      "relay dedup: too many out-of-order messages from one origin; giving up on the missing range (a late arrival of it will be dropped as a duplicate)",
    );
    return this.absorb(origin, lowest);
  }
}

/**
 * The "historical" rule for late messages: a relayed message is historical when it was older than
 * `thresholdMs` at the moment its site sent it upstream. Both times come from the origin's clock
 * (`ts` stamped at publish, `sentAt` stamped when the frame left), so clock skew between sites cannot
 * mark live data historical or the reverse. Without `sentAt` the receiver's clock is used.
 */
export function isHistorical(
  msg: { ts: number },
  thresholdMs: number,
  clocks: { sentAt?: number; receivedAt?: number } = {},
): boolean {
  const reference = clocks.sentAt ?? clocks.receivedAt ?? Date.now();
  return reference - msg.ts > thresholdMs;
}
