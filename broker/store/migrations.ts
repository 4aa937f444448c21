import type Database from "better-sqlite3";

type Db = Database.Database;

/**
 * The schema of the node's umbra.db, as one ordered list of steps. `PRAGMA user_version` records the
 * last step applied; opening the store applies the steps above it, each in its own transaction, in
 * order. A change of schema is a new step at the end, never an edit of a step that has shipped.
 *
 * Stores written before this list (user_version 0) hold some subset of the tables and columns of
 * steps 1-10 (each capability created its own at start-up, and added its new columns when missing).
 * So steps 1-10 create with IF NOT EXISTS and add a column only where it is missing; steps after 10
 * run exactly once and need no such guard.
 * Separate files keep their own schema: telemetry.db (broker/telemetry/store.ts) and mqtt.db
 * (broker/mqtt/persistence/sqlite-persistence.ts).
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Db): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "shadows, their chunks, presence and the change record (docs/history.md)",
    up: (db) =>
      db.exec(`
        CREATE TABLE IF NOT EXISTS node_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS shadows (
          thing TEXT NOT NULL,
          name TEXT NOT NULL,
          snapshot BLOB NOT NULL,
          version INTEGER NOT NULL,
          deleted INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          chunk_count INTEGER NOT NULL DEFAULT 0,
          chunk_bytes INTEGER NOT NULL DEFAULT 0,
          meta TEXT NOT NULL DEFAULT '{}',
          PRIMARY KEY (thing, name)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS shadow_chunks (
          id INTEGER PRIMARY KEY,
          thing TEXT NOT NULL,
          name TEXT NOT NULL,
          data BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS shadow_chunks_by_shadow ON shadow_chunks (thing, name, id);
        CREATE TABLE IF NOT EXISTS presence (
          thing TEXT PRIMARY KEY,
          connected INTEGER NOT NULL,
          since INTEGER NOT NULL,
          site TEXT NOT NULL
        ) WITHOUT ROWID;
        -- history_shadows gives each shadow a small id (the records' key is a few bytes, not the name)
        -- and holds its counters and retention horizon; history_leaves holds, per current leaf, the
        -- version that last wrote it (blame).
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
      `),
  },
  {
    version: 2,
    name: "shadows.heads: the Automerge heads of each stored document (the site relay)",
    up: (db) => addColumnIfMissing(db, "shadows", "heads", "TEXT"),
  },
  {
    version: 3,
    name: "identities and their HTTP tokens",
    up: (db) =>
      db.exec(`
        CREATE TABLE IF NOT EXISTS identities (
          name TEXT PRIMARY KEY,
          role TEXT NOT NULL,
          things TEXT NOT NULL,
          password_hash TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          revoked_at INTEGER
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS tokens (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          role TEXT NOT NULL,
          things TEXT NOT NULL,
          secret_digest TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          revoked_at INTEGER
        ) WITHOUT ROWID;
      `),
  },
  {
    version: 4,
    name: "who created each shadow (the per-identity shadow quota)",
    up: (db) =>
      db.exec(`
        CREATE TABLE IF NOT EXISTS shadow_creators (
          thing TEXT NOT NULL,
          name TEXT NOT NULL,
          identity TEXT NOT NULL,
          PRIMARY KEY (thing, name)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS shadow_creators_by_identity ON shadow_creators (identity);
      `),
  },
  {
    version: 5,
    name: "the site relay: peer sync state, outbox (AUTOINCREMENT: a seq is never reused), dedup",
    up: (db) =>
      db.exec(`
        CREATE TABLE IF NOT EXISTS relay_known (
          peer TEXT NOT NULL, key TEXT NOT NULL, heads TEXT NOT NULL,
          PRIMARY KEY (peer, key)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS relay_dirty (
          peer TEXT NOT NULL, key TEXT NOT NULL, since INTEGER NOT NULL,
          PRIMARY KEY (peer, key)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS relay_outbox (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          topic TEXT NOT NULL,
          payload BLOB NOT NULL,
          qos INTEGER NOT NULL,
          ts INTEGER NOT NULL,
          bytes INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS relay_outbox_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS relay_dedup (origin TEXT PRIMARY KEY, contiguous INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS relay_dedup_above (
          origin TEXT NOT NULL,
          seq INTEGER NOT NULL,
          PRIMARY KEY (origin, seq)
        ) WITHOUT ROWID;
      `),
  },
  {
    version: 6,
    name: "the fleet: systems, thing attributes, per-system grants, stored views",
    up: (db) =>
      db.exec(`
        CREATE TABLE IF NOT EXISTS systems (
          name TEXT PRIMARY KEY, spec TEXT NOT NULL, version INTEGER NOT NULL, updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS thing_attributes (
          thing TEXT PRIMARY KEY,
          attributes TEXT NOT NULL,
          version INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS fleet_system_grants (
          identity TEXT NOT NULL,
          system TEXT NOT NULL,
          PRIMARY KEY (identity, system)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS fleet_views (
          thing TEXT NOT NULL,
          name TEXT NOT NULL,
          version INTEGER NOT NULL,
          view TEXT NOT NULL,
          PRIMARY KEY (thing, name)
        ) WITHOUT ROWID;
      `),
  },
  {
    version: 7,
    name: "alarms and their events",
    up: (db) =>
      db.exec(`
        CREATE TABLE IF NOT EXISTS alarms (id TEXT PRIMARY KEY, site TEXT NOT NULL, record TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS alarm_events (
          seq INTEGER PRIMARY KEY, id TEXT NOT NULL, kind TEXT NOT NULL, ts INTEGER NOT NULL, by TEXT
        );
        CREATE INDEX IF NOT EXISTS alarm_events_ts ON alarm_events (ts);
      `),
  },
  {
    version: 8,
    name: "jobs, their per-thing rows, maintenance claims",
    up: (db) =>
      db.exec(`
        CREATE TABLE IF NOT EXISTS jobs (
          id TEXT PRIMARY KEY, spec TEXT NOT NULL, state TEXT NOT NULL, creator TEXT NOT NULL,
          created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, cursor TEXT NOT NULL, reason TEXT
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS job_things (
          job_id TEXT NOT NULL, seq INTEGER NOT NULL, thing TEXT NOT NULL, status TEXT NOT NULL,
          reason TEXT, written INTEGER NOT NULL DEFAULT 0, started_at INTEGER, deadline INTEGER,
          finished_at INTEGER, PRIMARY KEY (job_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS claims (
          id TEXT PRIMARY KEY, owner TEXT NOT NULL, reason TEXT NOT NULL, things TEXT NOT NULL,
          systems TEXT NOT NULL, starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL,
          created_at INTEGER NOT NULL, released_at INTEGER
        ) WITHOUT ROWID;
      `),
  },
  {
    version: 9,
    name: "password rotation: when a password was set, the previous one and its grace; the audit record",
    up: (db) => {
      addColumnIfMissing(db, "identities", "password_set_at", "INTEGER");
      addColumnIfMissing(db, "identities", "previous_hash", "TEXT");
      addColumnIfMissing(db, "identities", "previous_until", "INTEGER");
      db.exec(`
        CREATE TABLE IF NOT EXISTS identity_events (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          at INTEGER NOT NULL,
          name TEXT NOT NULL,
          action TEXT NOT NULL,
          until INTEGER,
          detail TEXT
        );
      `);
    },
  },
  {
    version: 10,
    name: "thing_attributes.origins: who stated each attribute (device, bridge, operator)",
    up: (db) => addColumnIfMissing(db, "thing_attributes", "origins", "TEXT NOT NULL DEFAULT '{}'"),
  },
  {
    version: 11,
    name: "shadows.deferred: updates the Automerge document does not hold yet (docs/shadow-engine.md)",
    up: (db) => addColumnIfMissing(db, "shadows", "deferred", "TEXT"),
  },
  {
    version: 12,
    name: "history_log: change records appended in commit order, settled into history_records later (docs/history.md)",
    up: (db) =>
      db.exec(`
        CREATE TABLE IF NOT EXISTS history_log (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
          patch TEXT NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS history_log_by_shadow ON history_log (shadow, version);
        -- Where settling stands: 0 filling; 1 settling the rows below end_seq from the cursor on; 2
        -- dropping them (settled). Written in the commit that moves it, so a rollback or a crash
        -- resumes exactly.
        CREATE TABLE IF NOT EXISTS history_settle (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          phase INTEGER NOT NULL,
          end_seq INTEGER NOT NULL,
          cursor_shadow INTEGER NOT NULL,
          cursor_version INTEGER NOT NULL
        );
        INSERT OR IGNORE INTO history_settle (id, phase, end_seq, cursor_shadow, cursor_version) VALUES (1, 0, 0, -1, 0);
      `),
  },
  {
    version: 13,
    name: "identity_generation: moved by every write to identities or tokens, so a running node tells an admin command's change from the commits of its own other connections",
    up: (db) => {
      db.exec(`
        CREATE TABLE identity_generation (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
        INSERT INTO identity_generation (id, n) VALUES (1, 0);
      `);
      for (const table of ["identities", "tokens"])
        for (const event of ["INSERT", "UPDATE", "DELETE"])
          db.exec(`CREATE TRIGGER ${table}_written_${event.toLowerCase()} AFTER ${event} ON ${table}
            BEGIN UPDATE identity_generation SET n = n + 1 WHERE id = 1; END;`);
    },
  },
];

/** The schema version this code writes: the last step of the list. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/**
 * Brings `db` to the last version of `migrations`: applies, in order, every step above the store's,
 * each in one write-locked transaction that re-reads user_version first (an admin command and a
 * running node may open the store at the same moment: the second waits, then finds the step done).
 * A store written by a newer Umbra is refused (its tables may mean something this code does not
 * know). Returns the version the store had.
 */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number {
  const version = () => db.pragma("user_version", { simple: true }) as number;
  const from = version();
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (from > latest) {
    throw new Error(`data dir was written by a newer Umbra (schema ${from} > ${latest}); upgrade Umbra`);
  }
  for (const step of migrations) {
    if (step.version <= from) continue;
    db.transaction(() => {
      if (version() >= step.version) return;
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
    }).immediate();
  }
  return from;
}

/** SQLite has no ADD COLUMN IF NOT EXISTS; a store from before the list may have the column already. */
function addColumnIfMissing(db: Db, table: string, column: string, type: string): void {
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
  if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
}
