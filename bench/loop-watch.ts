import { constants, PerformanceObserver } from "node:perf_hooks";
import { Histogram } from "./histogram.ts";

/** The client's own event-loop delay during a phase, so that a stall of the load generator is told apart from the node's. */
export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
  /** Worst delay in each second of the phase. */
  maxBySecondMs: number[];
  /** This process's garbage collections during the phase: the longest pause, and the full (major) ones. */
  gcMaxMs: number;
  gcMajor: number;
  gcMajorMaxMs: number;
  /** JS heap in use at the end of the phase (MiB): the larger, the longer a full collection pauses. */
  heapUsedMiB: number;
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
  private readonly gc = { maxMs: 0, major: 0, majorMaxMs: 0 };
  private readonly gcObserver: PerformanceObserver;

  constructor(private readonly t0: number) {
    this.gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.gc.maxMs = Math.max(this.gc.maxMs, e.duration);
        if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
          this.gc.major++;
          this.gc.majorMaxMs = Math.max(this.gc.majorMaxMs, e.duration);
        }
      }
    });
    this.gcObserver.observe({ entryTypes: ["gc"] });
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
    this.gcObserver.disconnect();
    return {
      gcMaxMs: this.gc.maxMs,
      gcMajor: this.gc.major,
      gcMajorMaxMs: this.gc.majorMaxMs,
      heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
      p99Ms: this.hist.quantile(0.99),
      maxMs: this.hist.maxMs,
      maxBySecondMs: Array.from(this.bySecond, (v) => Math.round(v ?? 0)),
    };
  }
}
