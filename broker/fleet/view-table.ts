import type { FleetShadow } from "../../shared/query/index.ts";
import type { ShadowView } from "../../shared/shadow-document.ts";
import type { ShadowEntry, ShadowStore } from "../shadow/shadow-store.ts";
import type { Db } from "../store/database.ts";

/**
 * The plain views of all shadows, in table `fleet_views`, written in the same transaction as the
 * shadows themselves (ShadowStore.commitHooks): the fleet index is rebuilt from it at start without
 * loading an Automerge document.
 */
export class FleetViewTable {
  private readonly q;

  constructor(private readonly db: Db) {
    db.exec(`CREATE TABLE IF NOT EXISTS fleet_views (
      thing TEXT NOT NULL,
      name TEXT NOT NULL,
      view TEXT NOT NULL,
      PRIMARY KEY (thing, name)
    ) WITHOUT ROWID`);
    this.q = {
      put: db.prepare("INSERT OR REPLACE INTO fleet_views (thing, name, view) VALUES (?, ?, ?)"),
      drop: db.prepare("DELETE FROM fleet_views WHERE thing = ? AND name = ?"),
      all: db.prepare("SELECT thing, name, view FROM fleet_views"),
      missing: db.prepare(
        `SELECT s.thing, s.name FROM shadows s LEFT JOIN fleet_views v ON v.thing = s.thing AND v.name = s.name
         WHERE s.deleted = 0 AND v.thing IS NULL LIMIT ?`,
      ),
      countMissing: db.prepare(
        `SELECT count(*) AS n FROM shadows s LEFT JOIN fleet_views v ON v.thing = s.thing AND v.name = s.name
         WHERE s.deleted = 0 AND v.thing IS NULL`,
      ),
    };
  }

  /** Inside the commit's transaction. */
  write(entries: readonly ShadowEntry[]): void {
    for (const e of entries) {
      const v = e.doc.view;
      if (v.exists) this.q.put.run(e.addr.thing, e.addr.shadow, JSON.stringify(stored(v)));
      else this.q.drop.run(e.addr.thing, e.addr.shadow);
    }
  }

  *all(): Generator<{ thing: string; name: string; view: FleetShadow }> {
    for (const row of this.q.all.iterate() as Iterable<{ thing: string; name: string; view: string }>) {
      yield { thing: row.thing, name: row.name, view: JSON.parse(row.view) as FleetShadow };
    }
  }

  /**
   * Shadows that have no view yet (written before the fleet index existed, or by a tool that wrote the
   * store directly), at most `limit` per call: each is read from the store without caching it, its
   * view written and returned. Synchronous, so no commit can interleave between read and write.
   */
  backfill(
    store: ShadowStore,
    limit: number,
  ): { examined: number; views: { thing: string; name: string; view: FleetShadow }[] } {
    const rows = this.q.missing.all(limit) as { thing: string; name: string }[];
    const out: { thing: string; name: string; view: FleetShadow }[] = [];
    this.db.transaction(() => {
      for (const row of rows) {
        const v = store.readView({ thing: row.thing, shadow: row.name });
        if (!v.exists) continue;
        const view = stored(v);
        this.q.put.run(row.thing, row.name, JSON.stringify(view));
        out.push({ thing: row.thing, name: row.name, view });
      }
    })();
    return { examined: rows.length, views: out };
  }

  /** How many live shadows still lack a view. */
  missing(): number {
    return (this.q.countMissing.get() as { n: number }).n;
  }
}

function stored(v: ShadowView): FleetShadow {
  const out: FleetShadow = { version: v.version, desired: v.desired, reported: v.reported, meta: v.meta };
  return v.conflicts ? { ...out, conflicts: v.conflicts } : out;
}
