import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../broker/store/database.ts";
import { MIGRATIONS, migrate, SCHEMA_VERSION } from "../../broker/store/migrations.ts";
import { tempDir } from "../helpers/node.ts";

/** Every table and index of the node's umbra.db, as the capabilities use them. */
const TABLES = [
  "node_meta",
  "shadows",
  "shadow_chunks",
  "presence",
  "history_shadows",
  "history_records",
  "history_leaves",
  "history_checkpoints",
  "history_log",
  "history_settle",
  "identities",
  "identity_events",
  "identity_generation",
  "tokens",
  "shadow_creators",
  "relay_known",
  "relay_dirty",
  "relay_outbox",
  "relay_outbox_state",
  "relay_dedup",
  "relay_dedup_above",
  "systems",
  "thing_attributes",
  "fleet_system_grants",
  "fleet_views",
  "alarms",
  "alarm_events",
  "jobs",
  "job_things",
  "claims",
];
/** The columns that came after their table (sorted, each once). */
const COLUMNS = {
  shadows: [
    "chunk_bytes",
    "chunk_count",
    "deferred",
    "deleted",
    "heads",
    "meta",
    "name",
    "snapshot",
    "thing",
    "updated_at",
    "version",
  ],
  identities: [
    "created_at",
    "name",
    "password_hash",
    "password_set_at",
    "previous_hash",
    "previous_until",
    "revoked_at",
    "role",
    "things",
  ],
  thing_attributes: ["attributes", "origins", "thing", "updated_at", "version"],
};
const INDEXES = [
  "shadow_chunks_by_shadow",
  "shadow_creators_by_identity",
  "alarm_events_ts",
  "history_log_by_shadow",
];

/**
 * A store as the code before the migration list left it (user_version 0): the core tables that
 * openDatabase created, a `schema_version` row, and the identity tables that IdentityStore created on
 * its first use. `early`: from before the relay and password rotation (no `shadows.heads`, no rotation
 * columns). Otherwise as the last code path left it: those columns added by the stores that needed
 * them, the audit table, and `thing_attributes` with `origins`.
 */
function oldStore(path: string, early: boolean): void {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec(`
    CREATE TABLE IF NOT EXISTS node_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS shadows (
      thing TEXT NOT NULL, name TEXT NOT NULL, snapshot BLOB NOT NULL, version INTEGER NOT NULL,
      deleted INTEGER NOT NULL, updated_at INTEGER NOT NULL, chunk_count INTEGER NOT NULL DEFAULT 0,
      chunk_bytes INTEGER NOT NULL DEFAULT 0, meta TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (thing, name)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS shadow_chunks (
      id INTEGER PRIMARY KEY, thing TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS shadow_chunks_by_shadow ON shadow_chunks (thing, name, id);
    CREATE TABLE IF NOT EXISTS presence (
      thing TEXT PRIMARY KEY, connected INTEGER NOT NULL, since INTEGER NOT NULL, site TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS history_shadows (
      id INTEGER PRIMARY KEY, thing TEXT NOT NULL, name TEXT NOT NULL, appended INTEGER NOT NULL,
      since_checkpoint INTEGER NOT NULL, horizon INTEGER NOT NULL, pruned INTEGER NOT NULL DEFAULT 0,
      UNIQUE (thing, name)
    );
    CREATE TABLE IF NOT EXISTS history_records (
      shadow INTEGER NOT NULL, version INTEGER NOT NULL, at INTEGER NOT NULL, kind INTEGER NOT NULL,
      flags INTEGER NOT NULL, site TEXT, via TEXT, who TEXT, role TEXT, token TEXT, patch TEXT NOT NULL,
      PRIMARY KEY (shadow, version)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS history_leaves (
      shadow INTEGER NOT NULL, section INTEGER NOT NULL, path TEXT NOT NULL, version INTEGER NOT NULL,
      PRIMARY KEY (shadow, section, path)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS history_checkpoints (
      shadow INTEGER NOT NULL, version INTEGER NOT NULL, at INTEGER NOT NULL, ordinal INTEGER NOT NULL,
      state TEXT NOT NULL, PRIMARY KEY (shadow, version)
    ) WITHOUT ROWID;
    INSERT INTO node_meta (key, value) VALUES ('schema_version', '1');
    CREATE TABLE IF NOT EXISTS identities (
      name TEXT PRIMARY KEY, role TEXT NOT NULL, things TEXT NOT NULL, password_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL, revoked_at INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS tokens (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, things TEXT NOT NULL,
      secret_digest TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER
    ) WITHOUT ROWID;
    INSERT INTO shadows (thing, name, snapshot, version, deleted, updated_at) VALUES ('pdu-1', '', x'00', 7, 0, 1);
    INSERT INTO identities (name, role, things, password_hash, created_at) VALUES ('ops', 'operator', '*', 'h', 1);
  `);
  if (!early)
    db.exec(`
      ALTER TABLE shadows ADD COLUMN heads TEXT;
      ALTER TABLE identities ADD COLUMN password_set_at INTEGER;
      ALTER TABLE identities ADD COLUMN previous_hash TEXT;
      ALTER TABLE identities ADD COLUMN previous_until INTEGER;
      CREATE TABLE identity_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, name TEXT NOT NULL,
        action TEXT NOT NULL, until INTEGER, detail TEXT
      );
      CREATE TABLE thing_attributes (
        thing TEXT PRIMARY KEY, attributes TEXT NOT NULL, version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL, origins TEXT NOT NULL DEFAULT '{}'
      ) WITHOUT ROWID;
    `);
  expect(db.pragma("user_version", { simple: true })).toBe(0);
  db.close();
}

