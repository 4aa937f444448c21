import { ShadowError } from "../../shared/errors.ts";
import type { ShadowEntry, ShadowStore } from "./shadow-store.ts";

export interface CommitStats {
  batches: number;
  committedChanges: number;
  lastBatchSize: number;
  maxBatchSize: number;
  totalCommitMs: number;
  failures: number;
}

/**
 * Group commit: every request waits for the next batch, which writes all changes staged since the
 * last one in a single SQLite transaction (one fsync) and then releases the waiters in arrival order.
 * Requests that change nothing wait too, so replies never overtake the commit of an earlier change.
 */
export class GroupCommit {
  private entries = new Set<ShadowEntry>();
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private scheduled = false;
  private closed = false;
  readonly stats: CommitStats = {
    batches: 0,
    committedChanges: 0,
    lastBatchSize: 0,
    maxBatchSize: 0,
    totalCommitMs: 0,
    failures: 0,
  };
  /**
   * Told of every committed batch that wrote something: its size and how long the SQLite transaction
   * took (the metrics capability turns these into histograms; the counters above cannot give a spread).
   */
  readonly batchObservers: ((size: number, ms: number) => void)[] = [];

  constructor(
    private readonly store: ShadowStore,
    private readonly maxBatch = 4096,
  ) {}

  /** Resolves once `entry` (if any) and everything staged before it is durable. */
  submit(entry?: ShadowEntry): Promise<void> {
    if (this.closed) return Promise.reject(new ShadowError(503, "Node is shutting down"));
    if (entry) this.entries.add(entry);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.entries.size >= this.maxBatch) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return done;
  }

  /** Commits what is pending now. Safe to call at any time; called on shutdown. */
  flush(): void {
    this.scheduled = false;
    if (this.waiters.length === 0 && this.entries.size === 0) return;
    const entries = this.entries;
    const waiters = this.waiters;
    this.entries = new Set();
    this.waiters = [];
    const started = performance.now();
    try {
      if (entries.size > 0) this.store.commit(entries);
    } catch (err) {
      this.stats.failures++;
      this.store.discard(entries);
      const failure = new ShadowError(500, `Commit failed: ${(err as Error).message}`);
      for (const w of waiters) w.reject(failure);
      return;
    }
    this.store.markCommitted(entries);
    const s = this.stats;
    s.batches++;
    s.committedChanges += entries.size;
    s.lastBatchSize = entries.size;
    s.maxBatchSize = Math.max(s.maxBatchSize, entries.size);
    const ms = performance.now() - started;
    s.totalCommitMs += ms;
    if (entries.size > 0) for (const observe of this.batchObservers) observe(entries.size, ms);
    for (const w of waiters) w.resolve();
  }

  /** Commits what is pending and refuses new work. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
