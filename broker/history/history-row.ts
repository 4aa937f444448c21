import { decodePatch, FLAG_EXISTS, type HistoryKind, type HistoryRecord } from "../../shared/history.ts";

/** A record's `kind` column: the index of its kind here. */
export const KINDS: readonly HistoryKind[] = ["update", "delete", "merge"];

/** The columns a record has in both `history_log` and `history_records`. */
export const RECORD_COLS = "version, at, kind, flags, site, via, who, role, token, patch";

/** A record as those columns read it. */
export interface RecordRow {
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

/** The record a row holds (either table). */
export function decodeRow(row: RecordRow): HistoryRecord {
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
