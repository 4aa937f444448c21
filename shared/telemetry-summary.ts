/**
 * The `telemetrySummary` setting: which metrics are copied into a thing's `reported` state, where,
 * and how often at most. Example (config file):
 *   "telemetrySummary": { "power/watts": { "path": "power.watts", "minIntervalSeconds": 60 } }
 * `path` is a dot-separated path under `reported` (default: `telemetry.<metric>` with `/` as `.`).
 */
export interface SummaryRule {
  metric: string;
  /** Path levels under `reported`. */
  path: string[];
  minIntervalMs: number;
}

export const DEFAULT_SUMMARY_INTERVAL_S = 60;
const PATH_LEVEL = /^[A-Za-z0-9_:-]{1,64}$/;

export class SummaryConfigError extends Error {
  override name = "SummaryConfigError";
}

/** Checks the setting; throws SummaryConfigError naming the metric and field that is wrong. */
export function parseSummaryRules(setting: Record<string, unknown>): SummaryRule[] {
  const rules: SummaryRule[] = [];
  for (const [metric, raw] of Object.entries(setting)) {
    const where = `telemetrySummary["${metric}"]`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      throw new SummaryConfigError(
        `${where} must be an object like { "path": "power.watts", "minIntervalSeconds": 60 }`,
      );
    }
    const r = raw as { path?: unknown; minIntervalSeconds?: unknown };
    const pathText = r.path === undefined ? `telemetry.${metric.replaceAll("/", ".")}` : r.path;
    const path = typeof pathText === "string" ? pathText.split(".") : [];
    if (path.length === 0 || path.length > 6 || !path.every((l) => PATH_LEVEL.test(l))) {
      throw new SummaryConfigError(
        `${where}.path must be dot-separated names of [A-Za-z0-9_:-] (at most 6 levels), got ${JSON.stringify(pathText)}`,
      );
    }
    const interval = r.minIntervalSeconds ?? DEFAULT_SUMMARY_INTERVAL_S;
    if (typeof interval !== "number" || !Number.isFinite(interval) || interval < 1) {
      throw new SummaryConfigError(`${where}.minIntervalSeconds must be a number of seconds, at least 1`);
    }
    rules.push({ metric, path, minIntervalMs: Math.round(interval * 1000) });
  }
  return rules;
}

/**
 * The rate bound of a summary, for one thing: per metric the latest value seen and the value last
 * written into `reported`, and when. `take` hands out the values that changed since they were last
 * written and whose interval has passed, and counts them as written. The node's `telemetrySummary`
 * (one interval per metric) and the firmware bridge's measurement summary (one per device) use it.
 */
export class SummaryThrottle {
  private readonly metrics = new Map<
    string,
    { pending?: number; pendingTs: number; written?: number; writtenAt: number }
  >();

  /** Notes a sample; an older sample than the one pending (by its time) never replaces it. */
  observe(metric: string, value: number, ts: number): void {
    let st = this.metrics.get(metric);
    if (!st) {
      st = { pendingTs: Number.NEGATIVE_INFINITY, writtenAt: Number.NEGATIVE_INFINITY };
      this.metrics.set(metric, st);
    }
    if (st.pending === undefined || ts >= st.pendingTs) {
      st.pending = value;
      st.pendingTs = ts;
    }
  }

  /**
   * The values due at `now`: pending, different from the value last written, and at least
   * `intervalMs(metric)` after that metric's last write. They count as written at `now`. `waiting` is
   * true when a changed value waits for its interval (a later `take` will hand it out).
   */
  take(
    now: number,
    intervalMs: (metric: string) => number,
  ): { due: { metric: string; value: number }[]; waiting: boolean } {
    const due: { metric: string; value: number }[] = [];
    let waiting = false;
    for (const [metric, st] of this.metrics) {
      if (st.pending === undefined) continue;
      if (st.pending === st.written) {
        st.pending = undefined;
        continue;
      }
      if (now - st.writtenAt < intervalMs(metric)) {
        waiting = true;
        continue;
      }
      due.push({ metric, value: st.pending });
      this.wrote(metric, st.pending, now);
    }
    return { due, waiting };
  }

  /** Records a value written into `reported` by other means (a full report). */
  wrote(metric: string, value: number, now: number): void {
    const st = this.metrics.get(metric);
    if (!st) return;
    st.written = value;
    st.writtenAt = now;
    if (st.pending === value) st.pending = undefined;
  }

  /** Drops what is known of a metric: its next value is due at once. */
  forget(metric: string): void {
    this.metrics.delete(metric);
  }
}

/** Builds the `reported` patch `{a:{b:value}}` for values by path. */
export function reportedPatch(
  values: readonly { path: readonly string[]; value: number }[],
): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const { path, value } of values) {
    let node = root;
    for (const level of path.slice(0, -1)) {
      const next = node[level];
      if (next === null || typeof next !== "object") node[level] = {};
      node = node[level] as Record<string, unknown>;
    }
    node[path[path.length - 1] as string] = value;
  }
  return root;
}
