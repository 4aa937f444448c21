import { Worker } from "node:worker_threads";
import type { Db } from "../store/database.ts";
import type { CommitBatch } from "./commit-batch.ts";
import { WriteGate } from "./write-gate.ts";

export interface CommitWorkerData {
  role: "commit";
  /** The node's database file; the worker opens its own connection to it. */
  path: string;
  busyTimeoutMs: number;
  /** SQLite's automatic checkpoint stays off on the worker's connection (the checkpointer does it). */
  checkpointer: boolean;
  /** Without the checkpointer: a checkpoint after a batch is answered at most this often; 0 = SQLite's own, inside commits. */
  checkpointEveryMs: number;
  /** The WriteGate's shared word: the worker settles the change record's log only while it holds it. */
  gate: Int32Array;
}

/** The commit worker's note of a checkpoint it ran after answering a batch. */
export interface CheckpointNote extends CheckpointReport {
  type: "checkpoint";
}

export interface CheckpointerData {
  role: "checkpointer";
  path: string;
  busyTimeoutMs: number;
  /** A PASSIVE checkpoint this often (ms). */
  everyMs: number;
}

/** A checkpoint that copied something: how long it took and how many WAL frames it copied. */
export interface CheckpointReport {
  ms: number;
  frames: number;
  /** When it started, in ms since the epoch (performance.timeOrigin + now() on its thread). */
  at?: number;
}

/**
 * A checkpoint copies each changed page once however often it changed since the last one: the hot
 * shadow rows and index pages are rewritten many times a second at 2,000 updates/s, so one pass a
 * second writes fewer pages to the database file (and syncs it fewer times) than SQLite's 4–7
 * automatic ones. Overridable for measurements (UMBRA_WAL_CHECKPOINT_MS).
 */
const CHECKPOINT_EVERY_MS = Number(process.env.UMBRA_WAL_CHECKPOINT_MS) || 1000;
/**
 * The commit worker's checkpoints after answering (commit-worker.ts): about as often as SQLite's own
 * at 2,000 updates/s (1,000 pages), so the WAL stays as small. A checkpoint holds the worker, so the
 * batch posted while it runs waits for it (~1,600 frames, p50 ~5 ms); every 50 ms they are 4× shorter,
 * but idle A/B pairs of the whole bench were worse with 50 in 6 of 8 phases (docs/benchmarks.md
 * "Open-loop tail"), so 200 stays. UMBRA_WAL_CHECKPOINT_AFTER_MS=0 for SQLite's own, inside commits.
 */
const AFTER_ANSWER_EVERY_MS = Number(process.env.UMBRA_WAL_CHECKPOINT_AFTER_MS ?? 200);

export type CommitRequest =
  | { type: "batch"; id: number; batch: CommitBatch }
  /** The checkpointer is gone: SQLite's automatic checkpoint back on the worker's connection. */
  | { type: "autocheckpoint" }
  | { type: "close" };

export type CommitReply =
  | { id: number; ok: true; commitMs: number; syncMs: number }
  /** storage: the fsync failed (or the worker is gone): what is on disk is unknown. */
  | { id: number; ok: false; storage: boolean; message: string };

/** How long the transaction and the fsync of a batch took in the worker. */
export interface CommitTimes {
  commitMs: number;
  syncMs: number;
}

/** A failed batch. `storage`: the disk, not the transaction, failed; nothing more may be acknowledged. */
export class CommitFailure extends Error {
  constructor(
    message: string,
    readonly storage: boolean,
  ) {
    super(message);
  }
}

/** Where the group commit sends prepared batches when they are written off the main thread. */
export interface CommitWriter {
  /** Resolves once the batch is committed and on disk; rejects with a CommitFailure. */
  write(batch: CommitBatch): Promise<CommitTimes>;
  close(): Promise<void>;
  /** Told of every WAL checkpoint done off the commit path (if the writer does them). */
  readonly checkpointObservers?: ((report: CheckpointReport) => void)[];
  /** Shared with a writer that also writes between batches (the commit worker's settling). */
  readonly gate?: WriteGate;
}

/**
 * The main thread's side of the commit worker (broker/shadow/commit-worker.ts, docs/shadow-engine.md
 * "Threads"): posts each prepared batch (plain rows and bytes, copied by the structured clone) and
 * resolves when the worker answers that it is committed and fsynced. If the worker dies, every batch in
 * flight and every later one fails as a storage failure (the node must be restarted).
 */
