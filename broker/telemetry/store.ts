import { join } from "node:path";
import Database from "better-sqlite3";
import type { TelemetrySample } from "../../shared/telemetry.ts";
import { type Bucket, foldPoints, HOUR_MS, MINUTE_MS, regroup } from "../../shared/telemetry-rollup.ts";
import { privateDataDir, privateDataFile } from "../store/database.ts";

export type TelemetryDb = Database.Database;

export interface SeriesRef {
  id: number;
  thing: string;
  metric: string;
}

export interface WriteItem {
  thing: string;
  samples: readonly TelemetrySample[];
}

/**
 * Telemetry's own SQLite file (DATA_DIR/telemetry.db), apart from umbra.db: its commits never queue
 * behind, or stall, shadow group commits. WAL with synchronous=NORMAL: a power loss may lose the last
 * few batches (not corrupt the file), an acceptable trade for measurements that arrive every few seconds;
 * shadows keep synchronous=FULL because an `accepted` reply promises durability.
 *
 * Tables: `series` (id per thing+metric), `raw` (rowid order = arrival order, which the rollup job
 * uses as its watermark), `rollup_1m`/`rollup_1h` (min/max/sum/count/last per bucket), `latest`.
 */
export class TelemetryStore {
  readonly db: TelemetryDb;
  readonly path: string;
  private readonly ids = new Map<string, number>();
  private readonly stmts;

