import type { ExtensionDefinition, NodeContext, NodeExtension } from "../extension.ts";
import { traceTask } from "../metrics/latency-trace.ts";
import { HistoryPruner, type PruneTick } from "./history-pruner.ts";
import { HistoryQueries } from "./history-queries.ts";
import { historyDisabledRoutes, historyRoutes } from "./history-routes.ts";
import { HistoryStore } from "./history-store.ts";

/** What other capabilities (and tests) get from `ctx.extension("history")`. */
export type HistoryExtension = NodeExtension & {
  readonly store: HistoryStore;
  readonly queries: HistoryQueries;
  /** One pruning tick now (the timer runs them every historyPruneIntervalMs). */
  prune(now?: number): PruneTick;
};

const DAY = 24 * 3_600_000;
/** Shadows one pruning tick looks at; each look costs a few indexed reads. */
const SHADOWS_PER_TICK = 64;

/**
 * The shadow change record (docs/history.md): the store becomes the shadow store's journal sink, so
 * records are written in the commit's transaction; retention runs on a timer in bounded ticks; the
 * history routes are served on every API listener. Started before the relay, so merges are recorded.
 */
export const historyExtension: ExtensionDefinition = {
  name: "history",
  start(ctx: NodeContext): HistoryExtension | NodeExtension {
    const { config, log } = ctx;
    if (!config.historyEnabled) return { routes: (app) => historyDisabledRoutes(app) };
    const store = new HistoryStore(ctx.db, config.site, config.historyCheckpointEvery, config.historyLogRows);
    const queries = new HistoryQueries(store);
    const pruner = new HistoryPruner(ctx.db, {
      reported: { maxAgeMs: config.historyReportedDays * DAY, maxRecords: config.historyReportedMax },
      desired: { maxAgeMs: config.historyDesiredDays * DAY, maxRecords: config.historyDesiredMax },
      batch: config.historyPruneBatch,
      shadowsPerTick: SHADOWS_PER_TICK,
    });
    ctx.store.journal = store;
    // Between the commit worker's batches: never waiting for its write lock on the main thread.
    const timer = setInterval(() => {
      ctx.store.betweenCommits(() => {
        const started = performance.now();
        try {
          pruner.tick();
          traceTask("retention", started);
        } catch (err) {
          log.error({ err }, "history: pruning failed (retried next tick)");
        }
      });
    }, config.historyPruneIntervalMs);
    timer.unref();
    return {
      store,
      queries,
      prune: (now?: number) => pruner.tick(now),
      routes: (app, principalOf) => historyRoutes(app, principalOf, queries),
      // The journal stays set: the group commit flushes staged changes (with their records) after
      // the capabilities close, and the database outlives both.
      close() {
        clearInterval(timer);
      },
    };
  },
};
