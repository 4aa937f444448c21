/**
 * Rollup math, shared by the background rollup job and the query path. A bucket keeps sum and count
 * (not the average) so buckets merge exactly: a 5-minute point is the merge of five 1-minute buckets,
 * an hour bucket the merge of its minutes. `last` is the value with the greatest timestamp.
 */
export interface Bucket {
  /** Start of the bucket, Unix ms, a multiple of its width. */
  start: number;
  min: number;
  max: number;
  sum: number;
  count: number;
  last: number;
  lastTs: number;
}

/** A rolled-up point as the API returns it. */
export interface RollupPoint {
  ts: number;
  min: number;
  max: number;
  avg: number;
  last: number;
  count: number;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export function bucketStart(ts: number, width: number): number {
  return Math.floor(ts / width) * width;
}

/** Merges `b` into `a` (same bucket); order does not matter. */
export function mergeInto(a: Bucket, b: Bucket): void {
  a.min = Math.min(a.min, b.min);
  a.max = Math.max(a.max, b.max);
  a.sum += b.sum;
  a.count += b.count;
  if (b.lastTs >= a.lastTs) {
    a.last = b.last;
    a.lastTs = b.lastTs;
  }
}

/** Buckets of raw points `[ts, value]` (any order) of width `width`, sorted by start. */
export function foldPoints(points: readonly (readonly [number, number])[], width: number): Bucket[] {
  const byStart = new Map<number, Bucket>();
  for (const [ts, value] of points) {
    const start = bucketStart(ts, width);
    const b = byStart.get(start);
    if (b) mergeInto(b, { start, min: value, max: value, sum: value, count: 1, last: value, lastTs: ts });
    else byStart.set(start, { start, min: value, max: value, sum: value, count: 1, last: value, lastTs: ts });
  }
  return [...byStart.values()].sort((x, y) => x.start - y.start);
}

/** Re-buckets finer buckets into buckets of `width` (a multiple of theirs), sorted by start. */
export function regroup(buckets: readonly Bucket[], width: number): Bucket[] {
  const byStart = new Map<number, Bucket>();
  for (const b of buckets) {
    const start = bucketStart(b.start, width);
    const into = byStart.get(start);
    if (into) mergeInto(into, b);
    else byStart.set(start, { ...b, start });
  }
  return [...byStart.values()].sort((x, y) => x.start - y.start);
}

export function toPoint(b: Bucket): RollupPoint {
  return { ts: b.start, min: b.min, max: b.max, avg: b.sum / b.count, last: b.last, count: b.count };
}

export type Tier = "raw" | "1m" | "1h";

export interface Retention {
  rawMs: number;
  minuteMs: number;
  hourMs: number;
}

/** Points a query may return; a range/step that would give more is refused (ask for a larger step). */
export const MAX_POINTS = 10_000;

/**
 * Which stored tier answers a query. With a step: the coarsest tier whose width divides it (raw for
 * steps under a minute or not whole minutes). Without: raw for ranges up to an hour, 1-minute buckets
 * up to two days, hourly beyond — moved to a coarser tier when `from` is older than a tier keeps.
 */
export function chooseTier(
  from: number,
  to: number,
  step: number | undefined,
  now: number,
  r: Retention,
): Tier {
  if (step !== undefined) {
    if (step % HOUR_MS === 0) return "1h";
    if (step % MINUTE_MS === 0) return "1m";
    return "raw";
  }
  const range = to - from;
  if (range <= HOUR_MS && from >= now - r.rawMs) return "raw";
  if (range <= 2 * 86_400_000 && from >= now - r.minuteMs) return "1m";
  return "1h";
}

export function tierWidth(tier: Tier): number {
  return tier === "1h" ? HOUR_MS : tier === "1m" ? MINUTE_MS : 0;
}
