import type { Db } from "../store/database.ts";

/**
 * The outbox's tables in the node database, created idempotently. `AUTOINCREMENT` (not a plain rowid)
 * so a sequence number is never reused, even after every message was acknowledged and deleted; with
 * the per-database origin epoch this makes `(origin, seq)` unique forever.
 */
export function createOutboxTables(db: Db): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS relay_outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      topic TEXT NOT NULL,
      payload BLOB NOT NULL,
      qos INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      bytes INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS relay_outbox_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  `);
}

/** A value of `relay_outbox_state`, created with `init()` on first use. */
export function outboxStateValue(db: Db, key: string, init: () => string): string {
  const row = db.prepare("SELECT value FROM relay_outbox_state WHERE key = ?").get(key) as
    | { value: string }
    | undefined;
  if (row) return row.value;
  const value = init();
  db.prepare("INSERT INTO relay_outbox_state (key, value) VALUES (?, ?)").run(key, value);
  return value;
}

export function setOutboxState(db: Db, key: string, value: string): void {
  db.prepare(
    "INSERT INTO relay_outbox_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  ).run(key, value);
}
