import type { TelemetryIngest, TelemetrySample } from "../../shared/telemetry.ts";
import { isValidMetricName } from "../../shared/telemetry-payload.ts";
import type { TelemetryQuery } from "../../shared/telemetry-query.ts";
import {
  foldPoints,
  type Retention,
  type RollupPoint,
  regroup,
  tierWidth,
  toPoint,
} from "../../shared/telemetry-rollup.ts";
import { isValidThingName } from "../../shared/topics.ts";
import type { TelemetryStore } from "./store.ts";
import type { TelemetryWriter } from "./writer.ts";

export type RejectReason = "payload" | "too_old" | "future" | "overflow" | "series_limit";

export interface TelemetryServiceOptions {
  retention: Retention;
  now: () => number;
  /**
   * Samples older than the raw window minus this margin are refused: retention would delete them
   * before (or right after) they are rolled up, so they would vanish from raw queries at once while
   * still changing old buckets; a sender replaying that much history has a bigger problem to report.
   */
  lateMarginMs: number;
  /** Samples further in the future than this are refused (a device with a wrong clock). */
  futureMs: number;
  onRejected(reason: RejectReason, n: number): void;
  /** Accepted samples, after validation (the shadow summary listens here). */
  onAccepted(thing: string, samples: readonly TelemetrySample[]): void;
  /**
   * Series bounds (defaults below): a device inventing metric names (a counter or a timestamp in the
   * name) would otherwise grow the in-memory latest values and series ids without limit. Samples of
   * a new series beyond a bound are refused (`series_limit`); existing series keep flowing.
   */
  maxMetricsPerThing?: number;
  maxSeries?: number;
}

export const MAX_METRICS_PER_THING = 10_000;
export const MAX_SERIES = 1_000_000;

/** Raw points one series returns at most; the answer says `truncated` beyond. */
export const MAX_RAW_POINTS = 20_000;
/** Metrics one query returns at most when no metric is named. */
export const MAX_SERIES_PER_QUERY = 200;

export interface SeriesResult {
  metric: string;
  points: [number, number][] | RollupPoint[];
  truncated?: boolean;
}

/**
 * The telemetry capability's core: validates and queues samples (never touching SQLite on the
 * caller's turn), keeps the latest value per thing and metric in memory, and answers queries.
 */
export class TelemetryService implements TelemetryIngest {
  private readonly latestByThing = new Map<string, Map<string, { value: number; ts: number }>>();
  /** Series known (one per latest value), for the series bounds. */
  private seriesCount = 0;
  private readonly maxPerThing: number;
  private readonly maxSeries: number;

  constructor(
    private readonly store: TelemetryStore,
    private readonly writer: TelemetryWriter,
    private readonly opts: TelemetryServiceOptions,
  ) {
    this.maxPerThing = opts.maxMetricsPerThing ?? MAX_METRICS_PER_THING;
    this.maxSeries = opts.maxSeries ?? MAX_SERIES;
    for (const row of store.latestAll()) this.setLatest(row.thing, row.metric, row.value, row.ts);
  }

  record(thing: string, samples: readonly TelemetrySample[], _options?: { historical?: boolean }): void {
    if (!isValidThingName(thing)) {
      this.opts.onRejected("payload", samples.length);
      return;
    }
    const now = this.opts.now();
    const oldest = now - this.opts.retention.rawMs + this.opts.lateMarginMs;
    const newest = now + this.opts.futureMs;
    const ok: TelemetrySample[] = [];
    const known = this.latestByThing.get(thing);
    const fresh = new Set<string>();
    for (const s of samples) {
      if (!isValidMetricName(s.metric) || !Number.isFinite(s.value) || !Number.isFinite(s.ts)) {
        this.opts.onRejected("payload", 1);
      } else if (s.ts < oldest) this.opts.onRejected("too_old", 1);
      else if (s.ts > newest) this.opts.onRejected("future", 1);
      else if (known?.has(s.metric) || fresh.has(s.metric)) ok.push(s);
      else if (
        (known?.size ?? 0) + fresh.size >= this.maxPerThing ||
        this.seriesCount + fresh.size >= this.maxSeries
      )
        this.opts.onRejected("series_limit", 1);
      else {
        fresh.add(s.metric);
        ok.push(s);
      }
    }
    if (ok.length === 0) return;
    if (!this.writer.enqueue(thing, ok)) return; // counted as overflow by the writer's hook
    // A historical sample only moves the latest value if it is newer (the same rule as the table's).
    for (const s of ok) this.setLatest(thing, s.metric, s.value, s.ts);
    this.opts.onAccepted(thing, ok);
  }

  latest(thing: string): Record<string, { value: number; ts: number }> {
    const m = this.latestByThing.get(thing);
    return m ? Object.fromEntries([...m].map(([k, v]) => [k, { ...v }])) : {};
  }

  private setLatest(thing: string, metric: string, value: number, ts: number): void {
    let m = this.latestByThing.get(thing);
    if (!m) {
      m = new Map();
      this.latestByThing.set(thing, m);
    }
    const cur = m.get(metric);
    if (!cur) this.seriesCount++;
    if (!cur || ts >= cur.ts) m.set(metric, { value, ts });
  }

  /** Makes what was received visible to queries: pending samples written, rollups caught up (bounded). */
  private catchUp(rollups: boolean): void {
    this.writer.flush();
    if (!rollups) return;
    // At most 100,000 samples (~0.2-0.5 s): behind a larger backlog a query answers slightly stale
    // buckets rather than hold the event loop; the background job catches up.
    for (let i = 0; i < 5 && this.store.rollup(20_000) === 20_000; i++);
  }

  query(thing: string, q: TelemetryQuery): SeriesResult[] {
    this.catchUp(q.tier !== "raw");
    const series =
      q.metric === undefined
        ? this.store.seriesOf(thing).slice(0, MAX_SERIES_PER_QUERY)
        : (() => {
            const id = this.store.findSeries(thing, q.metric);
            return id === undefined ? [] : [{ id, metric: q.metric }];
          })();
    return series.map(({ id, metric }) => {
      if (q.tier === "raw") {
        if (q.step === 0) {
          const points = this.store.raw(id, q.from, q.to, MAX_RAW_POINTS + 1);
          const truncated = points.length > MAX_RAW_POINTS;
          return truncated
            ? { metric, points: points.slice(0, MAX_RAW_POINTS), truncated }
            : { metric, points };
        }
        const points = this.store.raw(id, q.from, q.to, 10 * MAX_RAW_POINTS + 1);
        const truncated = points.length > 10 * MAX_RAW_POINTS;
        const buckets = foldPoints(truncated ? points.slice(0, -1) : points, q.step).map(toPoint);
        return truncated ? { metric, points: buckets, truncated } : { metric, points: buckets };
      }
      const width = tierWidth(q.tier);
      const from = Math.floor(q.from / q.step) * q.step;
      let buckets = this.store.buckets(q.tier, id, from, q.to);
      if (q.step !== width) buckets = regroup(buckets, q.step);
      return { metric, points: buckets.map(toPoint) };
    });
  }
}
