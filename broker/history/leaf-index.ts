import type { Section } from "../../shared/history.ts";
import type { Db } from "../store/database.ts";
import type { LeafIndexWrites } from "./leaf-overlay.ts";

const SECTION: Record<Section, number> = { desired: 0, reported: 1 };

/**
 * Per leaf of each shadow, the version of the record that last wrote it: blame in one lookup per
 * leaf instead of a walk through the record. Written when records settle from the log into
 * `history_records` (a LeafOverlay per shadow, same transaction); a deleted leaf (or shadow) takes its
 * rows with it, so the table holds about the current leaves. Paths are stored as their JSON array
 * text, so `["a",` prefixes exactly the children of `["a"]`.
 */
export class LeafIndex implements LeafIndexWrites {
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

  clearAll(shadow: number): void {
    this.q.clearAll.run(shadow);
  }

  /** Removes a leaf and everything under it. */
  clear(shadow: number, section: Section, path: readonly string[]): void {
    const text = JSON.stringify(path);
    const children = `${text.slice(0, -1)},`;
    this.q.clear.run(shadow, SECTION[section], text, children.length, children);
  }

  set(shadow: number, section: Section, path: readonly string[], version: number): void {
    this.q.set.run(shadow, SECTION[section], JSON.stringify(path), version);
  }

  /** The version that last wrote a leaf, as stored (without the records still in the log). */
  version(shadow: number, section: Section, path: readonly string[]): number | undefined {
    const row = this.q.get.get(shadow, SECTION[section], JSON.stringify(path)) as
      | { version: number }
      | undefined;
    return row?.version;
  }
}
