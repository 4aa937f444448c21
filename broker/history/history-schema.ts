import type { Db } from "../store/database.ts";

/**
 * Tables of the change record (docs/history.md), created with the node's schema. `history_shadows`
 * gives each shadow a small id (so the records' key is a few bytes, not the thing name) and holds its
 * counters and retention horizon; records and checkpoints are keyed (shadow id, version);
 * `history_leaves` holds, per current leaf, the version that last wrote it (blame).
 */
export function createHistoryTables(db: Db): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS history_shadows (
      id INTEGER PRIMARY KEY,
      thing TEXT NOT NULL,
      name TEXT NOT NULL,
      appended INTEGER NOT NULL,
      since_checkpoint INTEGER NOT NULL,
      horizon INTEGER NOT NULL,
      pruned INTEGER NOT NULL DEFAULT 0,
      UNIQUE (thing, name)
    );
    CREATE TABLE IF NOT EXISTS history_records (
      shadow INTEGER NOT NULL,
      version INTEGER NOT NULL,
      at INTEGER NOT NULL,
      kind INTEGER NOT NULL,
      flags INTEGER NOT NULL,
      site TEXT,
      via TEXT,
      who TEXT,
      role TEXT,
      token TEXT,
      patch TEXT NOT NULL,
      PRIMARY KEY (shadow, version)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS history_leaves (
      shadow INTEGER NOT NULL,
      section INTEGER NOT NULL,
      path TEXT NOT NULL,
      version INTEGER NOT NULL,
      PRIMARY KEY (shadow, section, path)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS history_checkpoints (
      shadow INTEGER NOT NULL,
      version INTEGER NOT NULL,
      at INTEGER NOT NULL,
      ordinal INTEGER NOT NULL,
      state TEXT NOT NULL,
      PRIMARY KEY (shadow, version)
    ) WITHOUT ROWID;
  `);
}
