/**
 * What held the slow requests of a shadow-bench run (docs/benchmarks.md "Open-loop tail"): lays the
 * load workers' requests (bench/fleet.ts, BENCH_LATENCY_TRACE) over the node's timeline
 * (broker/metrics/latency-trace.ts, UMBRA_LATENCY_TRACE) and says, for the requests slower than a
 * threshold, which node events overlapped them: WAL checkpoints on the commit worker, batches with a
 * slow fsync or transaction, GC pauses, other main-thread stalls.
 *
 *   npx tsx bench/shadow-bench.ts --devices 2000 --only umbra --duration 10 --trace DIR   (prints it)
 *   npx tsx bench/latency-trace.ts DIR [--phase open|desired] [--over MS] [--episodes N]
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { LatencyTraceFile, TraceEvent } from "../broker/metrics/latency-trace.ts";

/** [sent (ms since the epoch), latency ms]. */
export type TracedRequest = [number, number];

/** What can hold a request, in the order they are reported. */
export const CAUSES = [
  "checkpoint",
  "slow fsync",
  "slow sql",
  "gc",
  "view flush",
  "retention",
  "stall",
] as const;
export type Cause = (typeof CAUSES)[number];

/** A batch's fsync or transaction at least this long counts as slow; a stall or GC at least this long counts. */
export const SLOW_MS = { fsync: 5, sql: 5, gc: 2, task: 0.5, stall: 3 };

const isTask = (i: Interval) => i.cause === "view flush" || i.cause === "retention";

interface Interval {
  cause: Cause;
  from: number;
  to: number;
}

/** The node's events as intervals of what they held: a slow batch holds from its prepare to its answer. */
export function blockers(events: TraceEvent[]): Interval[] {
  const out: Interval[] = [];
  const gcs: Interval[] = [];
  for (const e of events) {
    if (e[0] === "checkpoint") out.push({ cause: "checkpoint", from: e[1], to: e[1] + e[2] });
    else if (e[0] === "gc" && e[2] >= SLOW_MS.gc) gcs.push({ cause: "gc", from: e[1], to: e[1] + e[2] });
    else if (e[0] === "task" && e[2] >= SLOW_MS.task)
      out.push({ cause: e[3] === "views" ? "view flush" : "retention", from: e[1], to: e[1] + e[2] });
    else if (e[0] === "batch") {
      const [, at, prepare, roundTrip, sql, sync] = e;
      const end = at + prepare + roundTrip;
      if (sync >= SLOW_MS.fsync) out.push({ cause: "slow fsync", from: at, to: end });
      else if (sql >= SLOW_MS.sql) out.push({ cause: "slow sql", from: at, to: end });
    }
  }
  for (const e of events) {
    if (e[0] !== "stall" || e[2] < SLOW_MS.stall) continue;
    const from = e[1];
    const to = e[1] + e[2];
    // A stall that contains a GC pause or a traced task is theirs (already counted).
    const explained = (i: Interval) => i.from < to && i.to > from;
    if (!gcs.some(explained) && !out.some((i) => isTask(i) && explained(i)))
      out.push({ cause: "stall", from, to });
  }
  return [...out, ...gcs].sort((a, b) => a.from - b.from);
}

export interface Attribution {
  threshold: number;
  slow: number;
  /** Per cause: slow requests it overlapped, and the ones where it overlapped most of all causes. */
  overlapped: Record<Cause, number>;
  dominant: Record<Cause, number>;
  /** Slow requests that no blocker overlapped (queued behind one that ended before they were sent, or the clients). */
  none: number;
}

