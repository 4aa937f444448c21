import { type HistoryRecord, leafEffects, type Section } from "../../shared/history.ts";
import type { Db } from "../store/database.ts";

const SECTION: Record<Section, number> = { desired: 0, reported: 1 };

/**
 * Per leaf of each shadow, the version of the record that last wrote it: blame in one lookup per
 * leaf instead of a walk through the record. Kept in the commit's transaction with the records; a
 * deleted leaf (or shadow) takes its rows with it, so the table holds about the current leaves.
 * Paths are stored as their JSON array text, so `["a",` prefixes exactly the children of `["a"]`.
 */
export class LeafIndex {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      set: db.prepare(
        `INSERT INTO history_leaves (shadow, section, path, version) VALUES (?, ?, ?, ?)
         ON CONFLICT (shadow, section, path) DO UPDATE SET version = excluded.version`,
      ),
      clear: db.prepare(
        "DELETE FROM history_leaves WHERE shadow = ? AND section = ? AND (path = ? OR substr(path, 1, ?) = ?)",
      ),
      clearAll: db.prepare("DELETE FROM history_leaves WHERE shadow = ?"),
      get: db.prepare("SELECT version FROM history_leaves WHERE shadow = ? AND section = ? AND path = ?"),
    };
  }

  /** Applies one record (inside the commit's transaction). */
  apply(shadow: number, r: HistoryRecord): void {
    for (const e of leafEffects(r)) {
      if (e.op === "clearAll") {
        this.q.clearAll.run(shadow);
        continue;
      }
      const path = JSON.stringify(e.path);
      if (e.op === "set") {
        this.q.set.run(shadow, SECTION[e.section], path, r.version);
      } else {
        const children = `${path.slice(0, -1)},`;
        this.q.clear.run(shadow, SECTION[e.section], path, children.length, children);
      }
    }
  }

  /** The version that last wrote a leaf, if known. */
  version(shadow: number, section: Section, path: readonly string[]): number | undefined {
    const row = this.q.get.get(shadow, SECTION[section], JSON.stringify(path)) as
      | { version: number }
      | undefined;
    return row?.version;
  }
}
