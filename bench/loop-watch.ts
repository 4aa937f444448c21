import { Histogram } from "./histogram.ts";

/** The client's own event-loop delay during a phase, so that a stall of the load generator is told apart from the node's. */
export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
  /** Worst delay in each second of the phase. */
  maxBySecondMs: number[];
}

const TICK_MS = 2;

/**
 * Measures how late a `TICK_MS` interval fires in this process: while its event loop is busy (parsing
 * a burst of replies, a GC pause) every reply waiting behind it is timestamped late, and the bench would
 * blame the broker. perf_hooks' monitorEventLoopDelay gives no per-second view, hence this small timer.
 */
export class LoopWatch {
  private readonly hist = new Histogram();
  private readonly bySecond: number[] = [];
  private last: number;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly t0: number) {
    this.last = performance.now();
    this.timer = setInterval(() => {
      const t = performance.now();
      const late = Math.max(0, t - this.last - TICK_MS);
      this.last = t;
      this.hist.record(late);
      const s = Math.max(0, Math.floor((t - this.t0) / 1000));
      this.bySecond[s] = Math.max(this.bySecond[s] ?? 0, late);
    }, TICK_MS);
  }

  stop(): LoopDelay {
    clearInterval(this.timer);
    return {
      p99Ms: this.hist.quantile(0.99),
      maxMs: this.hist.maxMs,
      maxBySecondMs: Array.from(this.bySecond, (v) => Math.round(v ?? 0)),
    };
  }
}
