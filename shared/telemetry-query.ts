import { formatDuration, parseDuration, parseInstant } from "./telemetry-duration.ts";
import { isValidMetricName } from "./telemetry-payload.ts";
import { chooseTier, MAX_POINTS, type Retention, type Tier } from "./telemetry-rollup.ts";

/** The query string of `GET /things/{thing}/telemetry`, as received. */
export interface RawQuery {
  metric?: string;
  from?: string;
  to?: string;
  step?: string;
}

export interface TelemetryQuery {
  /** Absent: every metric of the thing. */
  metric?: string;
  from: number;
  to: number;
  tier: Tier;
  /** Width of the returned buckets (ms); 0 for raw points. */
  step: number;
}

export type QueryParse = { ok: true; query: TelemetryQuery } | { ok: false; message: string };

const DEFAULT_RANGE_MS = 3_600_000;

/**
 * Checks and resolves the query parameters: `from`/`to` are Unix ms, ISO 8601 or relative (`-1h`),
 * default the last hour; `step` is `raw` or a duration (`1m`, `5m`, `1h`), chosen from the range when
 * absent (widened so the answer holds at most MAX_POINTS buckets). Messages say which parameter is
 * wrong and what is accepted.
 */
export function parseTelemetryQuery(q: RawQuery, now: number, retention: Retention): QueryParse {
  const bad = (message: string): QueryParse => ({ ok: false, message });
  const one = (v: unknown) => (Array.isArray(v) ? undefined : (v as string | undefined));
  const metric = one(q.metric);
  if (metric !== undefined && !isValidMetricName(metric)) {
    return bad(`metric '${String(metric).slice(0, 140)}' is not a valid metric name`);
  }
  const to = q.to === undefined ? now : parseInstant(String(one(q.to) ?? ""), now);
  if (to === null) return bad("to must be Unix milliseconds, an ISO 8601 date, 'now' or relative like -1h");
  const from = q.from === undefined ? to - DEFAULT_RANGE_MS : parseInstant(String(one(q.from) ?? ""), now);
  if (from === null)
    return bad("from must be Unix milliseconds, an ISO 8601 date, 'now' or relative like -1h");
  if (from >= to) return bad("from must be before to");
  let step: number | undefined;
  let tier: Tier;
  if (q.step === undefined || q.step === "") {
    tier = chooseTier(from, to, undefined, now, retention);
    // The tier's width, widened to a whole multiple of it when the range would hold too many buckets.
    const width = tier === "raw" ? 0 : tier === "1m" ? 60_000 : 3_600_000;
    step = width === 0 ? 0 : width * Math.max(1, Math.ceil((to - from) / width / MAX_POINTS));
  } else if (q.step === "raw") {
    tier = "raw";
    step = 0;
  } else {
    const d = parseDuration(String(one(q.step) ?? ""));
    if (d === null || d < 1000) return bad("step must be 'raw' or a duration of at least 1s, like 1m or 1h");
    step = d;
    tier = chooseTier(from, to, d, now, retention);
  }
  if (step > 0 && (to - from) / step > MAX_POINTS) {
    return bad(`the range holds more than ${MAX_POINTS} steps of ${formatDuration(step)}; use a larger step`);
  }
  return { ok: true, query: { metric, from, to, tier, step } };
}
