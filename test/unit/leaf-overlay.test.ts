import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type LeafIndexWrites, LeafOverlay } from "../../broker/history/leaf-overlay.ts";
import { type HistoryRecord, leafEffects, type Section } from "../../shared/history.ts";
import type { PatchOp } from "../../shared/shadow-patch.ts";

/** The leaf index as a map, with the same edits as the SQL one (broker/history/leaf-index.ts). */
class IndexModel implements LeafIndexWrites {
  readonly rows = new Map<string, number>();
  writes = 0;
  clearAll(): void {
    this.rows.clear();
  }
  clear(_shadow: number, section: Section, path: readonly string[]): void {
    const text = JSON.stringify(path);
    for (const key of this.rows.keys()) {
      const [s, p] = key.split("\u0000") as [string, string];
      if (s === section && (p === text || p.startsWith(`${text.slice(0, -1)},`))) this.rows.delete(key);
    }
  }
  set(_shadow: number, section: Section, path: readonly string[], version: number): void {
    this.writes++;
    this.rows.set(`${section}\u0000${JSON.stringify(path)}`, version);
  }
  /** Applies one record's edits in order: what the index did per commit before the log. */
  applyOne(r: HistoryRecord): void {
    for (const e of leafEffects(r)) {
      if (e.op === "clearAll") this.clearAll();
      else if (e.op === "clear") this.clear(1, e.section, e.path);
      else this.set(1, e.section, e.path, r.version);
    }
  }
}

const path = fc.array(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 3 });
const value = fc.oneof(
  fc.integer({ min: 0, max: 9 }),
  fc.dictionary(fc.constantFrom("a", "b"), fc.integer({ min: 0, max: 9 }), { maxKeys: 2 }),
);
const op: fc.Arbitrary<PatchOp> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), path, value }),
  fc.record({ kind: fc.constant("delete" as const), path }),
);
const record = (version: number) =>
  fc.record({
    exists: fc.boolean().map((b) => b || version % 7 !== 0),
    desired: fc.array(op, { maxLength: 3 }),
    reported: fc.array(op, { maxLength: 3 }),
  });
const runs = fc
  .integer({ min: 1, max: 25 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => record(i + 1))));
const base = fc.array(fc.tuple(fc.constantFrom<Section>("desired", "reported"), path), { maxLength: 6 });

function toRecords(run: { exists: boolean; desired: PatchOp[]; reported: PatchOp[] }[]): HistoryRecord[] {
  return run.map((r, i) => ({
    version: 100 + i,
    at: 0,
    kind: r.exists ? "update" : "delete",
    exists: r.exists,
    patch: r.exists ? { desired: r.desired, reported: r.reported } : {},
  }));
}

describe("LeafOverlay (records still in the log, over the leaf index)", () => {
  it("written down in one go, leaves the index as applying the records one by one does", () => {
    fc.assert(
      fc.property(base, runs, (seed, run) => {
        const records = toRecords(run);
        const oneByOne = new IndexModel();
        const settled = new IndexModel();
        for (const [section, p] of seed) {
          oneByOne.set(1, section, p, 1);
          settled.set(1, section, p, 1);
        }
        for (const r of records) oneByOne.applyOne(r);
        const overlay = new LeafOverlay();
        for (const r of records) overlay.apply(r);
        overlay.writeTo(settled, 1);
        expect([...settled.rows].sort()).toEqual([...oneByOne.rows].sort());
      }),
      { numRuns: 300 },
    );
  });

  it("read through, answers every leaf as the index would after the records", () => {
    fc.assert(
      fc.property(base, runs, (seed, run) => {
        const records = toRecords(run);
        const index = new IndexModel();
        for (const [section, p] of seed) index.set(1, section, p, 1);
        const stored = new Map(index.rows);
        for (const r of records) index.applyOne(r);
        const overlay = new LeafOverlay();
        for (const r of records) overlay.apply(r);
        const keys = new Set([...stored.keys(), ...index.rows.keys()]);
        for (const key of keys) {
          const [section, p] = key.split("\u0000") as [Section, string];
          const v = overlay.version(section, JSON.parse(p) as string[]);
          const seen = v === undefined ? stored.get(key) : (v ?? undefined);
          expect(seen).toBe(index.rows.get(key));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("writes each leaf once, however many records set it", () => {
    const overlay = new LeafOverlay();
    for (let v = 1; v <= 50; v++) {
      overlay.apply({
        version: v,
        at: 0,
        kind: "update",
        exists: true,
        patch: { reported: [{ kind: "set", path: ["watts"], value: v }] },
      });
    }
    const index = new IndexModel();
    overlay.writeTo(index, 1);
    expect(index.writes).toBe(1);
    expect([...index.rows]).toEqual([['reported\u0000["watts"]', 50]]);
  });
});
