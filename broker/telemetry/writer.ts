import type { TelemetrySample } from "../../shared/telemetry.ts";
import type { TelemetryStore, WriteItem } from "./store.ts";

export interface WriterOptions {
  /** Flush when this many samples are queued… */
  batchSamples: number;
  /** …or this long after the first queued sample. */
  flushMs: number;
  /** Samples written per transaction; a larger flush is split, yielding to the event loop between parts. */
  maxPerTransaction: number;
  /** Queue bound: beyond it new samples are dropped (counted), so a stalled disk cannot exhaust memory. */
  maxQueued: number;
  /** Time one turn of the event loop spends writing before it yields: at least, and at most. */
  turnBudgetMs: number;
  maxTurnMs: number;
}

export const DEFAULT_WRITER: WriterOptions = {
  batchSamples: 5000,
  flushMs: 250,
  maxPerTransaction: 20_000,
  maxQueued: 500_000,
  turnBudgetMs: 50,
  maxTurnMs: 1000,
};

/**
 * Batches samples into few SQLite transactions. `enqueue` only appends to memory; writes happen on a
 * timer or when the batch is full, in transactions small enough to keep the event loop responsive.
 */
export class TelemetryWriter {
  private queue: WriteItem[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;
  private lastTurnEnd = performance.now();

  constructor(
    private readonly store: TelemetryStore,
    private readonly opts: WriterOptions,
    private readonly hooks: {
      written(n: number): void;
      dropped(n: number): void;
      failed(err: unknown): void;
    },
  ) {}

  get pending(): number {
    return this.queued;
  }

  /** Queues samples; false when the queue is full (the samples were dropped). */
  enqueue(thing: string, samples: readonly TelemetrySample[]): boolean {
    if (this.closed || this.queued + samples.length > this.opts.maxQueued) {
      this.hooks.dropped(samples.length);
      return false;
    }
    this.queue.push({ thing, samples });
    this.queued += samples.length;
    if (this.queued >= this.opts.batchSamples) {
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.writeSome();
      });
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.writeSome();
      }, this.opts.flushMs);
    }
    return true;
  }

  /**
   * Writes transactions for a while, then yields to the event loop and continues on its next turn.
   * The time is in proportion to how long the loop was away: under load one turn of the loop can
   * take a second of message processing (thousands of publishes) and the writer gets one turn per
   * turn of the loop, so a fixed small slice would starve it and the queue would fill and drop. It
   * gets half as long as the loop was away (at least `turnBudgetMs`, at most `maxTurnMs`), which
   * gives it about a third of the thread under overload.
   */
  private writeSome(): void {
    const start = performance.now();
    const away = start - this.lastTurnEnd;
    const budget = Math.min(this.opts.maxTurnMs, Math.max(this.opts.turnBudgetMs, away / 2));
    const deadline = start + budget;
    do this.writeChunk();
    while (this.queued > 0 && performance.now() < deadline);
    this.lastTurnEnd = performance.now();
    if (this.queued > 0 && !this.closed) {
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.writeSome();
      });
    }
  }

  private writeChunk(): void {
    let n = 0;
    let take = 0;
    while (take < this.queue.length && n < this.opts.maxPerTransaction) {
      n += (this.queue[take] as WriteItem).samples.length;
      take++;
    }
    const chunk = take === this.queue.length ? this.queue : this.queue.slice(0, take);
    this.queue = take === this.queue.length ? [] : this.queue.slice(take);
    this.queued -= n;
    if (chunk.length === 0) return;
    try {
      this.hooks.written(this.store.write(chunk));
    } catch (err) {
      this.hooks.failed(err);
      this.hooks.dropped(n);
    }
  }

  /** Writes everything queued now (queries call this so they see what was just received). */
  flush(): void {
    while (this.queued > 0) this.writeChunk();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.flush();
    this.closed = true;
  }
}
