import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { migrate } from "./migrations.ts";

export type Db = Database.Database;

/**
 * Opens (creating if needed) the node's SQLite store in `dataDir`. WAL with `synchronous=FULL`:
 * a transaction that returned is on disk, which is what an `accepted` reply promises. (The shadow
 * group commit runs its own transactions under NORMAL and fsyncs the WAL off the main thread before
 * answering: broker/shadow/wal-sync.ts.) Its schema is brought up to date on every open
 * (broker/store/migrations.ts).
 */
export function openDatabase(dataDir: string): Db {
  privateDataDir(dataDir);
  const db = new Database(privateDataFile(join(dataDir, "umbra.db")));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  immediateTransactions(db);
  migrate(db);
  return db;
}

/**
 * Every transaction of the node's connection starts IMMEDIATE: it takes the write lock at BEGIN,
 * waiting under busy_timeout. The shadow commit worker writes through its own connection
 * (broker/shadow/commit-thread.ts); a DEFERRED transaction that reads first and writes later would
 * fail at once with SQLITE_BUSY whenever the worker committed in between (its snapshot is stale, and
 * SQLite does not wait in that case).
 */
function immediateTransactions(db: Db): void {
  const make = db.transaction.bind(db);
  // Each variant carries the others as properties (.deferred, .immediate, …), as better-sqlite3 defines them.
  db.transaction = ((fn: (...args: unknown[]) => unknown) => make(fn).immediate) as Db["transaction"];
}

/**
 * Creates the data dir (and its parents) if needed and makes it 0700, whatever the umask: it holds
 * password hashes, token digests and every shadow. An existing dir is tightened too.
 */
export function privateDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
}

/**
 * Makes a SQLite database file 0600 before SQLite opens it, and its `-wal`/`-shm`/`-journal` files
 * if they exist: SQLite creates those with the mode of the database file, so they follow. Returns the path.
 */
export function privateDataFile(path: string): string {
  closeSync(openSync(path, "a", 0o600));
  for (const f of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`])
    if (existsSync(f)) chmodSync(f, 0o600);
  return path;
}

/**
 * One node per data dir. The node holds an exclusive SQLite lock on `node.lock` for its lifetime (the
 * OS releases it if the process dies), so a second node on the same directory fails at start, while
 * admin commands (`umbra device add`, …) can still open `umbra.db` next to a running node.
 */
export function lockDataDir(dataDir: string): { release(): void } {
  privateDataDir(dataDir);
  const lock = new Database(privateDataFile(join(dataDir, "node.lock")));
  try {
    lock.pragma("locking_mode = EXCLUSIVE");
    lock.pragma("journal_mode = MEMORY");
    lock.exec("CREATE TABLE IF NOT EXISTS node_lock (pid INTEGER); DELETE FROM node_lock;");
    lock.prepare("INSERT INTO node_lock (pid) VALUES (?)").run(process.pid);
  } catch (err) {
    lock.close();
    if ((err as { code?: string }).code?.startsWith("SQLITE_BUSY")) {
      throw new Error(`data dir ${dataDir} is in use by another Umbra node`);
    }
    throw err;
  }
  return { release: () => lock.close() };
}

/** Reads a node-wide value, creating it with `make()` the first time. */
export function nodeMetaValue(db: Db, key: string, make: () => string): string {
  const row = db.prepare("SELECT value FROM node_meta WHERE key = ?").get(key) as
    | { value: string }
    | undefined;
  if (row) return row.value;
  const value = make();
  db.prepare("INSERT INTO node_meta (key, value) VALUES (?, ?)").run(key, value);
  return value;
}
