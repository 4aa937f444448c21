import { rmSync } from "node:fs";
import { expect } from "vitest";
import { type ShadowEntry, ShadowStore, type ShadowStoreOptions } from "../../broker/shadow/shadow-store.ts";
import { type Db, openDatabase } from "../../broker/store/database.ts";
import type { JsonObject } from "../../shared/json.ts";
import type { ShadowAddress } from "../../shared/topics.ts";
import { tempDir } from "./node.ts";

/**
 * ShadowStore on real SQLite files in temp dirs, for the store's unit tests: stores opened here are
 * tracked so `closeAllStores()` (in afterEach) closes them and removes their dirs.
 */
export const ACTOR = "1".repeat(32);
const DEFAULTS: ShadowStoreOptions = { cacheSize: 100, compactAfterChunks: 64 };

const opened: { store: ShadowStore; db: Db }[] = [];
const dirs: string[] = [];

export function openStore(
  dir: string,
  options: Partial<ShadowStoreOptions> = {},
): { store: ShadowStore; db: Db } {
  const db = openDatabase(dir);
  const store = new ShadowStore(db, ACTOR, { ...DEFAULTS, ...options });
  const handle = { store, db };
  opened.push(handle);
  return handle;
}

export function freshStore(options: Partial<ShadowStoreOptions> = {}) {
  const dir = tempDir("umbra-store-");
  dirs.push(dir);
  return { dir, ...openStore(dir, options) };
}

export function closeStore(handle: { store: ShadowStore; db: Db }): void {
  const i = opened.indexOf(handle);
  if (i >= 0) opened.splice(i, 1);
  handle.store.close();
  handle.db.close();
}

export function closeAllStores(): void {
  for (const h of opened.splice(0)) {
    h.store.close();
    h.db.close();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export const addr = (thing: string, shadow = ""): ShadowAddress => ({ thing, shadow });

/** Stages and commits one update the way the service and group commit do. */
export function update(
  store: ShadowStore,
  a: ShadowAddress,
  edits: { desired?: JsonObject; reported?: JsonObject },
): ShadowEntry {
  const entry = store.open(a);
  expect(entry.doc.update(edits, 1_700_000_000)).toBe(true);
  store.stage(entry);
  store.commit([entry]);
  store.markCommitted([entry]);
  return entry;
}

export function remove(store: ShadowStore, a: ShadowAddress): void {
  const entry = store.open(a);
  entry.doc.delete(1_700_000_000);
  store.stage(entry);
  store.commit([entry]);
  store.markCommitted([entry]);
}

export function chunkSizes(db: Db, a: ShadowAddress): number[] {
  const rows = db
    .prepare("SELECT length(data) AS n FROM shadow_chunks WHERE thing = ? AND name = ? ORDER BY id")
    .all(a.thing, a.shadow);
  return (rows as { n: number }[]).map((r) => r.n);
}

export function shadowRow(db: Db, a: ShadowAddress) {
  return db
    .prepare(
      "SELECT length(snapshot) AS snap, version, deleted, chunk_count, chunk_bytes FROM shadows WHERE thing = ? AND name = ?",
    )
    .get(a.thing, a.shadow) as {
    snap: number;
    version: number;
    deleted: number;
    chunk_count: number;
    chunk_bytes: number;
  };
}
