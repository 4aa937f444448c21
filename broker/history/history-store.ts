import type { Statement } from "better-sqlite3";
import type { HistoryRecord, HistoryState, Section } from "../../shared/history.ts";
import type { ShadowAddress } from "../../shared/topics.ts";
import type { JournalSink, ShadowEntry, StagedJournal } from "../shadow/shadow-store.ts";
import type { Db } from "../store/database.ts";
import { decodeRow, RECORD_COLS, type RecordRow } from "./history-row.ts";
import type { SettleProgress } from "./history-settler.ts";
import { HistoryWriter, type HistoryWriterOptions } from "./history-writer.ts";
import { LeafIndex } from "./leaf-index.ts";
import { LeafOverlay } from "./leaf-overlay.ts";

/** A shadow's row in `history_shadows`. */
export interface HistoryShadow {
  id: number;
  /** How many records were ever appended (the newest record's ordinal). */
  appended: number;
  /** The oldest version of the contiguous, reconstructable part (always a checkpoint). */
  horizon: number;
  /** Whether retention has ever moved the horizon. */
  pruned: boolean;
}

export interface CheckpointRow {
  version: number;
  at: number;
  ordinal: number;
}

/** A statement over the log and the same over history_records (read in that order: see `both`). */
interface Pair {
  log: Statement;
  records: Statement;
}

/**
 * The change record in SQLite (docs/history.md). `append` runs inside the shadow commit's transaction
 * (it is the store's JournalSink), so a record is on disk exactly when its change is: in the log, which
 * later commits settle into `history_records`. Reads are indexed range scans on (shadow id, version)
 * over both tables, merged.
 */
export class HistoryStore implements JournalSink {
  private readonly q;
  private readonly pairs;
  /** Per leaf, the version that last wrote it (blame), as settled. */
  readonly leaves: LeafIndex;

  private readonly writer: HistoryWriter;
  /** What the commit worker needs to write the same records on its own connection. */
  readonly writerOptions: HistoryWriterOptions;

  constructor(
    private readonly db: Db,
    site: string,
    /** A checkpoint every this many records (and on a shadow's first record). */
    readonly checkpointEvery: number,
    /** Rows the log keeps before commits settle some (tests set 0 or a small number). */
    logTarget?: number,
  ) {
    this.leaves = new LeafIndex(db);
    this.writerOptions =
      logTarget === undefined ? { site, checkpointEvery } : { site, checkpointEvery, logTarget };
    this.writer = new HistoryWriter(db, this.writerOptions);
    const pair = (sql: string): Pair => ({
      log: db.prepare(sql.replace("{T}", "history_log")),
      records: db.prepare(sql.replace("{T}", "history_records")),
    });
    const cols = RECORD_COLS;
    this.pairs = {
      one: pair(`SELECT ${cols} FROM {T} WHERE shadow = ? AND version = ?`),
      latest: pair(`SELECT ${cols} FROM {T} WHERE shadow = ? ORDER BY version DESC LIMIT 1`),
      pageDesc: pair(
        `SELECT ${cols} FROM {T} WHERE shadow = ? AND version BETWEEN ? AND ? AND at BETWEEN ? AND ?
         AND (version >= ? OR flags & 1) ORDER BY version DESC LIMIT ?`,
      ),
      pageAsc: pair(
        `SELECT ${cols} FROM {T} WHERE shadow = ? AND version BETWEEN ? AND ? AND at BETWEEN ? AND ?
         AND (version >= ? OR flags & 1) ORDER BY version LIMIT ?`,
      ),
      range: pair(
        `SELECT ${cols} FROM {T} WHERE shadow = ? AND version > ? AND version <= ? ORDER BY version`,
      ),
      lastAtTime: pair(
        `SELECT ${cols} FROM {T} WHERE shadow = ? AND version >= ? AND version < ? AND at <= ?
         ORDER BY version DESC LIMIT 1`,
      ),
    };
    this.q = {
      shadow: db.prepare(
        "SELECT id, appended, horizon, pruned FROM history_shadows WHERE thing = ? AND name = ?",
      ),
      checkpointAtOrBefore: db.prepare(
        "SELECT version, state FROM history_checkpoints WHERE shadow = ? AND version <= ? ORDER BY version DESC LIMIT 1",
      ),
      checkpointAtTime: db.prepare(
        "SELECT version FROM history_checkpoints WHERE shadow = ? AND at <= ? ORDER BY version DESC LIMIT 1",
      ),
      checkpointAfter: db.prepare(
        "SELECT version FROM history_checkpoints WHERE shadow = ? AND version > ? ORDER BY version LIMIT 1",
      ),
      checkpointOf: db.prepare("SELECT at FROM history_checkpoints WHERE shadow = ? AND version = ?"),
      checkpoints: db.prepare(
        "SELECT version, at, ordinal FROM history_checkpoints WHERE shadow = ? ORDER BY version",
      ),
    };
  }

  /** Writes the records staged on `entry`; called by ShadowStore.commit inside its transaction. */
  append(entry: Pick<ShadowEntry, "addr">, journal: StagedJournal): void {
    this.writer.append(entry.addr, journal);
  }

