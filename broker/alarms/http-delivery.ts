import type { Logger } from "../../shared/logger.ts";

export interface DeliveryOptions {
  /** Attempts per message (the first included). */
  attempts: number;
  /** Wait before the second attempt; doubled after each failure. */
  backoffMs: number;
  /** Messages waiting at most; beyond, the oldest is dropped and counted. */
  maxQueue: number;
  timeoutMs: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
  attempts: 6,
  backoffMs: 500,
  maxQueue: 1000,
  timeoutMs: 10_000,
};

export interface DeliveryStats {
  sent: number;
  failed: number;
  dropped: number;
}

/**
 * POSTs JSON bodies to one URL, one at a time in order, each retried with exponential backoff a
 * bounded number of times; the queue is bounded too (a dead receiver must not grow the node's memory).
 */
export class HttpDelivery {
  readonly stats: DeliveryStats = { sent: 0, failed: 0, dropped: 0 };
  private readonly queue: string[] = [];
  private running = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly url: string,
    private readonly log: Logger,
    private readonly opts: DeliveryOptions = DEFAULT_DELIVERY,
  ) {}

  send(body: unknown): void {
    if (this.closed) return;
    if (this.queue.length >= this.opts.maxQueue) {
      this.queue.shift();
      this.stats.dropped++;
    }
    this.queue.push(JSON.stringify(body));
    if (!this.running) void this.run();
  }

  /** Messages not yet delivered (or given up on). */
  get pending(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0 && !this.closed) {
      const body = this.queue.shift() as string;
      let wait = this.opts.backoffMs;
      for (let attempt = 1; attempt <= this.opts.attempts && !this.closed; attempt++) {
        const problem = await this.post(body);
        if (problem === null) {
          this.stats.sent++;
          break;
        }
        if (attempt === this.opts.attempts) {
          this.stats.failed++;
          this.log.warn({ url: this.url, attempts: attempt, problem }, "alarm notification given up");
          break;
        }
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, wait);
        });
        wait *= 2;
      }
    }
    this.running = false;
  }

  private async post(body: string): Promise<string | null> {
    try {
      const res = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      await res.arrayBuffer();
      return res.ok ? null : `HTTP ${res.status}`;
    } catch (err) {
      return (err as Error).message;
    }
  }
}
