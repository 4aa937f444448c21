/**
 * What the node under test says about a phase, read from its `GET /metrics` before and after it:
 * where a request's wait for its commit went (broker/metrics/commit-metrics.ts), the node's event-loop
 * delay (prom-client's monitor, reset at every scrape, so the scrape at the end covers the phase) and
 * its garbage collections by kind.
 */

/** Samples of one scrape: `name{labels}` → value. */
export type Scrape = Map<string, number>;

export interface Spread {
  count: number;
  meanMs: number;
  /** From the histogram's buckets: the upper bound of the bucket holding the quantile. */
  p50Ms: number;
  p99Ms: number;
}

/** The parts of a request's wait for its commit (wait = queue + prepare + sql + fsync + handoff). */
export const COMMIT_PARTS = ["wait", "queue", "prepare", "sql", "fsync", "handoff"] as const;
export type CommitPart = (typeof COMMIT_PARTS)[number];

export interface NodeComposition {
  /**
   * Per request: submitted to the group commit → durable (`wait`), and its parts: its queue time behind
   * the batch in flight, then its batch's prepare (main thread), SQL and fsync (worker) and hand-off.
   */
  commit: Record<CommitPart, Spread & { worstMs: number }>;
  /** Checkpoints done by the checkpointer thread, off the commit path. */
  checkpointMs: Spread;
  /**
   * The node's main-thread event-loop delay over the phase, beyond prom-client's 10 ms sampling timer:
   * its histogram records each timer interval whole (an idle loop reads 10.1 ms), so the resolution is
   * subtracted here (an idle loop reads ~0).
   */
  loopP99Ms: number;
  loopMaxMs: number;
  /** Collections during the phase by kind (major = mark-compact): count, total ms, how many took ≥ 10 ms. */
  gc: Record<string, { count: number; totalMs: number; over10ms: number }>;
}

export async function scrape(httpUrl: string): Promise<Scrape> {
  const res = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
  const out: Scrape = new Map();
  for (const line of (await res.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

/** Bucket counts (le in seconds, cumulative) of `name` whose labels contain `labels`, after minus before. */
function buckets(before: Scrape, after: Scrape, name: string, labels = ""): [number, number][] {
  const rows: [number, number][] = [];
  const prefix = `${name}_bucket{`;
  for (const [key, v] of after) {
    if (!key.startsWith(prefix) || !key.includes(labels)) continue;
    const le = /le="([^"]+)"/.exec(key)?.[1];
    if (le === undefined) continue;
    rows.push([le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), v - (before.get(key) ?? 0)]);
  }
  return rows.sort((a, b) => a[0] - b[0]);
}

function spread(before: Scrape, after: Scrape, name: string): Spread {
  const rows = buckets(before, after, name);
  const count = (after.get(`${name}_count`) ?? 0) - (before.get(`${name}_count`) ?? 0);
  const sum = (after.get(`${name}_sum`) ?? 0) - (before.get(`${name}_sum`) ?? 0);
  const q = (f: number) => {
    const rank = Math.max(1, Math.ceil(f * count));
    const hit = rows.find(([, c]) => c >= rank);
    return hit ? hit[0] * 1000 : Number.NaN;
  };
  return { count, meanMs: count > 0 ? (sum / count) * 1000 : Number.NaN, p50Ms: q(0.5), p99Ms: q(0.99) };
}

function gc(before: Scrape, after: Scrape): NodeComposition["gc"] {
  const out: NodeComposition["gc"] = {};
  for (const [key, v] of after) {
    const m = /^nodejs_gc_duration_seconds_count\{kind="([^"]+)"\}$/.exec(key);
    if (!m?.[1]) continue;
    const kind = m[1];
    const count = v - (before.get(key) ?? 0);
    if (count === 0) continue;
    const sumKey = `nodejs_gc_duration_seconds_sum{kind="${kind}"}`;
    const totalMs = ((after.get(sumKey) ?? 0) - (before.get(sumKey) ?? 0)) * 1000;
    const under10 = buckets(before, after, "nodejs_gc_duration_seconds", `kind="${kind}"`).find(
      ([le]) => le === 0.01,
    );
    out[kind] = { count, totalMs, over10ms: count - (under10?.[1] ?? 0) };
  }
  return out;
}

/** prom-client's `eventLoopMonitoringPrecision` default: its loop-delay timer's interval (ms). */
const LOOP_SAMPLING_MS = 10;

/** A prom-client event-loop lag figure (seconds, timer interval included) as the delay beyond the interval (ms). */
export function loopDelayMs(lagSeconds: number | undefined): number {
  if (lagSeconds === undefined) return Number.NaN;
  return Math.max(0, lagSeconds * 1000 - LOOP_SAMPLING_MS);
}

export function composition(before: Scrape, after: Scrape): NodeComposition {
  const commit = {} as NodeComposition["commit"];
  for (const part of COMMIT_PARTS) {
    const worst = after.get(`umbra_commit_worst_seconds{part="${part}"}`) ?? Number.NaN;
    commit[part] = { ...spread(before, after, `umbra_commit_${part}_seconds`), worstMs: worst * 1000 };
  }
  return {
    commit,
    checkpointMs: spread(before, after, "umbra_wal_checkpoint_seconds"),
    loopP99Ms: loopDelayMs(after.get("nodejs_eventloop_lag_p99_seconds")),
    loopMaxMs: loopDelayMs(after.get("nodejs_eventloop_lag_max_seconds")),
    gc: gc(before, after),
  };
}