  constructor(dataDir: string) {
    privateDataDir(dataDir);
    this.path = privateDataFile(join(dataDir, "telemetry.db"));
    this.db = new Database(this.path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    // 64 MB of page cache (SQLite's default is 2 MB): samples of thousands of series land on as many
    // index pages per batch, and re-reading them from the OS for every batch costs more than the memory.
    this.db.pragma("cache_size = -65536");
    this.db.exec(SCHEMA);
    const db = this.db;
    this.stmts = {
      seriesAll: db.prepare("SELECT id, thing, metric FROM series"),
      seriesInsert: db.prepare("INSERT INTO series (thing, metric) VALUES (?, ?)"),
      seriesOf: db.prepare("SELECT id, thing, metric FROM series WHERE thing = ? ORDER BY metric"),
      rawInsert: db.prepare("INSERT OR IGNORE INTO raw (series, ts, value) VALUES (?, ?, ?)"),
      latestUpsert: db.prepare(
        `INSERT INTO latest (series, ts, value) VALUES (?, ?, ?) ON CONFLICT (series)
         DO UPDATE SET ts = excluded.ts, value = excluded.value WHERE excluded.ts >= latest.ts`,
      ),
      latestAll: db.prepare(
        "SELECT s.thing, s.metric, l.ts, l.value FROM latest l JOIN series s ON s.id = l.series",
      ),
      metaGet: db.prepare("SELECT value FROM meta WHERE key = ?"),
      metaSet: db.prepare(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
      arrivals: db.prepare("SELECT id, series, ts, value FROM raw WHERE id > ? ORDER BY id LIMIT ?").raw(),
      minuteMerge: db.prepare(MERGE("rollup_1m")),
      hourMerge: db.prepare(MERGE("rollup_1h")),
      rawRange: db
        .prepare("SELECT ts, value FROM raw WHERE series = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?")
        .raw(),
      minuteRange: db.prepare(RANGE("rollup_1m")),
      hourRange: db.prepare(RANGE("rollup_1h")),
      seriesAfter: db.prepare("SELECT id FROM series WHERE id > ? ORDER BY id LIMIT ?").pluck(),
      pruneRaw: db.prepare("DELETE FROM raw WHERE series = ? AND ts < ? AND id <= ?"),
      pruneMinute: db.prepare("DELETE FROM rollup_1m WHERE series = ? AND start < ?"),
      pruneHour: db.prepare("DELETE FROM rollup_1h WHERE series = ? AND start < ?"),
    };
    this.loadSeriesIds();
  }

  /** The id of a series, created on first use. */
  seriesId(thing: string, metric: string): number {
    const k = key(thing, metric);
    let id = this.ids.get(k);
    if (id === undefined) {
      id = Number(this.stmts.seriesInsert.run(thing, metric).lastInsertRowid);
      this.ids.set(k, id);
    }
    return id;
  }

  /** Existing series id, without creating one. */
  findSeries(thing: string, metric: string): number | undefined {
    return this.ids.get(key(thing, metric));
  }

  seriesOf(thing: string): SeriesRef[] {
    return this.stmts.seriesOf.all(thing) as SeriesRef[];
  }

  /**
   * Writes one batch in one transaction: raw samples (a repeated series+timestamp, e.g. a QoS 1
   * redelivery, is kept once) and the latest value per series. Returns how many samples were new.
   */
  write(items: readonly WriteItem[]): number {
    try {
      return this.writeBatch(items);
    } catch (err) {
      // Series created in the failed transaction were rolled back: forget their ids.
      this.loadSeriesIds();
      throw err;
    }
  }

  private loadSeriesIds(): void {
    this.ids.clear();
    for (const s of this.stmts.seriesAll.all() as SeriesRef[]) this.ids.set(key(s.thing, s.metric), s.id);
  }

  private writeBatch(items: readonly WriteItem[]): number {
    return this.db.transaction(() => {
      let inserted = 0;
      const newest = new Map<number, { ts: number; value: number }>();
      for (const item of items) {
        for (const s of item.samples) {
          const id = this.seriesId(item.thing, s.metric);
          inserted += this.stmts.rawInsert.run(id, s.ts, s.value).changes;
          const cur = newest.get(id);
          if (!cur || s.ts >= cur.ts) newest.set(id, { ts: s.ts, value: s.value });
        }
      }
      for (const [id, v] of newest) this.stmts.latestUpsert.run(id, v.ts, v.value);
      return inserted;
    })();
  }

  /** Every stored latest value (loaded into memory at start). */
  latestAll(): { thing: string; metric: string; ts: number; value: number }[] {
    return this.stmts.latestAll.all() as { thing: string; metric: string; ts: number; value: number }[];
  }

  /** Rows of `raw` up to this rowid are rolled up. */
  watermark(): number {
    const row = this.stmts.metaGet.get("rollup_watermark") as { value: string } | undefined;
    return row ? Number(row.value) : 0;
  }

  /**
   * One bounded step of the rollup job: takes up to `maxRows` samples that arrived since the
   * watermark, folds them into partial minute and hour buckets and merges those into the stored
   * buckets (min/max/sum/count/last merge exactly, and a repeated sample never made a raw row, so
   * late and duplicate samples give exact buckets), then moves the watermark, in one transaction.
   * Returns the number of samples consumed (less than maxRows: caught up).
   */
  rollup(maxRows: number): number {
    return this.db.transaction(() => {
      const rows = this.stmts.arrivals.all(this.watermark(), maxRows) as [number, number, number, number][];
      if (rows.length === 0) return 0;
      const bySeries = new Map<number, [number, number][]>();
      for (const [, series, ts, value] of rows) {
        const list = bySeries.get(series);
        if (list) list.push([ts, value]);
        else bySeries.set(series, [[ts, value]]);
      }
      for (const [series, points] of bySeries) {
        const minutes = foldPoints(points, MINUTE_MS);
        for (const b of minutes) this.mergeBucket(this.stmts.minuteMerge, series, b);
        for (const b of regroup(minutes, HOUR_MS)) this.mergeBucket(this.stmts.hourMerge, series, b);
      }
      this.stmts.metaSet.run(
        "rollup_watermark",
        String((rows[rows.length - 1] as [number, number, number, number])[0]),
      );
      return rows.length;
    })();
  }

  private mergeBucket(stmt: Database.Statement, series: number, b: Bucket): void {
    stmt.run(series, b.start, b.min, b.max, b.sum, b.count, b.last, b.lastTs);
  }

  /** Raw points `[ts, value]` of a series in [from, to), oldest first, at most `limit`. */
  raw(series: number, from: number, to: number, limit: number): [number, number][] {
    return this.stmts.rawRange.all(series, from, to, limit) as [number, number][];
  }

  /** Stored buckets of a tier whose start lies in [from, to). */
  buckets(tier: "1m" | "1h", series: number, from: number, to: number): Bucket[] {
    const stmt = tier === "1m" ? this.stmts.minuteRange : this.stmts.hourRange;
    return stmt.all(series, from, to) as Bucket[];
  }

  /**
   * Deletes data older than each tier keeps, for series after `cursor` until `budgetMs` is spent.
   * Raw rows are only deleted once rolled up. Returns the cursor to continue from (0: pass finished).
   */
  prune(cutoffs: { raw: number; minute: number; hour: number }, cursor: number, budgetMs: number): number {
    const deadline = performance.now() + budgetMs;
    const mark = this.watermark();
    let last = cursor;
    while (performance.now() < deadline) {
      const ids = this.stmts.seriesAfter.all(last, 200) as number[];
      if (ids.length === 0) return 0;
      this.db.transaction(() => {
        for (const id of ids) {
          this.stmts.pruneRaw.run(id, cutoffs.raw, mark);
          this.stmts.pruneMinute.run(id, cutoffs.minute);
          this.stmts.pruneHour.run(id, cutoffs.hour);
        }
      })();
      last = ids[ids.length - 1] as number;
    }
    return last;
  }

  /** Bytes of the database's pages (the main file once checkpointed; the WAL, at most a few MB, is not counted). */
  sizeBytes(): number {
    const pages = this.db.pragma("page_count", { simple: true }) as number;
    const size = this.db.pragma("page_size", { simple: true }) as number;
    return pages * size;
  }

  close(): void {
    if (!this.db.open) return;
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    this.db.close();
  }
}

const key = (thing: string, metric: string) => `${thing}\u0000${metric}`;

/** Merges a partial bucket into a stored one (SET expressions read the row's old values). */
const MERGE = (table: string) =>
  `INSERT INTO ${table} AS b (series, start, min, max, sum, count, last, last_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (series, start) DO UPDATE SET min = min(b.min, excluded.min), max = max(b.max, excluded.max),
   sum = b.sum + excluded.sum, count = b.count + excluded.count,
   last = CASE WHEN excluded.last_ts >= b.last_ts THEN excluded.last ELSE b.last END,
   last_ts = max(b.last_ts, excluded.last_ts)`;

const RANGE = (table: string) =>
  `SELECT start, min, max, sum, count, last, last_ts AS lastTs FROM ${table}
   WHERE series = ? AND start >= ? AND start < ? ORDER BY start`;

const BUCKET_COLUMNS = `series INTEGER NOT NULL, start INTEGER NOT NULL, min REAL NOT NULL, max REAL NOT NULL,
  sum REAL NOT NULL, count INTEGER NOT NULL, last REAL NOT NULL, last_ts INTEGER NOT NULL,
  PRIMARY KEY (series, start)`;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY, thing TEXT NOT NULL, metric TEXT NOT NULL, UNIQUE (thing, metric)
  );
  -- AUTOINCREMENT: a rowid is never reused after retention deletes the newest row, so the rollup
  -- watermark (the last rowid rolled up) never skips a later arrival.
  CREATE TABLE IF NOT EXISTS raw (
    id INTEGER PRIMARY KEY AUTOINCREMENT, series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL
  );
  CREATE UNIQUE INDEX IF NOT EXISTS raw_by_series ON raw (series, ts);
  CREATE TABLE IF NOT EXISTS rollup_1m (${BUCKET_COLUMNS}) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS rollup_1h (${BUCKET_COLUMNS}) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS latest (series INTEGER PRIMARY KEY, ts INTEGER NOT NULL, value REAL NOT NULL);
`;