function schemaOf(db: Database.Database) {
  const names = (type: string) =>
    (db.prepare("SELECT name FROM sqlite_master WHERE type = ?").pluck().all(type) as string[]).filter(
      (n) => !n.startsWith("sqlite_"),
    );
  return {
    version: db.pragma("user_version", { simple: true }) as number,
    tables: names("table"),
    indexes: names("index"),
    columns: Object.fromEntries(
      ["shadows", "identities", "thing_attributes"].map((t) => [
        t,
        (db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => c.name).sort(),
      ]),
    ),
  };
}

const dirs: string[] = [];
const dir = () => {
  const d = tempDir("umbra-migrate-");
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the ordered migration list of umbra.db", () => {
  it("numbers its steps 1, 2, 3… in order", () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it("gives a fresh store every table, index and column, at the latest version", () => {
    const db = openDatabase(dir());
    const s = schemaOf(db);
    db.close();
    expect(s.version).toBe(SCHEMA_VERSION);
    expect([...s.tables].sort()).toEqual([...TABLES].sort());
    expect([...s.indexes].sort()).toEqual([...INDEXES].sort());
    expect(s.columns).toEqual(COLUMNS);
  });

  for (const early of [true, false]) {
    it(`upgrades a store the old code wrote (${early ? "before the relay and rotation" : "as last left"}), keeping its rows`, () => {
      const d = dir();
      oldStore(join(d, "umbra.db"), early);
      const db = openDatabase(d);
      const s = schemaOf(db);
      expect(s.version).toBe(SCHEMA_VERSION);
      expect([...s.tables].sort()).toEqual([...TABLES].sort());
      expect([...s.indexes].sort()).toEqual([...INDEXES].sort());
      expect(s.columns).toEqual(COLUMNS);
      expect(db.prepare("SELECT thing, version, heads FROM shadows").all()).toEqual([
        { thing: "pdu-1", version: 7, heads: null },
      ]);
      expect(db.prepare("SELECT name FROM identities").pluck().all()).toEqual(["ops"]);
      db.close();
      // Opening again applies nothing and changes nothing.
      const again = openDatabase(d);
      expect(schemaOf(again)).toEqual(s);
      again.close();
    });
  }

  it("refuses a store written by a newer Umbra", () => {
    const d = dir();
    openDatabase(d).close();
    const db = new Database(join(d, "umbra.db"));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openDatabase(d)).toThrow(/newer Umbra/);
  });

  it("applies a later step exactly once, and not at all when it fails", () => {
    const db = new Database(":memory:");
    migrate(db);
    let runs = 0;
    const next = {
      version: SCHEMA_VERSION + 1,
      name: "a later step",
      up: (d: Database.Database) => {
        runs++;
        d.exec("ALTER TABLE presence ADD COLUMN extra TEXT");
      },
    };
    expect(migrate(db, [...MIGRATIONS, next])).toBe(SCHEMA_VERSION);
    expect(migrate(db, [...MIGRATIONS, next])).toBe(SCHEMA_VERSION + 1);
    expect(runs).toBe(1);
    const broken = {
      version: SCHEMA_VERSION + 2,
      name: "a step that fails half-way",
      up: (d: Database.Database) => {
        d.exec("CREATE TABLE half (x INTEGER)");
        throw new Error("disk on fire");
      },
    };
    expect(() => migrate(db, [...MIGRATIONS, next, broken])).toThrow(/disk on fire/);
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION + 1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    db.close();
  });
});
