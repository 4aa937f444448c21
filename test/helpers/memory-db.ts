import Database from "better-sqlite3";
import type { Db } from "../../broker/store/database.ts";
import { migrate } from "../../broker/store/migrations.ts";

/** An in-memory umbra.db with the node's whole schema (broker/store/migrations.ts), for unit tests. */
export function memoryDb(): Db {
  const db = new Database(":memory:");
  migrate(db);
  return db;
}
