import type { Db } from "../store/database.ts";

/**
 * The tables of identities, bearer tokens and the audit record of rotations (`identity_events`: who,
 * what, when, until when the old secret works; never a secret). `password_set_at`, `previous_hash` and `previous_until`
 * came with password rotation (password-window.ts); stores made before get them added here (SQLite has
 * no ADD COLUMN IF NOT EXISTS). An admin command and a running node may open the store at the same
 * moment, so the check and the additions run in one immediate (write-locked) transaction.
 */
export function createIdentityTables(db: Db): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS identities (
      name TEXT PRIMARY KEY,
      role TEXT NOT NULL,
      things TEXT NOT NULL,
      password_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      revoked_at INTEGER,
      password_set_at INTEGER,
      previous_hash TEXT,
      previous_until INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS identity_events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      name TEXT NOT NULL,
      action TEXT NOT NULL,
      until INTEGER,
      detail TEXT
    );
    CREATE TABLE IF NOT EXISTS tokens (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      role TEXT NOT NULL,
      things TEXT NOT NULL,
      secret_digest TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      revoked_at INTEGER
    ) WITHOUT ROWID;
  `);
  const added: [string, string][] = [
    ["password_set_at", "INTEGER"],
    ["previous_hash", "TEXT"],
    ["previous_until", "INTEGER"],
  ];
  const missing = () => {
    const have = new Set(
      (db.prepare("PRAGMA table_info(identities)").all() as { name: string }[]).map((c) => c.name),
    );
    return added.filter(([name]) => !have.has(name));
  };
  if (missing().length === 0) return;
  db.transaction(() => {
    for (const [name, type] of missing()) db.exec(`ALTER TABLE identities ADD COLUMN ${name} ${type}`);
  }).immediate();
}
