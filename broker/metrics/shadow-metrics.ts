import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { GroupCommit } from "../shadow/group-commit.ts";
import type { ShadowService } from "../shadow/shadow-service.ts";
import type { ShadowStore } from "../shadow/shadow-store.ts";

/** Batch sizes from one change to GroupCommit's cap (4096). */
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 4096];
/** One SQLite transaction with an fsync: sub-millisecond on tmpfs, tens of ms on a slow disk. */
const COMMIT_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The shadow core: requests by operation and by result code, group-commit batch sizes and latency, and
 * the document cache. The service and the store keep plain counters (cheap on the hot path); they are
 * copied into the registry when Prometheus scrapes.
 */
export function registerShadowMetrics(
  registry: Registry,
  service: ShadowService,
  commits: GroupCommit,
  store: ShadowStore,
): () => void {
  new Counter({
    name: "umbra_shadow_requests_total",
    help: "shadow requests (MQTT and HTTP) by operation",
    labelNames: ["op"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [op, n] of Object.entries(service.stats.requests)) this.inc({ op }, n);
    },
  });
  new Counter({
    name: "umbra_shadow_responses_total",
    help: "shadow replies by result code (200 accepted; 4xx/5xx as in the AWS error document)",
    labelNames: ["code"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, n] of Object.entries(service.stats.byCode)) this.inc({ code }, n);
    },
  });
  new Counter({
    name: "umbra_shadow_changes_total",
    help: "shadow changes committed (updates and deletes that changed a document)",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(service.stats.changes);
    },
  });
  new Counter({
    name: "umbra_commit_failures_total",
    help: "group commits that failed (their requests got a 500)",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(commits.stats.failures);
    },
  });
  const batchSize = new Histogram({
    name: "umbra_commit_batch_size",
    help: "shadow documents written per group commit (one SQLite transaction)",
    buckets: BATCH_BUCKETS,
    registers: [registry],
  });
  const batchSeconds = new Histogram({
    name: "umbra_commit_duration_seconds",
    help: "time to write one group commit to SQLite",
    buckets: COMMIT_SECONDS_BUCKETS,
    registers: [registry],
  });
  const observe = (size: number, ms: number) => {
    batchSize.observe(size);
    batchSeconds.observe(ms / 1000);
  };
  commits.batchObservers.push(observe);

  new Gauge({
    name: "umbra_shadow_cache_documents",
    help: "shadow documents held in memory",
    registers: [registry],
    collect() {
      this.set(store.cacheStats().size);
    },
  });
  const cacheCounter = (name: string, help: string, pick: "hits" | "misses" | "evictions") =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(store.cacheStats()[pick]);
      },
    });
  cacheCounter("umbra_shadow_cache_hits_total", "shadow opens served from memory", "hits");
  cacheCounter("umbra_shadow_cache_misses_total", "shadow opens that loaded from SQLite", "misses");
  cacheCounter("umbra_shadow_cache_evictions_total", "documents evicted from the cache", "evictions");

  return () => {
    const i = commits.batchObservers.indexOf(observe);
    if (i >= 0) commits.batchObservers.splice(i, 1);
  };
}
