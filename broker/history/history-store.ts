import { decodePatch, FLAG_EXISTS, type HistoryRecord, type HistoryState } from "../../shared/history.ts";
import type { ShadowAddress } from "../../shared/topics.ts";
import type { JournalSink, ShadowEntry, StagedJournal } from "../shadow/shadow-store.ts";
import type { Db } from "../store/database.ts";
import { HistoryWriter, type HistoryWriterOptions, KINDS, RECORD_COLS } from "./history-writer.ts";
import { LeafIndex } from "./leaf-index.ts";

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

interface RecordRow {
  version: number;
  at: number;
  kind: number;
  flags: number;
  site: string | null;
  via: string | null;
  who: string | null;
  role: string | null;
  token: string | null;
  patch: string;
}

export interface CheckpointRow {
  version: number;
  at: number;
  ordinal: number;
}

/**
 * The change record in SQLite (docs/history.md). `append` runs inside the shadow commit's transaction
 * (it is the store's JournalSink), so a record is on disk exactly when its change is. Reads are plain
 * indexed range scans on (shadow id, version).
 */
export class HistoryStore implements JournalSink {
  private readonly q;
  /** Per leaf, the version that last wrote it (blame), kept with the records. */
  readonly leaves: LeafIndex;

  private readonly writer: HistoryWriter;
  /** What the commit worker needs to write the same records on its own connection. */
  readonly writerOptions: HistoryWriterOptions;

  constructor(
    private readonly db: Db,
    site: string,
    /** A checkpoint every this many records (and on a shadow's first record). */
    readonly checkpointEvery: number,
  ) {
    this.leaves = new LeafIndex(db);
    this.writerOptions = { site, checkpointEvery };
    this.writer = new HistoryWriter(db, this.writerOptions);
    const cols = RECORD_COLS;
    this.q = {
      shadow: db.prepare(
        "SELECT id, appended, horizon, pruned FROM history_shadows WHERE thing = ? AND name = ?",
      ),
      one: db.prepare(`SELECT ${cols} FROM history_records WHERE shadow = ? AND version = ?`),
      latest: db.prepare(
        `SELECT ${cols} FROM history_records WHERE shadow = ? ORDER BY version DESC LIMIT 1`,
      ),
      pageDesc: db.prepare(
        `SELECT ${cols} FROM history_records WHERE shadow = ? AND version BETWEEN ? AND ? AND at BETWEEN ? AND ?
         AND (version >= ? OR flags & 1) ORDER BY version DESC LIMIT ?`,
      ),
      pageAsc: db.prepare(
        `SELECT ${cols} FROM history_records WHERE shadow = ? AND version BETWEEN ? AND ? AND at BETWEEN ? AND ?
         AND (version >= ? OR flags & 1) ORDER BY version LIMIT ?`,
      ),
      range: db.prepare(
        `SELECT ${cols} FROM history_records WHERE shadow = ? AND version > ? AND version <= ? ORDER BY version`,
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
      lastAtTime: db.prepare(
        `SELECT version FROM history_records WHERE shadow = ? AND version >= ? AND version < ? AND at <= ?
         ORDER BY version DESC LIMIT 1`,
      ),
      checkpoints: db.prepare(
        "SELECT version, at, ordinal FROM history_checkpoints WHERE shadow = ? ORDER BY version",
      ),
    };
  }

  /** Writes the records staged on `entry`; called by ShadowStore.commit inside its transaction. */
  append(entry: Pick<ShadowEntry, "addr">, journal: StagedJournal): void {
    this.writer.append(entry.addr, journal);
  }

  shadow(addr: ShadowAddress): HistoryShadow | undefined {
    const row = this.q.shadow.get(addr.thing, addr.shadow) as
      | { id: number; appended: number; horizon: number; pruned: number }
      | undefined;
    return row && { id: row.id, appended: row.appended, horizon: row.horizon, pruned: row.pruned !== 0 };
  }

  latest(id: number): HistoryRecord | undefined {
    const row = this.q.latest.get(id) as RecordRow | undefined;
    return row && decodeRow(row);
  }

  /** Visible records (the contiguous part, and the desired tail below it) within version and time bounds. */
  page(
    s: HistoryShadow,
    bounds: { lo: number; hi: number; atLo: number; atHi: number },
    order: "asc" | "desc",
    limit: number,
  ): HistoryRecord[] {
    const stmt = order === "asc" ? this.q.pageAsc : this.q.pageDesc;
    const rows = stmt.all(
      s.id,
      bounds.lo,
      bounds.hi,
      bounds.atLo,
      bounds.atHi,
      s.horizon,
      limit,
    ) as RecordRow[];
    return rows.map(decodeRow);
  }

  /** The record at exactly `version`, if it is still kept. */
  record(id: number, version: number): HistoryRecord | undefined {
    const row = this.q.one.get(id, version) as RecordRow | undefined;
    return row && decodeRow(row);
  }

  /** Records with after < version <= upto, oldest first. */
  range(id: number, after: number, upto: number): HistoryRecord[] {
    return (this.q.range.all(id, after, upto) as RecordRow[]).map(decodeRow);
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
    const row = this.q.lastAtTime.get(s.id, cp.version, next?.version ?? Number.MAX_SAFE_INTEGER, time) as
      | { version: number }
      | undefined;
    return row?.version ?? cp.version;
  }

  checkpoints(id: number): CheckpointRow[] {
    return this.q.checkpoints.all(id) as CheckpointRow[];
  }

  get database(): Db {
    return this.db;
  }
}

function decodeRow(row: RecordRow): HistoryRecord {
  const r: HistoryRecord = {
    version: row.version,
    at: row.at,
    kind: KINDS[row.kind] ?? "update",
    exists: (row.flags & FLAG_EXISTS) !== 0,
    patch: decodePatch(row.patch),
  };
  if (row.site !== null) r.site = row.site;
  if (row.via !== null) r.via = row.via;
  if (row.who !== null) r.identity = { name: row.who, role: row.role ?? "" };
  if (row.token !== null) r.clientToken = row.token;
  return r;
}