export class CommitThread implements CommitWriter {
  private readonly worker: Worker;
  /** Checkpoints the WAL beside the commits (broker/shadow/wal-checkpointer.ts); undefined once it failed. */
  private checkpointer: Worker | undefined;
  private readonly checkpointerExited: Promise<void>;
  readonly checkpointObservers: ((report: CheckpointReport) => void)[] = [];
  readonly gate = new WriteGate();
  private readonly pending = new Map<
    number,
    { resolve: (t: CommitTimes) => void; reject: (e: CommitFailure) => void }
  >();
  private nextId = 1;
  private dead: CommitFailure | undefined;
  private readonly exited: Promise<void>;
  /** SQLite's automatic checkpoint back on the node's connection (when nothing else checkpoints). */
  private readonly restoreAutoCheckpoint: () => void;

  constructor(
    db: Db,
    busyTimeoutMs = 5000,
    /** true: WAL checkpoints on a thread of their own (wal-checkpointer.ts) instead of after answers. */
    checkpoints = false,
  ) {
    const entry = new URL("./commit-worker-entry.mjs", import.meta.url);
    const data: CommitWorkerData = {
      role: "commit",
      path: db.name,
      busyTimeoutMs,
      checkpointer: checkpoints,
      checkpointEveryMs: AFTER_ANSWER_EVERY_MS,
      gate: this.gate.word,
    };
    this.worker = new Worker(entry, { workerData: data });
    // Referenced only while a batch is in flight: an idle worker never keeps the process alive.
    this.worker.unref();
    this.worker.on("message", (reply: CommitReply | CheckpointNote) => {
      if ("type" in reply) for (const observe of this.checkpointObservers) observe(reply);
      else this.answer(reply);
    });
    this.worker.on("error", (err: unknown) =>
      this.fail(`commit worker failed: ${err instanceof Error ? err.message : JSON.stringify(err)}`),
    );
    this.exited = new Promise((resolve) =>
      this.worker.once("exit", (code) => {
        this.fail(`commit worker exited (${code})`);
        resolve();
      }),
    );
    // The node's own connection must not checkpoint either while the worker or the checkpointer does
    // (it would do it on the main thread when one of its rare commits finds the WAL over SQLite's
    // threshold); it gets SQLite's automatic checkpoint back if they are gone.
    const nodeDb = "pragma" in db && (checkpoints || AFTER_ANSWER_EVERY_MS > 0) ? db : undefined;
    nodeDb?.pragma("wal_autocheckpoint = 0");
    this.restoreAutoCheckpoint = () => {
      if (nodeDb?.open) nodeDb.pragma("wal_autocheckpoint = 1000");
    };
    const cpData: CheckpointerData = {
      role: "checkpointer",
      path: db.name,
      busyTimeoutMs,
      everyMs: CHECKPOINT_EVERY_MS,
    };
    if (!checkpoints) {
      this.checkpointerExited = Promise.resolve();
      return;
    }
    const checkpointer = new Worker(entry, { workerData: cpData });
    this.checkpointer = checkpointer;
    checkpointer.unref();
    checkpointer.on("message", (report: CheckpointReport) => {
      for (const observe of this.checkpointObservers) observe(report);
    });
    // A failed checkpointer costs latency, never data: the commit worker checkpoints inside its
    // commits again, as SQLite does by default.
    const lost = () => {
      if (this.checkpointer !== checkpointer) return;
      this.checkpointer = undefined;
      this.restoreAutoCheckpoint();
      if (!this.dead) this.worker.postMessage({ type: "autocheckpoint" } satisfies CommitRequest);
    };
    checkpointer.on("error", lost);
    this.checkpointerExited = new Promise((resolve) =>
      checkpointer.once("exit", () => {
        lost();
        resolve();
      }),
    );
  }

  write(batch: CommitBatch): Promise<CommitTimes> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const request: CommitRequest = { type: "batch", id, batch };
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(request);
    });
  }

  /** Lets the worker finish what it was sent, closes its connection and waits for it to exit. */
  async close(): Promise<void> {
    const checkpointer = this.checkpointer;
    this.checkpointer = undefined;
    checkpointer?.postMessage({ type: "close" });
    await this.checkpointerExited;
    if (!this.dead) {
      this.worker.ref();
      this.worker.postMessage({ type: "close" } satisfies CommitRequest);
    }
    await this.exited;
  }

  private answer(reply: CommitReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) waiter.resolve({ commitMs: reply.commitMs, syncMs: reply.syncMs });
    else waiter.reject(new CommitFailure(reply.message, reply.storage));
  }

  private fail(message: string): void {
    if (!this.dead) this.restoreAutoCheckpoint();
    this.dead ??= new CommitFailure(message, true);
    for (const w of this.pending.values()) w.reject(this.dead);
    this.pending.clear();
  }
}
