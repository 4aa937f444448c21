import { Histogram, type Registry } from "prom-client";
import type { BatchTiming, GroupCommit } from "../shadow/group-commit.ts";

/**
 * Sub-millisecond to a second: the parts of a request's wait for its commit (an fdatasync here is
 * ~0.3 ms, a stall tens of ms). Fine enough below 30 ms for the bench to read a p99 from the buckets.
 */
const WAIT_BUCKETS = [
  0.00025, 0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075,
  0.1, 0.2, 0.5, 1, 2.5,
];

/**
 * Where a request's wait for the group commit goes (commit worker mode, docs/benchmarks.md "Open-loop
 * latency composition"): per request submit → durable, and per batch the oldest request's queue time
 * behind the batch in flight, the main thread's prepare, the worker's transaction and fsync, and the
 * hand-off (messages both ways plus the main thread's event loop reaching the answer).
 */
export function registerCommitTimingMetrics(registry: Registry, commits: GroupCommit): () => void {
  const histogram = (name: string, help: string) =>
    new Histogram({ name, help, buckets: WAIT_BUCKETS, registers: [registry] });
  const wait = histogram(
    "umbra_commit_wait_seconds",
    "per request: submitted to the group commit → durable (accepted may be sent)",
  );
  const queue = histogram(
    "umbra_commit_queue_seconds",
    "per batch: its oldest request's wait before the batch was prepared (behind the batch in flight)",
  );
  const prepare = histogram(
    "umbra_commit_prepare_seconds",
    "per batch: ShadowStore.prepare on the main thread",
  );
  const sync = histogram("umbra_commit_sync_seconds", "per batch: fdatasync of the WAL in the commit worker");
  const handoff = histogram(
    "umbra_commit_handoff_seconds",
    "per batch: post → answer minus the worker's transaction and fsync (messages, main-thread event loop)",
  );
  const observe = (_size: number, _ms: number, t?: BatchTiming) => {
    if (!t) return;
    for (const ms of t.waitsMs) wait.observe(ms / 1000);
    queue.observe(t.queueMs / 1000);
    prepare.observe(t.prepareMs / 1000);
    sync.observe(t.syncMs / 1000);
    handoff.observe(t.handoffMs / 1000);
  };
  commits.batchObservers.push(observe);
  return () => {
    const i = commits.batchObservers.indexOf(observe);
    if (i >= 0) commits.batchObservers.splice(i, 1);
  };
}
