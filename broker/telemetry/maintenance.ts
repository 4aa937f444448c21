import type { Retention } from "../../shared/telemetry-rollup.ts";
import type { TelemetryStore } from "./store.ts";

export interface MaintenanceOptions {
  retention: Retention;
  now: () => number;
  /** How often the job runs, and how soon it runs again while the rollup is behind. */
  intervalMs: number;
  backlogDelayMs: number;
  /** Samples per rollup transaction, and the time one run may spend on rollup transactions. */
  rollupRows: number;
  rollupBudgetMs: number;
  /** How often retention deletes expired data, and the time one retention step may take. */
  pruneEveryMs: number;
  pruneBudgetMs: number;
  /** True while the writer has a backlog: the rollup then does not speed up to catch up. */
  ingestBehind?: () => boolean;
}

export const DEFAULT_MAINTENANCE: Omit<MaintenanceOptions, "retention" | "now"> = {
  // Every 5 s: a bucket merge then covers ~5 samples of a once-a-second series instead of one.
  intervalMs: 5000,
  backlogDelayMs: 200,
  rollupRows: 20_000,
  rollupBudgetMs: 100,
  pruneEveryMs: 60_000,
  pruneBudgetMs: 20,
};

/**
 * The background job: rolls up newly arrived samples into 1-minute and 1-hour buckets and deletes
 * what each tier no longer keeps. Each run does a bounded amount of work, so ingest (which only
 * queues) and queries never wait behind a long rollup; a backlog is worked off over several runs.
 */
export class TelemetryMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private lastPrune: number | undefined;
  private stopped = false;
  private pruneCursor = 0;

  constructor(
    private readonly store: TelemetryStore,
    private readonly opts: MaintenanceOptions,
    private readonly onError: (err: unknown) => void,
  ) {}

  /**
   * Runs every `intervalMs`; while the rollup is behind (a run ended on its budget), again after
   * `backlogDelayMs`, so the job keeps up with a high ingest rate in short slices, unless ingest
   * itself is behind (raw samples matter more than buckets, which can be computed later).
   */
  start(): void {
    const schedule = (ms: number) => {
      this.timer = setTimeout(() => {
        let behind = false;
        try {
          behind = !this.run().caughtUp;
        } catch (err) {
          this.onError(err);
        }
        // Ingest first: while the writer has a backlog the rollup keeps its normal pace.
        const hurry = behind && !(this.opts.ingestBehind?.() ?? false);
        if (!this.stopped) schedule(hurry ? this.opts.backlogDelayMs : this.opts.intervalMs);
      }, ms);
      this.timer.unref();
    };
    schedule(this.opts.intervalMs);
  }

  /**
   * One run: rollup steps for up to `rollupBudgetMs` (each one short transaction), and a bounded
   * retention step when one is due or in progress.
   */
  run(): { rolledUp: number; caughtUp: boolean } {
    const deadline = performance.now() + this.opts.rollupBudgetMs;
    let step = this.store.rollup(this.opts.rollupRows);
    let rolledUp = step;
    while (step === this.opts.rollupRows && performance.now() < deadline) {
      step = this.store.rollup(this.opts.rollupRows);
      rolledUp += step;
    }
    const now = this.opts.now();
    // Retention waits for the rollup to catch up (raw rows are only deleted once rolled up), unless
    // the rollup has been behind for ten retention periods: then expired data goes anyway.
    const caughtUp = step < this.opts.rollupRows;
    const since = this.lastPrune === undefined ? this.opts.pruneEveryMs : now - this.lastPrune;
    const due = since >= this.opts.pruneEveryMs && (caughtUp || since >= 10 * this.opts.pruneEveryMs);
    if (this.pruneCursor !== 0 || due) {
      if (this.pruneCursor === 0) this.lastPrune = now;
      const r = this.opts.retention;
      this.pruneCursor = this.store.prune(
        { raw: now - r.rawMs, minute: now - r.minuteMs, hour: now - r.hourMs },
        this.pruneCursor,
        this.opts.pruneBudgetMs,
      );
    }
    return { rolledUp, caughtUp };
  }

  /** Runs until rollups and retention are complete (tests, and shutdown of a small store). */
  drain(maxRuns = 1000): void {
    for (let i = 0; i < maxRuns; i++) {
      const { caughtUp } = this.run();
      if (caughtUp && this.pruneCursor === 0) return;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
