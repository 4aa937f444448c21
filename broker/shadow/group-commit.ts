import { ShadowError } from "../../shared/errors.ts";
import { type CheckpointReport, CommitFailure, type CommitWriter } from "./commit-thread.ts";
import type { PreparedCommit, ShadowEntry, ShadowStore } from "./shadow-store.ts";
import type { CommitDurability } from "./wal-sync.ts";

export interface CommitStats {
  batches: number;
  committedChanges: number;
  lastBatchSize: number;
  maxBatchSize: number;
  totalCommitMs: number;
  failures: number;
  /** fsyncs done off the main thread (with a CommitDurability) and their total wall time. */
  syncs: number;
  totalSyncMs: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  /** performance.now() when the request was submitted. */
  at: number;
}

/**
 * Where a committed batch's time went (commit worker mode), for the latency composition of
 * docs/benchmarks.md: a request's wait is its queue time (behind the batch in flight) plus the
 * batch's prepare, commit, fsync and hand-off.
 */
export interface BatchTiming {
  /** performance.now() on the main thread when the batch was prepared (a latency trace places it in time). */
  startedAt: number;
  /** Requests released by the batch (some may have changed nothing). */
  requests: number;
  /** The oldest request of the batch: from its submit to the batch being prepared. */
  queueMs: number;
  /** ShadowStore.prepare on the main thread. */
  prepareMs: number;
  /** The SQLite transaction in the worker. */
  commitMs: number;
  /** The fdatasync of the WAL in the worker. */
  syncMs: number;
  /**
   * Post → answer minus the worker's commit and fsync: the messages both ways, the worker picking the
   * batch up, and the main thread's event loop getting to the answer (a stall there shows here).
   */
  handoffMs: number;
  /** Each request's submit → the batch being prepared (its queue time; waitsMs minus the batch's parts). */
  queuesMs: number[];
}

/** A batch the commit writer is working on. */
interface InFlight {
  prepared: PreparedCommit;
  waiters: Waiter[];
  entries: Set<ShadowEntry>;
}

/** How long a periodic main-thread write may be held while batches follow each other (ShadowStore.runHeldWrites). */
const HELD_WRITES_MAX_WAIT_MS = 100;

/**
 * Group commit: every request waits for the next batch, which writes all changes staged since the
 * last one in a single SQLite transaction (one fsync) and then releases the waiters in arrival order.
 * Requests that change nothing wait too, so replies never overtake the commit of an earlier change.
 *
 * With a `durability` (the node's WalSync) the fsync leaves the main thread: the transaction runs
 * without it, the batch's waiters join the next fsync done on libuv's thread pool, and only when that
 * returns are they released. One fsync is in flight at a time; the batches committed meanwhile share
 * the next one, so the main thread keeps applying and committing while the disk works.
 *
 * With a `CommitWriter` (the commit worker, docs/shadow-engine.md "Threads") the main thread only
 * prepares a batch's bytes (ShadowStore.prepare) and the writer runs its transaction and fsync on
 * another thread. One batch is in flight at a time; what is staged meanwhile forms the next batch,
 * prepared when the one in flight is durable (so every chunk is cut from heads that are on disk).
 * With `pipeline` (opt-in: the `commitPipeline` setting, UMBRA_COMMIT_PIPELINE=true) a second batch is prepared and posted while one is
 * in flight if none of its shadows is in the one in flight: its chunks are then cut from heads on disk
 * too, the worker writes it after the first (and may share the first's fsync), and it is released
 * after it. A shadow staged again while in flight waits for its batch, as without `pipeline`.
 */
export class GroupCommit {
  private entries = new Set<ShadowEntry>();
  private waiters: Waiter[] = [];
  private scheduled = false;
  private closed = false;
  /** Committed to SQLite, waiting for the next fsync. */
  private unsynced: Waiter[] = [];
  private syncing = false;
  /** Set when an fsync failed: what is on disk is unknown, so nothing more is acknowledged. */
  private broken: ShadowError | undefined;
  private idleWaiters: (() => void)[] = [];
  /** The batches the commit writer is working on, oldest first (writer mode only): one, two with `pipeline`. */
  private inFlight: InFlight[] = [];
  /** A batch failed while another was in flight: the staged work goes once that one lands (afterFailure). */
  private failed: ShadowError | undefined;
  private readonly writer: CommitWriter | undefined;
  private readonly durability: CommitDurability | undefined;
  readonly stats: CommitStats = {
    batches: 0,
    committedChanges: 0,
    lastBatchSize: 0,
    maxBatchSize: 0,
    totalCommitMs: 0,
    failures: 0,
    syncs: 0,
    totalSyncMs: 0,
  };
  /**
   * Told of every committed batch that wrote something: its size and how long the SQLite transaction
   * took (the metrics capability turns these into histograms; the counters above cannot give a spread).
   */
  readonly batchObservers: ((size: number, ms: number, timing?: BatchTiming) => void)[] = [];