  /** One settling step inside the caller's transaction: an inline commit's, after its records. */
  settle(maxRows?: number): SettleProgress {
    return this.writer.settle(maxRows);
  }

  /** Settles the whole log into history_records and the leaf index now (tests, benches). */
  settleAll(): number {
    return this.db.transaction(() => this.writer.settleAll()).immediate();
  }

  /**
   * Runs a query over the log, then over history_records, and merges the rows by version (sorted as
   * `order` says, at most `limit`). A version both hold is the log's (written later). The log is read
   * first: a record that settles between the two reads is then seen twice (once kept), never missed.
   */
  private both(
    pair: Pair,
    params: unknown[],
    order: "asc" | "desc",
    limit = Number.MAX_SAFE_INTEGER,
  ): RecordRow[] {
    const fromLog = pair.log.all(...params) as RecordRow[];
    const settled = pair.records.all(...params) as RecordRow[];
    if (fromLog.length === 0) return settled;
    const byVersion = new Map<number, RecordRow>();
    for (const row of settled) byVersion.set(row.version, row);
    for (const row of fromLog) byVersion.set(row.version, row);
    const rows = [...byVersion.values()];
    rows.sort(order === "asc" ? (a, b) => a.version - b.version : (a, b) => b.version - a.version);
    return rows.length > limit ? rows.slice(0, limit) : rows;
  }

  shadow(addr: ShadowAddress): HistoryShadow | undefined {
    const row = this.q.shadow.get(addr.thing, addr.shadow) as
      | { id: number; appended: number; horizon: number; pruned: number }
      | undefined;
    return row && { id: row.id, appended: row.appended, horizon: row.horizon, pruned: row.pruned !== 0 };
  }

  latest(id: number): HistoryRecord | undefined {
    const row = this.both(this.pairs.latest, [id], "desc", 1)[0];
    return row && decodeRow(row);
  }

  /** Visible records (the contiguous part, and the desired tail below it) within version and time bounds. */
  page(
    s: HistoryShadow,
    bounds: { lo: number; hi: number; atLo: number; atHi: number },
    order: "asc" | "desc",
    limit: number,
  ): HistoryRecord[] {
    const pair = order === "asc" ? this.pairs.pageAsc : this.pairs.pageDesc;
    const params = [s.id, bounds.lo, bounds.hi, bounds.atLo, bounds.atHi, s.horizon, limit];
    return this.both(pair, params, order, limit).map(decodeRow);
  }

  /** The record at exactly `version`, if it is still kept. */
  record(id: number, version: number): HistoryRecord | undefined {
    const row = (this.pairs.one.log.get(id, version) ?? this.pairs.one.records.get(id, version)) as
      | RecordRow
      | undefined;
    return row && decodeRow(row);
  }

  /** Records with after < version <= upto, oldest first. */
  range(id: number, after: number, upto: number): HistoryRecord[] {
    return this.both(this.pairs.range, [id, after, upto], "asc").map(decodeRow);
  }

  /**
   * Per leaf, the version of the record that last wrote it (undefined: none known): the leaf index as
   * settled, overlaid with the shadow's records still in the log.
   */
  leafVersions(
    id: number,
    leaves: readonly { section: Section; path: readonly string[] }[],
  ): (number | undefined)[] {
    const overlay = new LeafOverlay();
    const inLog = this.pairs.range.log.all(id, -1, Number.MAX_SAFE_INTEGER) as RecordRow[];
    for (const row of inLog) overlay.apply(decodeRow(row));
    return leaves.map(({ section, path }) => {
      const v = overlay.version(section, path);
      return v === undefined ? this.leaves.version(id, section, path) : (v ?? undefined);
    });
  }

  checkpointAtOrBefore(id: number, version: number): HistoryState | undefined {
    const row = this.q.checkpointAtOrBefore.get(id, version) as
      | { version: number; state: string }
      | undefined;
    return row && (JSON.parse(row.state) as HistoryState);
  }

  /** Epoch ms of the checkpoint at `version` (the horizon's), if there is one. */
  checkpointTime(id: number, version: number): number | undefined {
    return (this.q.checkpointOf.get(id, version) as { at: number } | undefined)?.at;
  }

  /** The newest record version with time <= `time` at or after the horizon (a bounded scan: one segment). */
  versionAtTime(s: HistoryShadow, time: number): number | undefined {
    const cp = this.q.checkpointAtTime.get(s.id, time) as { version: number } | undefined;
    if (!cp || cp.version < s.horizon) return undefined;
    const next = this.q.checkpointAfter.get(s.id, cp.version) as { version: number } | undefined;
    const params = [s.id, cp.version, next?.version ?? Number.MAX_SAFE_INTEGER, time];
    return this.both(this.pairs.lastAtTime, params, "desc", 1)[0]?.version ?? cp.version;
  }

  checkpoints(id: number): CheckpointRow[] {
    return this.q.checkpoints.all(id) as CheckpointRow[];
  }

  get database(): Db {
    return this.db;
  }
}
