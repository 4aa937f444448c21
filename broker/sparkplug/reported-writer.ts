import type { JsonObject } from "../../shared/json.ts";

/**
 * Rate-bounded `reported.metrics` updates from DATA: values of one thing are merged and written at
 * most once per interval (the first change at once, later ones at the end of the interval), so a
 * device sending 100 samples/s costs one shadow change per interval, not 100. An urgent value (one
 * that closes a desired/reported delta) is written at once so commands complete promptly.
 */
export class ReportedWriter {
  private readonly pending = new Map<string, JsonObject>();
  private readonly lastWrite = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly write: (thing: string, metrics: JsonObject) => Promise<void>,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  queue(thing: string, values: JsonObject, urgent = false): void {
    if (this.closed || Object.keys(values).length === 0) return;
    this.pending.set(thing, { ...this.pending.get(thing), ...values });
    const due = (this.lastWrite.get(thing) ?? Number.NEGATIVE_INFINITY) + this.intervalMs;
    const wait = urgent ? 0 : Math.max(0, due - this.now());
    const timer = this.timers.get(thing);
    if (timer !== undefined && (wait > 0 || !urgent)) return; // already scheduled
    if (timer !== undefined) clearTimeout(timer);
    this.timers.set(
      thing,
      setTimeout(() => this.flush(thing), wait),
    );
  }

  /** Writes everything pending now (on close). */
  async close(): Promise<void> {
    this.closed = true;
    for (const thing of [...this.timers.keys()]) this.flush(thing);
    await Promise.all([...this.inflight]);
  }

  private flush(thing: string): void {
    const timer = this.timers.get(thing);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(thing);
    const values = this.pending.get(thing);
    this.pending.delete(thing);
    if (values === undefined) return;
    this.lastWrite.set(thing, this.now());
    const p = this.write(thing, values).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }
}
