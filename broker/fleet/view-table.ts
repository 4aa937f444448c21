import type { FleetShadow } from "../../shared/query/index.ts";
import type { ShadowView } from "../../shared/shadow-document.ts";
import type { ShadowStore } from "../shadow/shadow-store.ts";
import { WalSync } from "../shadow/wal-sync.ts";
import type { Db } from "../store/database.ts";

export interface StoredView {
  thing: string;
  name: string;
  view: FleetShadow;
}

/**
 * The plain views of all shadows (table `fleet_views`), so the fleet index is rebuilt at start without
 * loading Automerge documents. Written behind the shadows (coalesced, `flush`), not in their
 * transaction: the in-memory index is what queries read, and it is updated at commit. A view whose
 * version differs from its shadow's row (a crash before the flush) is re-read at start (`stale`).
 */
export class FleetViewTable {
  private readonly q;

  /** Runs a transaction without an fsync of its own (WalSync.relaxedWrites). */
  private readonly relaxed: <T>(write: () => T) => T;

  constructor(private readonly db: Db) {
    this.relaxed = WalSync.relaxedWrites(db);
    this.q = {
      put: db.prepare("INSERT OR REPLACE INTO fleet_views (thing, name, version, view) VALUES (?, ?, ?, ?)"),
      drop: db.prepare("DELETE FROM fleet_views WHERE thing = ? AND name = ?"),
      all: db.prepare("SELECT thing, name, view FROM fleet_views"),
      stale: db.prepare(
        `SELECT s.thing, s.name FROM shadows s LEFT JOIN fleet_views v ON v.thing = s.thing AND v.name = s.name
         WHERE s.deleted = 0 AND (v.thing IS NULL OR v.version != s.version) LIMIT ?`,
      ),
      dropDeleted: db.prepare(
        `DELETE FROM fleet_views WHERE EXISTS
         (SELECT 1 FROM shadows s WHERE s.thing = fleet_views.thing AND s.name = fleet_views.name AND s.deleted = 1)`,
      ),
    };
  }

  /**
   * Writes views (undefined: the shadow was deleted) in one transaction, without an fsync of its own
   * (`synchronous=NORMAL` for it, WalSync.relaxed): a view lost in a power cut is re-read from its
   * shadow at start (`stale`), and the main thread does not wait for the disk once per flush slice.
   */
  flush(views: Iterable<{ thing: string; name: string; view: ShadowView }>): void {
    const write = this.db.transaction(() => {
      for (const { thing, name, view } of views) {
        if (view.exists) this.q.put.run(thing, name, view.version, JSON.stringify(stored(view)));
        else this.q.drop.run(thing, name);
      }
    });
    this.relaxed(write);
  }

  /** Every stored view, after dropping those of shadows deleted since they were written. */
  *all(): Generator<StoredView> {
    this.q.dropDeleted.run();
    for (const row of this.q.all.iterate() as Iterable<{ thing: string; name: string; view: string }>) {
      yield { thing: row.thing, name: row.name, view: JSON.parse(row.view) as FleetShadow };
    }
  }

  /**
   * Up to `limit` shadows whose view is missing or stale (written before the fleet index existed, by a
   * tool that wrote the store directly, or lost in a crash before a flush).
   */
  stale(limit: number): { thing: string; name: string }[] {
    return this.q.stale.all(limit) as { thing: string; name: string }[];
  }

  /**
   * Reads shadows from `rows` (taken from the front; see `stale`) from the store without caching
   * their documents, until `rows` is empty or `untilMs` (performance.now()) has passed, and writes
   * and returns their views. Synchronous, so no commit can interleave between a read and its write.
   */
  refresh(
    store: ShadowStore,
    rows: { thing: string; name: string }[],
    untilMs: number,
  ): { examined: number; views: StoredView[] } {
    const views: StoredView[] = [];
    let examined = 0;
    this.db.transaction(() => {
      while (rows.length > 0 && (examined === 0 || performance.now() < untilMs)) {
        const row = rows.shift() as { thing: string; name: string };
        examined++;
        const v = store.readView({ thing: row.thing, shadow: row.name });
        if (!v.exists) continue;
        const view = stored(v);
        this.q.put.run(row.thing, row.name, v.version, JSON.stringify(view));
        views.push({ thing: row.thing, name: row.name, view });
      }
    })();
    return { examined, views };
  }
}

function stored(v: ShadowView): FleetShadow {
  const out: FleetShadow = { version: v.version, desired: v.desired, reported: v.reported, meta: v.meta };
  return v.conflicts ? { ...out, conflicts: v.conflicts } : out;
}
