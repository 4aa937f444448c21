/**
 * A mergeable latency histogram with ~1 % relative precision: bucket i holds values in
 * (1.01^(i-1), 1.01^i] microseconds. Workers record into one and send its plain form over IPC; the
 * orchestrator merges them, so percentiles come from every sample, not from per-worker averages.
 */
const GROWTH = Math.log(1.01);
const MAX_BUCKET = 2100; // 1.01^2100 us is ~20 min: anything slower is clamped into the last bucket

export interface HistogramData {
  counts: Record<number, number>;
  n: number;
  sumMs: number;
  maxMs: number;
}

export class Histogram {
  private counts = new Map<number, number>();
  n = 0;
  sumMs = 0;
  maxMs = 0;

  record(ms: number): void {
    const us = Math.max(ms * 1000, 1);
    const i = Math.min(Math.ceil(Math.log(us) / GROWTH), MAX_BUCKET);
    this.counts.set(i, (this.counts.get(i) ?? 0) + 1);
    this.n++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  merge(data: HistogramData): void {
    for (const [k, c] of Object.entries(data.counts)) {
      const i = Number(k);
      this.counts.set(i, (this.counts.get(i) ?? 0) + c);
    }
    this.n += data.n;
    this.sumMs += data.sumMs;
    this.maxMs = Math.max(this.maxMs, data.maxMs);
  }

  /** The value (ms, upper bucket bound) below which fraction `q` of the samples lie; NaN if empty. */
  quantile(q: number): number {
    if (this.n === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (const i of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(i) ?? 0;
      if (seen >= rank) return Math.min(Math.exp(i * GROWTH) / 1000, this.maxMs);
    }
    return this.maxMs;
  }

  get meanMs(): number {
    return this.n === 0 ? Number.NaN : this.sumMs / this.n;
  }

  toData(): HistogramData {
    return { counts: Object.fromEntries(this.counts), n: this.n, sumMs: this.sumMs, maxMs: this.maxMs };
  }

  static from(parts: HistogramData[]): Histogram {
    const h = new Histogram();
    for (const p of parts) h.merge(p);
    return h;
  }
}
