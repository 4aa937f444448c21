import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { IdentityError, IdentityStore } from "../auth/identity-store.ts";
import { loadConfig } from "../config-load.ts";
import { openDatabase } from "../store/database.ts";

/** What the identity commands (`umbra device|user|token …`) share: the store of a data dir, output. */
export interface StoreOpts {
  dataDir?: string;
  json?: boolean;
  /** Create the store when the data dir has none (provisioning before the node's first start). */
  init?: boolean;
}

/**
 * Opens the identity store of a data dir (the node may be running: SQLite WAL allows it). A data dir
 * without a store is refused unless `--init` says to create one: an identity added to a store no node
 * reads would print working-looking credentials that fail later with "bad user name or password".
 */
export function withStore<T>(opts: StoreOpts, fn: (store: IdentityStore) => T): T {
  const dataDir = loadConfig({ env: process.env, flags: { dataDir: opts.dataDir } }).dataDir;
  if (!opts.init && !existsSync(join(dataDir, "umbra.db"))) {
    fail(
      `no Umbra node data in ${resolve(dataDir)} (no umbra.db there): run this in the node's directory, pass --data-dir or UMBRA_DATA_DIR, or add --init to create a new store for a node that has not started yet`,
    );
  }
  const db = openDatabase(dataDir);
  try {
    return fn(new IdentityStore(db));
  } catch (err) {
    if (err instanceof IdentityError)
      fail(err.message, err.code === "no_identity" || err.code === "no_token" ? 1 : 2);
    throw err;
  } finally {
    db.close();
  }
}

export function fail(message: string, code = 2): never {
  process.stderr.write(`umbra: ${message}\n`);
  process.exit(code);
}

export function print(opts: StoreOpts, json: unknown, text: string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
}

export const dataDirOption = [
  "--data-dir <dir>",
  "the node's data dir (default ./data, env UMBRA_DATA_DIR)",
] as const;
export const initOption = [
  "--init",
  "create the store if the data dir has none (before the node's first start)",
] as const;