/** Which blockers overlapped each request slower than `threshold` ms (overlap of at least 0.5 ms). */
export function attribute(requests: TracedRequest[], intervals: Interval[], threshold: number): Attribution {
  const zero = () => Object.fromEntries(CAUSES.map((c) => [c, 0])) as Record<Cause, number>;
  const a: Attribution = { threshold, slow: 0, overlapped: zero(), dominant: zero(), none: 0 };
  const sorted = [...intervals].sort((x, y) => x.from - y.from);
  const longest = sorted.reduce((m, i) => Math.max(m, i.to - i.from), 0);
  for (const [sent, latency] of requests) {
    if (latency <= threshold) continue;
    a.slow++;
    const end = sent + latency;
    const overlap = zero();
    // Intervals that start before `end` and may reach `sent` (none is longer than `longest`).
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] as Interval).from < sent - longest) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < sorted.length && (sorted[k] as Interval).from < end; k++) {
      const i = sorted[k] as Interval;
      const ms = Math.min(end, i.to) - Math.max(sent, i.from);
      if (ms > 0) overlap[i.cause] += ms;
    }
    let best: Cause | undefined;
    for (const c of CAUSES) {
      if (overlap[c] < 0.5) continue;
      a.overlapped[c]++;
      if (best === undefined || overlap[c] > overlap[best]) best = c;
    }
    if (best) a.dominant[best]++;
    else a.none++;
  }
  return a;
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "-");
const pct = (n: number, of: number) => (of > 0 ? `${((100 * n) / of).toFixed(0)}%` : "-");

/** The requests of the last traced phase of `kind` (the desired warm-up comes before the measured one). */
export function readRequests(dir: string, kind: "open" | "desired"): TracedRequest[] {
  const files = readdirSync(dir).filter((f) => f.startsWith(`${kind}-`) && f.endsWith(".json"));
  const phaseOf = (f: string) => Number(f.split("-")[1]);
  const last = Math.max(...files.map(phaseOf));
  const out: TracedRequest[] = [];
  for (const f of files.filter((f) => phaseOf(f) === last))
    out.push(...(JSON.parse(readFileSync(join(dir, f), "utf8")) as TracedRequest[]));
  return out.sort((x, y) => x[0] - y[0]);
}

export function readNode(dir: string): LatencyTraceFile {
  const file = readdirSync(dir).find((f) => f.startsWith("node-") && f.endsWith(".json"));
  if (!file) throw new Error(`no node-<pid>.json in ${dir} (was the node started with UMBRA_LATENCY_TRACE?)`);
  return JSON.parse(readFileSync(join(dir, file), "utf8")) as LatencyTraceFile;
}

/** The report for one phase: its events' spread, the attribution, and the first `episodes` slow stretches. */
export function report(
  requests: TracedRequest[],
  node: LatencyTraceFile,
  label: string,
  over?: number,
  episodes = 0,
): string[] {
  if (requests.length === 0) return [`${label}: no traced requests`];
  const first = (requests[0] as TracedRequest)[0];
  const last = requests.reduce((m, r) => Math.max(m, r[0] + r[1]), first);
  const events = node.events.filter((e) => e[1] >= first - 100 && e[1] <= last);
  const latencies = requests.map((r) => r[1]);
  const threshold = over ?? quantile(latencies, 0.99);
  const lines = [
    `${label}: ${requests.length} requests, latency p50 ${f1(quantile(latencies, 0.5))} p99 ${f1(quantile(latencies, 0.99))} max ${f1(Math.max(...latencies))} ms`,
  ];
  const of = <K extends TraceEvent[0]>(k: K) =>
    events.filter((e): e is Extract<TraceEvent, [K, ...unknown[]]> => e[0] === k);
  const batches = of("batch");
  const cps = of("checkpoint");
  const gcs = of("gc");
  const stalls = of("stall");
  const tasks = of("task");
  const spread = (v: number[]) =>
    `p50 ${f1(quantile(v, 0.5))} p99 ${f1(quantile(v, 0.99))} max ${f1(Math.max(...v, 0))}`;
  lines.push(
    `  batches ${batches.length} (${f1(latencies.length / Math.max(1, batches.length))} requests each): round trip ${spread(batches.map((b) => b[3]))}, fsync ${spread(batches.map((b) => b[5]))}, sql ${spread(batches.map((b) => b[4]))}, prepare ${spread(batches.map((b) => b[2]))} ms`,
    `  checkpoints ${cps.length}: ${spread(cps.map((c) => c[2]))} ms, frames ${spread(cps.map((c) => c[3]))}; batches posted during one: ${batches.filter((b) => cps.some((c) => b[1] + b[2] >= c[1] && b[1] + b[2] < c[1] + c[2])).length}`,
    `  view flush slices ${tasks.filter((t) => t[3] === "views").length}: ${spread(tasks.filter((t) => t[3] === "views").map((t) => t[2]))} ms; retention ticks ${tasks.filter((t) => t[3] === "retention").length}: ${spread(tasks.filter((t) => t[3] === "retention").map((t) => t[2]))} ms`,
    `  node GC pauses ${gcs.length} (${f1(gcs.reduce((s, g) => s + g[2], 0))} ms): ${spread(gcs.map((g) => g[2]))} ms; main-thread stalls ≥ ${SLOW_MS.stall} ms: ${stalls.length}, ${spread(stalls.map((s) => s[2]))} ms`,
  );
  const intervals = blockers(events);
  const a = attribute(requests, intervals, threshold);
  lines.push(
    `  requests > ${f1(threshold)} ms: ${a.slow}; overlapped by (dominant): ${CAUSES.map((c) => `${c} ${pct(a.overlapped[c], a.slow)} (${pct(a.dominant[c], a.slow)})`).join(", ")}; none ${pct(a.none, a.slow)}`,
  );
  if (episodes > 0) lines.push(...episodeLines(requests, intervals, threshold, episodes));
  return lines;
}

