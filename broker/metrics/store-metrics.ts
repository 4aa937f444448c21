import { statSync } from "node:fs";
import { join } from "node:path";
import { Gauge, type Registry } from "prom-client";
import type { Db } from "../store/database.ts";

/** The files SQLite keeps for the node's database (the WAL can outgrow the main file between checkpoints). */
const DB_FILES = ["umbra.db", "umbra.db-wal", "umbra.db-shm"] as const;

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // the WAL and SHM files come and go with checkpoints and restarts
  }
}

/** Storage and presence: the SQLite files' sizes and how many things are connected, read on scrape. */
export function registerStoreMetrics(registry: Registry, db: Db, dataDir: string): void {
  new Gauge({
    name: "umbra_sqlite_bytes",
    help: "size of the node's SQLite files in the data dir, by file",
    labelNames: ["file"],
    registers: [registry],
    collect() {
      for (const file of DB_FILES) this.set({ file }, sizeOf(join(dataDir, file)));
    },
  });
  const count = db.prepare("SELECT connected, COUNT(*) AS n FROM presence GROUP BY connected");
  new Gauge({
    name: "umbra_presence_things",
    help: "things with a known presence, by state (connected or disconnected)",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      const rows = db.open ? (count.all() as { connected: number; n: number }[]) : [];
      const n = (c: number) => rows.find((r) => r.connected === c)?.n ?? 0;
      this.set({ state: "connected" }, n(1));
      this.set({ state: "disconnected" }, n(0));
    },
  });
}
