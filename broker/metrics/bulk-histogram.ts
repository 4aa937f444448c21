import type { Metric, Registry } from "prom-client";

/**
 * A histogram without labels that is fed in bulk and allocates nothing per observation:
 * `observe(value, times)` counts one value for each of a batch's requests. prom-client's
 * `Histogram.observe` makes several objects per call (its closure, the labels, their pair), and the
 * commit metrics observe six values per request on the broker's main thread. Registered in the registry
 * as a histogram like any other (`_bucket{le}`, `_sum`, `_count`).
 */
export class BulkHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  /** Per bucket (the last one: +Inf), the observations in it (not cumulative). */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    this.counts = new Float64Array(buckets.length + 1);
    registry.registerMetric(this as unknown as Metric);
  }

  observe(value: number, times = 1): void {
    const b = this.buckets;
    let i = 0;
    while (i < b.length && value > (b[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + times;
    this.sum += value * times;
    this.count += times;
  }

  /** What prom-client's registry reads at a scrape. */
  async get() {
    const values: { value: number; labels: Record<string, string | number>; metricName: string }[] = [];
    let cumulative = 0;
    for (let i = 0; i <= this.buckets.length; i++) {
      cumulative += this.counts[i] as number;
      const le = i < this.buckets.length ? (this.buckets[i] as number) : "+Inf";
      values.push({ value: cumulative, labels: { le }, metricName: `${this.name}_bucket` });
    }
    values.push({ value: this.sum, labels: {}, metricName: `${this.name}_sum` });
    values.push({ value: this.count, labels: {}, metricName: `${this.name}_count` });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
