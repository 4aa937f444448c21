import { parseIsoUtc } from "./telemetry-duration.ts";

/**
 * Parameters of the history API (docs/shadow-protocol.md, "History"): a point in a shadow's history is
 * a version (a non-negative integer) or an ISO 8601 time; bad input gets a message saying what is wanted.
 */
export type HistoryPoint = { version: number } | { time: number };

export class HistoryParamError extends Error {
  override name = "HistoryParamError";
}

/** `42` is version 42; `2026-12-07T10:00:00Z` is a time (no zone: UTC). */
export function parsePoint(name: string, text: string): HistoryPoint {
  const s = text.trim();
  if (/^\d+$/.test(s)) {
    const version = Number(s);
    if (Number.isSafeInteger(version)) return { version };
  }
  // The node's one ISO grammar (a date-time without a zone is UTC), as telemetry queries use.
  const time = /^\d{4}-\d{2}-\d{2}/.test(s) ? parseIsoUtc(s) : null;
  if (time !== null) return { time };
  throw new HistoryParamError(
    `${name} must be a version (a non-negative integer) or an ISO 8601 time like 2026-12-07T10:00:00Z, got '${text.slice(0, 64)}'`,
  );
}

export type HistoryOrder = "desc" | "asc";

export interface HistoryListQuery {
  from?: HistoryPoint;
  to?: HistoryPoint;
  limit: number;
  order: HistoryOrder;
  /** Continue after this version (exclusive), in the order of the listing. */
  cursor?: number;
}

export const HISTORY_PAGE_DEFAULT = 100;
export const HISTORY_PAGE_MAX = 1000;

/** Validates the query string of `GET …/shadow/history`. */
export function parseListQuery(q: Record<string, string | undefined>): HistoryListQuery {
  const out: HistoryListQuery = { limit: HISTORY_PAGE_DEFAULT, order: "desc" };
  if (q.from !== undefined) out.from = parsePoint("from", q.from);
  if (q.to !== undefined) out.to = parsePoint("to", q.to);
  if (q.limit !== undefined) {
    const n = /^\d+$/.test(q.limit) ? Number(q.limit) : Number.NaN;
    if (!Number.isInteger(n) || n < 1 || n > HISTORY_PAGE_MAX) {
      throw new HistoryParamError(`limit must be an integer from 1 to ${HISTORY_PAGE_MAX}`);
    }
    out.limit = n;
  }
  if (q.order !== undefined) {
    if (q.order !== "asc" && q.order !== "desc") throw new HistoryParamError("order must be asc or desc");
    out.order = q.order;
  }
  if (q.cursor !== undefined) {
    if (!/^\d+$/.test(q.cursor))
      throw new HistoryParamError("cursor must be the nextCursor of a previous page");
    out.cursor = Number(q.cursor);
  }
  checkRange(out.from, out.to);
  return out;
}

/** A range whose ends are of the same kind must not run backwards. */
export function checkRange(from: HistoryPoint | undefined, to: HistoryPoint | undefined): void {
  if (!from || !to) return;
  if ("version" in from && "version" in to && from.version > to.version) {
    throw new HistoryParamError(`from (version ${from.version}) is after to (version ${to.version})`);
  }
  if ("time" in from && "time" in to && from.time > to.time) {
    throw new HistoryParamError(
      `from (${new Date(from.time).toISOString()}) is after to (${new Date(to.time).toISOString()})`,
    );
  }
}
