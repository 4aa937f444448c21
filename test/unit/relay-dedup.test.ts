import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DedupFilter, isHistorical } from "../../broker/relay/dedup.ts";
import { type Db, openDatabase } from "../../broker/store/database.ts";

const msgs = (origin: string, seqs: number[]) => seqs.map((seq) => ({ origin, seq }));

describe("relay dedup filter (real SQLite)", () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "umbra-dedup-"));
    db = openDatabase(dir);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const reopen = (opts?: ConstructorParameters<typeof DedupFilter>[1]) => {
    db.close();
    db = openDatabase(dir);
    return new DedupFilter(db, opts);
  };

  it("admits each (origin, seq) once, out of order and across origins", () => {
    const f = new DedupFilter(db);
    expect(f.admit(msgs("a", [1, 2, 4])).map((m) => m.seq)).toEqual([1, 2, 4]);
    expect(f.contiguous("a")).toBe(2);
    expect(f.admit(msgs("a", [2, 3, 4, 4, 5])).map((m) => m.seq)).toEqual([3, 5]);
    expect(f.contiguous("a")).toBe(5);
    expect(f.admit(msgs("b", [1, 1])).map((m) => m.seq)).toEqual([1]);
    expect(f.fresh("a", 6)).toBe(true);
    expect(f.fresh("a", 3)).toBe(false);
  });

  it("does not re-deliver after a restart, including the out-of-order set", () => {
    const f = new DedupFilter(db);
    f.admit(msgs("a", [1, 2, 5, 7]));
    const g = reopen();
    expect(g.contiguous("a")).toBe(2);
    expect(g.admit(msgs("a", [1, 2, 3, 4, 5, 6, 7, 8])).map((m) => m.seq)).toEqual([3, 4, 6, 8]);
    const h = reopen();
    expect(h.contiguous("a")).toBe(8);
    expect(h.admit(msgs("a", [8])).length).toBe(0);
    // The set above the mark was folded into the mark and cleared from SQLite.
    expect((db.prepare("SELECT COUNT(*) AS n FROM relay_dedup_above").get() as { n: number }).n).toBe(0);
  });

  it("rolls back with the delivering transaction", () => {
    const f = new DedupFilter(db);
    db.exec("CREATE TABLE delivered (seq INTEGER)");
    const deliver = db.transaction((seqs: number[]) => {
      for (const seq of seqs.filter((s) => f.fresh("a", s)))
        db.prepare("INSERT INTO delivered VALUES (?)").run(seq);
      f.record("a", seqs);
      throw new Error("crash before commit");
    });
    expect(() => deliver([1, 2])).toThrow(/crash/);
    expect(f.fresh("a", 1)).toBe(true);
    expect(f.contiguous("a")).toBe(0);
    const g = reopen();
    expect(g.contiguous("a")).toBe(0);
    expect(g.admit(msgs("a", [1, 2])).length).toBe(2);
  });

  it("bounds the out-of-order set, counting what it gives up on", () => {
    const f = new DedupFilter(db, { maxAbove: 3 });
    f.admit(msgs("a", [1, 5, 6, 7]));
    expect(f.contiguous("a")).toBe(1);
    f.admit(msgs("a", [9]));
    // Overflow: 2..4 are skipped, 5..7 fold into the mark, 9 stays above.
    expect(f.contiguous("a")).toBe(7);
    expect(f.stats().skipped).toBe(3);
    expect(f.fresh("a", 3)).toBe(false);
    expect(f.fresh("a", 8)).toBe(true);
  });

  it("advances to the sender's floor so dropped sequences never fill the set", () => {
    const f = new DedupFilter(db);
    f.admit(msgs("a", [1, 12, 13]));
    f.advance("a", 10);
    expect(f.contiguous("a")).toBe(10);
    f.advance("a", 11);
    expect(f.contiguous("a")).toBe(13);
    expect(reopen().contiguous("a")).toBe(13);
  });

  it("delivers every message exactly once under random duplication, reordering and restarts (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.boolean()), { minLength: 1, maxLength: 80 }),
        (events) => {
          let f = new DedupFilter(db);
          const delivered: number[] = [];
          for (const [seq, restart] of events) {
            delivered.push(...f.admit(msgs("p", [seq])).map((m) => m.seq));
            if (restart) f = reopen();
          }
          expect(delivered.sort((a, b) => a - b)).toEqual(
            [...new Set(events.map((e) => e[0]))].sort((a, b) => a - b),
          );
          db.exec("DELETE FROM relay_dedup; DELETE FROM relay_dedup_above;");
        },
      ),
      { numRuns: 30, seed: 20261122 },
    );
  });
});

describe("historical marking", () => {
  it("uses the origin's clocks when the frame carries its send time", () => {
    expect(isHistorical({ ts: 1_000 }, 60_000, { sentAt: 30_000, receivedAt: 999_999 })).toBe(false);
    expect(isHistorical({ ts: 1_000 }, 60_000, { sentAt: 61_001 })).toBe(true);
    expect(isHistorical({ ts: 1_000 }, 60_000, { receivedAt: 2_000 })).toBe(false);
    expect(isHistorical({ ts: Date.now() - 120_000 }, 60_000)).toBe(true);
  });
});
