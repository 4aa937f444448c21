/**
 * Per-client limits on shadow requests: a token bucket (`rate` per second, `burst` deep) and a cap
 * on requests still waiting for their reply. Over either, the request is answered 429.
 */
export class RequestLimiter {
  private tokens: number;
  private last: number;
  private inflight = 0;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly maxInflight: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes a slot for one request; returns the reason it is refused, or null (then call `done`). */
  acquire(): string | null {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.inflight >= this.maxInflight) return `Too many requests in flight (limit ${this.maxInflight})`;
    if (this.tokens < 1) return `Rate limit exceeded (${this.rate} requests per second)`;
    this.tokens -= 1;
    this.inflight++;
    return null;
  }

  done(): void {
    this.inflight = Math.max(0, this.inflight - 1);
  }
}
