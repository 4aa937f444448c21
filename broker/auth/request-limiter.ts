import { TokenBucket } from "../../shared/token-bucket.ts";

/**
 * Limits on shadow requests: a token bucket (`rate` per second, `burst` deep) and a cap on requests
 * still waiting for their reply. Over either, the request is answered 429. One per client connection,
 * and (broker/auth/request-limits.ts) one per identity and one per thing across connections.
 */
export class RequestLimiter {
  private readonly bucket: TokenBucket;
  private inflight = 0;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly maxInflight: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.bucket = new TokenBucket(rate, burst, now());
  }

  /** Takes a slot for one request; returns the reason it is refused, or null (then call `done`). */
  acquire(): string | null {
    const refusal = this.check();
    if (refusal === null) this.take();
    return refusal;
  }

  /** Whether a request would be refused now (refills the bucket, takes nothing). */
  check(): string | null {
    const wait = this.bucket.waitMs(this.now(), 1);
    if (this.inflight >= this.maxInflight) return `Too many requests in flight (limit ${this.maxInflight})`;
    if (wait > 0) return `Rate limit exceeded (${this.rate} requests per second)`;
    return null;
  }

  /** Takes a slot after `check` allowed it (then call `done`). */
  take(): void {
    this.bucket.spend(1);
    this.inflight++;
  }

  done(): void {
    this.inflight = Math.max(0, this.inflight - 1);
  }

  /** Nothing in flight and the bucket full again: the limiter can be forgotten (a new one is the same). */
  idle(): boolean {
    return this.inflight === 0 && this.bucket.level(this.now()) >= this.burst;
  }
}