/** The first `n` stretches of slow requests with the blockers around them (relative ms). */
function episodeLines(
  requests: TracedRequest[],
  intervals: Interval[],
  threshold: number,
  n: number,
): string[] {
  const out: string[] = [];
  let shown = 0;
  let ep: { from: number; to: number; end: number; count: number; worst: number } | undefined;
  const flush = () => {
    if (!ep || shown >= n) return;
    shown++;
    const e = ep;
    out.push(
      `  episode +${f1(e.from - (requests[0] as TracedRequest)[0])} ms: ${e.count} requests > ${f1(threshold)} ms, worst ${f1(e.worst)}`,
    );
    for (const i of intervals.filter((i) => i.to >= e.from - 20 && i.from <= e.end))
      out.push(`    ${f1(i.from - e.from)} ms: ${i.cause} ${f1(i.to - i.from)} ms`);
  };
  for (const [sent, latency] of requests) {
    if (latency <= threshold) continue;
    if (ep && sent - ep.to < 20) {
      ep.to = sent;
      ep.end = Math.max(ep.end, sent + latency);
      ep.count++;
      ep.worst = Math.max(ep.worst, latency);
    } else {
      flush();
      ep = { from: sent, to: sent, end: sent + latency, count: 1, worst: latency };
    }
  }
  flush();
  return out;
}

/** The report of a `shadow-bench --trace DIR` run: open loop and desired->delta. */
export function traceReport(dir: string, over?: number, episodes = 0): string[] {
  const node = readNode(dir);
  const out = [`latency trace (${dir}; bench/latency-trace.ts)`];
  if (node.dropped > 0) out.push(`  (${node.dropped} node events dropped over the cap)`);
  out.push(...report(readRequests(dir, "open"), node, "open loop", over, episodes));
  out.push(...report(readRequests(dir, "desired"), node, "desired->delta", over, episodes));
  return out;
}

if (process.argv[1]?.endsWith("latency-trace.ts")) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { phase: { type: "string" }, over: { type: "string" }, episodes: { type: "string" } },
  });
  const dir = positionals[0];
  if (!dir) {
    process.stderr.write(
      "usage: npx tsx bench/latency-trace.ts DIR [--phase open|desired] [--over MS] [--episodes N]\n",
    );
    process.exit(2);
  }
  const over = values.over === undefined ? undefined : Number(values.over);
  const episodes = Number(values.episodes ?? 0);
  if (values.phase === "open" || values.phase === "desired") {
    const node = readNode(dir);
    const lines = report(readRequests(dir, values.phase), node, values.phase, over, episodes);
    process.stdout.write(`${lines.join("\n")}\n`);
  } else process.stdout.write(`${traceReport(dir, over, episodes).join("\n")}\n`);
}
