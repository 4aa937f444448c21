import { Gauge, Histogram, type Registry } from "prom-client";
import type { CheckpointReport } from "../shadow/commit-thread.ts";
import type { BatchTiming, GroupCommit } from "../shadow/group-commit.ts";
import { BulkHistogram } from "./bulk-histogram.ts";

/**
 * Sub-millisecond to a second: the parts of a request's wait for its commit (an fdatasync here is
 * ~0.3 ms, a stall tens of ms). Fine enough below 30 ms for the bench to read a p99 from the buckets.
 */
const WAIT_BUCKETS = [
  0.00025, 0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075,
  0.1, 0.2, 0.5, 1, 2.5,
];

/** The parts of a request's wait for its commit: wait = queue + prepare + sql + fsync + handoff. */
const PARTS = ["wait", "queue", "prepare", "sql", "fsync", "handoff"] as const;
type Part = (typeof PARTS)[number];

/**
 * Where a request's wait for the group commit goes (commit worker mode, docs/benchmarks.md "Open-loop
 * latency composition"), observed once per request so that a slow batch weighs by the requests it
 * held: its own queue time behind the batch in flight, then its batch's prepare on the main thread,
 * transaction and fsync in the worker, and hand-off (messages both ways plus the main thread's event
 * loop reaching the answer). Also the worst of each since the last scrape, and the WAL checkpoints the
 * checkpointer thread did beside the commits.
 */
export function registerCommitTimingMetrics(registry: Registry, commits: GroupCommit): () => void {
  // Six values per request, on the main thread: histograms that count a batch's value for each of its
  // requests at once and allocate nothing (bulk-histogram.ts).
  const histograms = {} as Record<Part, BulkHistogram>;
  for (const part of PARTS) {
    const help = `per request, its wait for the group commit: ${part === "wait" ? "submitted → durable" : part}`;
    histograms[part] = new BulkHistogram(`umbra_commit_${part}_seconds`, help, WAIT_BUCKETS, registry);
  }
  const worst = Object.fromEntries(PARTS.map((p) => [p, 0])) as Record<Part, number>;
  new Gauge({
    name: "umbra_commit_worst_seconds",
    help: "the worst request's value of each part of its commit wait since the last scrape",
    labelNames: ["part"],
    registers: [registry],
    collect() {
      for (const part of PARTS) {
        this.set({ part }, worst[part]);
        worst[part] = 0;
      }
    },
  });
  const record = (part: Part, ms: number, times: number) => {
    const s = ms / 1000;
    histograms[part].observe(s, times);
    if (s > worst[part]) worst[part] = s;
  };
  const observe = (_size: number, _ms: number, t?: BatchTiming) => {
    if (!t) return;
    const n = t.queuesMs.length;
    const batchMs = t.prepareMs + t.commitMs + t.syncMs + t.handoffMs;
    for (const q of t.queuesMs) {
      record("queue", q, 1);
      record("wait", q + batchMs, 1);
    }
    record("prepare", t.prepareMs, n);
    record("sql", t.commitMs, n);
    record("fsync", t.syncMs, n);
    record("handoff", t.handoffMs, n);
  };
  commits.batchObservers.push(observe);
  const offPath = new Histogram({
    name: "umbra_wal_checkpoint_seconds",
    help: "WAL checkpoints done off the commit path (by the commit worker after answering a batch, or the checkpointer thread)",
    buckets: WAIT_BUCKETS,
    registers: [registry],
  });
  const onCheckpoint = (r: CheckpointReport) => offPath.observe(r.ms / 1000);
  const checkpoints = commits.checkpointObservers;
  checkpoints?.push(onCheckpoint);
  return () => {
    const i = commits.batchObservers.indexOf(observe);
    if (i >= 0) commits.batchObservers.splice(i, 1);
    const j = checkpoints?.indexOf(onCheckpoint) ?? -1;
    if (j >= 0) checkpoints?.splice(j, 1);
  };
}
