import type { JsonObject } from "../../shared/json.ts";
import { Backoff, type BackoffSettings } from "./backoff.ts";
import { DeviceConnectionError, isTransient } from "./errors.ts";
import { DEFAULT_MAX_BATCH_BYTES, type OfflineQueue } from "./offline-queue.ts";

interface Waiter {
  remaining: number;
  done: boolean;
  resolve(): void;
  reject(err: Error): void;
}

export interface ReporterOptions {
  queue: OfflineQueue;
  /** Sends `{state:{reported: patch}}`; resolves with the accepted document. */
  send(patch: JsonObject): Promise<JsonObject>;
  /** Backoff between tries after a transient failure (timeout, 429, 500, 503). */
  retry: BackoffSettings;
  random?: () => number;
  onAccepted?(version: number): void;
  /** A queued report the node refused for good (400, 403, 413): dropped, reported here. */
  onError?(err: Error): void;
  maxBatchBytes?: number;
}

export interface ReporterStats {
  /** Update requests accepted by the node. */
  batches: number;
  /** Leaves those requests carried. */
  leaves: number;
  /** Leaves dropped after a final rejection. */
  dropped: number;
}

/**
 * Sends the queue to the node, oldest first, one update in flight at a time (so order holds), and tells
 * each `report()` caller when its values are in: accepted by the node while online, or safely queued when
 * the connection is (or goes) down. A row replaced by a newer value of its key hands its callers over to
 * the row that replaced it.
 */
export class Reporter {
  readonly stats: ReporterStats = { batches: 0, leaves: 0, dropped: 0 };
  private online = false;
  private closed = false;
  private readonly waiters = new Map<number, Waiter[]>();
  private flushing: Promise<void> | undefined;
  private sending = false;
  private wake: (() => void) | undefined;
  /** After a final rejection of a multi-leaf update: send this many leaves one by one to find the bad one. */
  private isolate = 0;

  constructor(private readonly opts: ReporterOptions) {}

  report(patch: JsonObject): Promise<void> {
    if (this.closed) return Promise.reject(new DeviceConnectionError("closed", "the device is closed"));
    const { seqs, superseded } = this.opts.queue.enqueue(patch);
    for (const [old, seq] of superseded) {
      const moved = this.waiters.get(old);
      if (!moved) continue;
      this.waiters.delete(old);
      this.waiters.set(seq, [...(this.waiters.get(seq) ?? []), ...moved]);
    }
    if (!this.online || seqs.length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { remaining: seqs.length, done: false, resolve, reject };
      for (const seq of seqs) this.waiters.set(seq, [...(this.waiters.get(seq) ?? []), waiter]);
    });
    this.kick();
    return done;
  }

  /** Online: start sending. Offline: every caller still waiting is told its report is queued. */
  setOnline(online: boolean): void {
    this.online = online && !this.closed;
    if (this.online) {
      this.kick();
      return;
    }
    this.releaseAll((w) => w.resolve());
    this.wake?.();
  }

  /** Sends until the queue is empty or the connection is gone. */
  async drain(): Promise<void> {
    this.kick();
    await this.flushing;
  }

  close(): void {
    this.closed = true;
    this.online = false;
    this.releaseAll((w) =>
      w.reject(new DeviceConnectionError("closed", "the device closed before the report was sent")),
    );
    this.wake?.();
  }

  get queued(): number {
    return this.opts.queue.size;
  }

  private kick(): void {
    if (this.sending || !this.online) return;
    // `sending` drops synchronously when the loop ends, so a report made right after is never stranded.
    this.sending = true;
    const run = this.flush()
      .catch((err: unknown) => this.opts.onError?.(err as Error))
      .finally(() => {
        if (this.flushing === run) this.flushing = undefined;
      });
    this.flushing = run;
  }

  /**
   * One update in flight at a time, oldest rows first. `sending` is cleared by the `finally` of this very
   * function, synchronously with the check that found the queue empty (or the link down), so a report
   * enqueued right after always finds no loop running and starts one.
   */
  private async flush(): Promise<void> {
    try {
      const backoff = new Backoff(this.opts.retry, this.opts.random);
      while (this.online) {
        const batch = this.opts.queue.nextBatch(
          this.opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
          this.isolate > 0 ? 1 : 500,
        );
        if (!batch) return;
        const next = await this.sendBatch(batch.seqs, batch.patch);
        if (next === "stop") return;
        if (next === "sent") backoff.reset();
        if (next === "retry") await this.pause(backoff.next());
      }
    } finally {
      this.sending = false;
    }
  }

  /**
   * Sends one batch: sent; split (refused for good, resent leaf by leaf to find the bad one); dropped (a
   * single leaf refused for good); retry later (transient); stop (offline, closed).
   */
  private async sendBatch(
    seqs: number[],
    patch: JsonObject,
  ): Promise<"sent" | "split" | "dropped" | "retry" | "stop"> {
    try {
      const accepted = await this.opts.send(patch);
      if (this.isolate > 0) this.isolate--;
      this.opts.queue.remove(seqs);
      this.stats.batches++;
      this.stats.leaves += seqs.length;
      if (typeof accepted.version === "number") this.opts.onAccepted?.(accepted.version);
      this.release(seqs, undefined);
      return "sent";
    } catch (err) {
      if (this.closed) return "stop";
      if (isTransient(err)) {
        return err instanceof DeviceConnectionError && err.reason === "offline" ? "stop" : "retry";
      }
      if (seqs.length > 1) {
        this.isolate = seqs.length; // one of them is bad: send them one by one to find it
        return "split";
      }
      if (this.isolate > 0) this.isolate--;
      this.opts.queue.remove(seqs);
      this.stats.dropped += seqs.length;
      this.release(seqs, err as Error);
      this.opts.onError?.(err as Error);
      return "dropped";
    }
  }

  /** Waits `ms`, or less if the connection goes down or the device closes. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  /** Rows are in (`failure` undefined) or refused for good: their callers are told. */
  private release(seqs: readonly number[], failure: Error | undefined): void {
    for (const seq of seqs) {
      const list = this.waiters.get(seq);
      if (!list) continue;
      this.waiters.delete(seq);
      for (const w of list) {
        if (w.done) continue;
        if (failure) {
          w.done = true;
          w.reject(failure);
        } else if (--w.remaining === 0) {
          w.done = true;
          w.resolve();
        }
      }
    }
  }

  private releaseAll(fn: (w: Waiter) => void): void {
    const all = new Set([...this.waiters.values()].flat());
    this.waiters.clear();
    for (const w of all) {
      if (w.done) continue;
      w.done = true;
      fn(w);
    }
  }
}