  constructor(
    private readonly store: ShadowStore,
    private readonly maxBatch = 4096,
    /** How batches reach the disk: inline with the fsync on the thread pool (WalSync), or a writer thread. */
    durability?: CommitDurability | CommitWriter,
    /** Writer mode: a second, disjoint batch may be in flight (see the class comment). */
    private readonly pipeline = false,
  ) {
    if (durability && "write" in durability) {
      this.writer = durability;
      if (durability.gate) store.setWriteGate(durability.gate);
    } else this.durability = durability;
  }

  /** The writer's WAL checkpoints done off the commit path (commit worker mode), to observe them. */
  get checkpointObservers(): ((report: CheckpointReport) => void)[] | undefined {
    return this.writer?.checkpointObservers;
  }

  /** Resolves once `entry` (if any) and everything staged before it is durable. */
  submit(entry?: ShadowEntry): Promise<void> {
    if (this.closed) return Promise.reject(new ShadowError(503, "Node is shutting down"));
    if (this.broken) return Promise.reject(this.broken);
    if (entry) this.entries.add(entry);
    const at = performance.now();
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject, at }));
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
    if (this.writer) {
      this.flushToWriter(this.writer);
      return;
    }
    if (this.waiters.length === 0 && this.entries.size === 0) return;
    const entries = this.entries;
    const waiters = this.waiters;
    this.entries = new Set();
    this.waiters = [];
    const started = performance.now();
    try {
      if (this.broken) throw this.broken;
      if (entries.size > 0) {
        const durability = this.durability;
        if (durability) durability.relaxed(() => this.store.commit(entries));
        else this.store.commit(entries);
      }
    } catch (err) {
      this.stats.failures++;
      this.store.discard(entries);
      const failure =
        err === this.broken
          ? (err as ShadowError)
          : new ShadowError(500, `Commit failed: ${(err as Error).message}`);
      for (const w of waiters) w.reject(failure);
      return;
    }
    this.store.markCommitted(entries);
    const ms = performance.now() - started;
    this.countBatch(entries.size, ms);
    if (entries.size > 0) for (const observe of this.batchObservers) observe(entries.size, ms);
    if (!this.durability || (entries.size === 0 && !this.syncing && this.unsynced.length === 0)) {
      // Nothing written and nothing earlier still on its way to the disk: nothing to wait for.
      for (const w of waiters) w.resolve();
      return;
    }
    for (const w of waiters) this.unsynced.push(w);
    this.startSync();
  }

  /** Starts the next fsync for the batches committed since the last one started (one at a time). */
  private startSync(): void {
    const durability = this.durability;
    if (!durability || this.syncing || this.unsynced.length === 0) {
      this.checkIdle();
      return;
    }
    const waiters = this.unsynced;
    this.unsynced = [];
    this.syncing = true;
    const started = performance.now();
    durability.sync().then(
      () => {
        this.syncing = false;
        this.stats.syncs++;
        this.stats.totalSyncMs += performance.now() - started;
        for (const w of waiters) w.resolve();
        this.startSync();
      },
      (err: Error) => {
        this.syncing = false;
        this.stats.failures++;
        // After a failed fsync the kernel may have dropped the dirty pages (and report success next
        // time): nothing written since can be promised durable. Refuse until the node is restarted.
        this.broken = new ShadowError(500, `Storage failed, restart the node: fsync: ${err.message}`);
        for (const w of [...waiters, ...this.unsynced]) w.reject(this.broken);
        this.unsynced = [];
        this.checkIdle();
      },
    );
  }

  /** Writer mode: prepares the staged entries and hands them to the writer (one batch in flight). */
  private flushToWriter(writer: CommitWriter): void {
    if ((this.waiters.length === 0 && this.entries.size === 0) || !this.mayPost()) {
      this.checkIdle();
      return;
    }
    const entries = this.entries;
    const waiters = this.waiters;
    this.entries = new Set();
    this.waiters = [];
    if (this.broken) {
      this.store.discard(entries);
      for (const w of waiters) w.reject(this.broken);
      this.checkIdle();
      return;
    }
    if (entries.size === 0) {
      // Nothing staged and nothing in flight: everything before these requests is durable.
      for (const w of waiters) w.resolve();
      this.checkIdle();
      return;
    }
    // Periodic writes held back while the worker wrote (view flush, retention) go between two batches
    // once they have waited a while (else on their own turn, after the last batch's replies).
    if (this.inFlight.length === 0) this.store.runHeldWrites(HELD_WRITES_MAX_WAIT_MS);
    const started = performance.now();
    let prepared: PreparedCommit;
    try {
      prepared = this.store.prepare(entries);
    } catch (err) {
      this.stats.failures++;
      this.store.discard(entries);
      const failure = new ShadowError(500, `Commit failed: ${(err as Error).message}`);
      for (const w of waiters) w.reject(failure);
      this.checkIdle();
      return;
    }
    const posted = performance.now();
    const prepareMs = posted - started;
    const batch: InFlight = { prepared, waiters, entries };
    this.inFlight.push(batch);
    if (this.inFlight.length === 1) this.store.setWorkerWriting(true);
    writer.write(prepared.batch).then(
      (times) => {
        const answered = performance.now();
        this.landed(batch);
        if (this.broken) {
          // A batch before this one failed to reach the disk: nothing after it may be acknowledged.
          this.store.discard(prepared.entries);
          for (const w of waiters) w.reject(this.broken);
          this.afterFailure();
          return;
        }
        this.store.settle(prepared);
        this.countBatch(entries.size, prepareMs + times.commitMs);
        this.stats.syncs++;
        this.stats.totalSyncMs += times.syncMs;
        const timing: BatchTiming = {
          startedAt: started,
          requests: waiters.length,
          queueMs: started - (waiters[0]?.at ?? started),
          prepareMs,
          commitMs: times.commitMs,
          syncMs: times.syncMs,
          handoffMs: Math.max(0, answered - posted - times.commitMs - times.syncMs),
          queuesMs: waiters.map((w) => started - w.at),
        };
        for (const observe of this.batchObservers) observe(entries.size, times.commitMs, timing);
        for (const w of waiters) w.resolve();
        if (this.failed) this.afterFailure();
        else this.scheduleNext();
      },
      (err: unknown) => {
        this.landed(batch);
        this.stats.failures++;
        const message = (err as Error).message;
        const failure = new ShadowError(500, `Commit failed: ${message}`);
        if (err instanceof CommitFailure && err.storage)
          this.broken = new ShadowError(500, `Storage failed, restart the node: ${message}`);
        // None of its shadows is in a batch still in flight (see mayPost): they go at once.
        this.store.discard(prepared.entries);
        for (const w of waiters) w.reject(this.broken ?? failure);
        this.failed = this.broken ?? failure;
        this.afterFailure();
      },
    );
  }

  /**
   * Whether a batch may be posted now: none in flight, or (`pipeline`) one in flight that shares no
   * shadow with what is staged (a shadow's next chunk is cut from the heads its batch in flight writes,
   * which are not on disk yet) and something staged (requests that changed nothing wait for the
   * batches in flight, which the next batch after them covers).
   */
  private mayPost(): boolean {
    const n = this.inFlight.length;
    if (n === 0) return true;
    if (!this.pipeline || n >= 2 || this.entries.size === 0 || this.broken || this.failed) return false;
    const busy = (this.inFlight[0] as InFlight).entries;
    for (const e of this.entries) if (busy.has(e)) return false;
    return true;
  }

  /**
   * After a failed batch, once no batch is in flight: what was staged meanwhile may build on the failed
   * changes (same documents), so it goes too and every discarded shadow is read again from disk.
   * Nothing of it was acknowledged. (A pipelined batch still in flight lands first, as it would have.)
   */
  private afterFailure(): void {
    const failure = this.failed;
    if (!failure || this.inFlight.length > 0) {
      this.checkIdle();
      return;
    }
    this.failed = undefined;
    const later = this.entries;
    const laterWaiters = this.waiters;
    this.entries = new Set();
    this.waiters = [];
    this.store.discard(later);
    for (const w of laterWaiters) w.reject(this.broken ?? failure);
    this.checkIdle();
  }

  /** A batch's answer came: it is no longer in flight (answers come in the order batches were posted). */
  private landed(batch: InFlight): void {
    const i = this.inFlight.indexOf(batch);
    if (i >= 0) this.inFlight.splice(i, 1);
    if (this.inFlight.length === 0) this.store.setWorkerWriting(false);
  }

  /** After a batch: the next one on the next turn, so the replies of this one go out first. */
  private scheduleNext(): void {
    if (this.entries.size === 0 && this.waiters.length === 0) {
      this.checkIdle();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private checkIdle(): void {
    if (this.inFlight.length > 0 || (this.writer && (this.entries.size > 0 || this.waiters.length > 0)))
      return;
    if (this.syncing || this.unsynced.length > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Counts one committed batch of `size` shadows that took `ms` to commit. */
  private countBatch(size: number, ms: number): void {
    const s = this.stats;
    s.batches++;
    s.committedChanges += size;
    s.lastBatchSize = size;
    s.maxBatchSize = Math.max(s.maxBatchSize, size);
    s.totalCommitMs += ms;
  }

  /** Commits what is pending, waits for its fsync, and refuses new work (then closes the writer). */
  async close(): Promise<void> {
    this.flush();
    this.closed = true;
    const idle =
      !this.syncing && this.unsynced.length === 0 && this.inFlight.length === 0 && this.entries.size === 0;
    if (!idle) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.writer?.close();
  }
}
