/**
 * A token bucket: `rate` tokens per second up to `capacity`. The level may go negative (a spend larger
 * than what is left is allowed and repaid by waiting), which is how a byte budget lets one large frame
 * through and then holds the next. Pure: the caller passes the time (ms) at every refill.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    readonly capacity: number,
    now: number,
    initial = capacity,
  ) {
    this.tokens = initial;
    this.last = now;
  }

  /** The level after refilling up to `now`. */
  level(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    return this.tokens;
  }

  /** Milliseconds until the level reaches `need` (0: it has); refills first. */
  waitMs(now: number, need = 0): number {
    const level = this.level(now);
    return level >= need ? 0 : Math.ceil(((need - level) / this.rate) * 1000);
  }

  spend(amount: number): void {
    this.tokens -= amount;
  }

  /** Starts over at `level` (a new session of whatever the bucket paces). */
  reset(now: number, level: number): void {
    this.tokens = level;
    this.last = now;
  }
}
