import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import type { CheckpointReport } from "../shadow/commit-thread.ts";
import type { BatchTiming, GroupCommit } from "../shadow/group-commit.ts";

/**
 * A diagnostic timeline of what can hold a shadow request (docs/observability.md "Latency trace"):
 * with `UMBRA_LATENCY_TRACE=<dir>` the node records every commit batch (when it was prepared, its
 * prepare, transaction, fsync and round trip to the commit worker), every WAL checkpoint done off the
 * commit path, every garbage-collection pause, every main-thread stall and the periodic main-thread
 * tasks that report themselves (traceTask: view flush slices, retention ticks), each stamped in ms since
 * the epoch, and writes them to `<dir>/node-<pid>.json` when it stops. `bench/latency-trace.ts` lays
 * the bench clients' requests over it (`npx tsx bench/shadow-bench.ts --trace DIR`). Off by default:
 * its stall timer wakes the loop every 2 ms.
 */

/** One event: [kind, start (epoch ms), duration ms, ...details]. */
export type TraceEvent =
  /** A batch: prepare, round trip (post → answer), worker transaction, worker fsync, requests, oldest request's queue. */
  | ["batch", number, number, number, number, number, number, number]
  | ["checkpoint", number, number, number]
  /** A GC pause and V8's kind (1 minor, 2 major, 4 incremental, 8 weak callbacks). */
  | ["gc", number, number, number]
  /** The main thread did not run its 2-ms timer for this long. */
  | ["stall", number, number]
  /** A periodic main-thread task of the node (traceTask): the fleet's view flush, history retention. */
  | ["task", number, number, TaskKind];

export type TaskKind = "views" | "retention";

let active: LatencyTrace | undefined;

/**
 * Records a periodic main-thread task that started at `startedAt` (performance.now()) and ends now,
 * when a trace is on; nothing otherwise.
 */
export function traceTask(kind: TaskKind, startedAt: number): void {
  if (active) active.task(kind, startedAt);
}

export interface LatencyTraceFile {
  pid: number;
  /** Events recorded before the cap (the rest were dropped). */
  events: TraceEvent[];
  dropped: number;
}

/** Stall timer interval and the lateness recorded as a stall (ms). */
const TICK_MS = 2;
const STALL_MS = 3;
/** At most this many events (about 60 MB of JSON): a trace is for a bench run, not a week. */
const MAX_EVENTS = 1_000_000;

export class LatencyTrace {
  readonly events: TraceEvent[] = [];
  private dropped = 0;
  private readonly observer: PerformanceObserver;
  private readonly timer: NodeJS.Timeout;
  private readonly detach: () => void;

  constructor(
    private readonly dir: string,
    commits: GroupCommit,
  ) {
    const origin = performance.timeOrigin;
    const onBatch = (_size: number, _ms: number, t?: BatchTiming) => {
      if (!t) return;
      const roundTrip = t.commitMs + t.syncMs + t.handoffMs;
      this.add([
        "batch",
        origin + t.startedAt,
        t.prepareMs,
        roundTrip,
        t.commitMs,
        t.syncMs,
        t.requests,
        t.queueMs,
      ]);
    };
    const onCheckpoint = (r: CheckpointReport) => {
      this.add(["checkpoint", r.at ?? origin + performance.now() - r.ms, r.ms, r.frames]);
    };
    commits.batchObservers.push(onBatch);
    commits.checkpointObservers?.push(onCheckpoint);
    this.detach = () => {
      const i = commits.batchObservers.indexOf(onBatch);
      if (i >= 0) commits.batchObservers.splice(i, 1);
      const cps = commits.checkpointObservers;
      const j = cps?.indexOf(onCheckpoint) ?? -1;
      if (cps && j >= 0) cps.splice(j, 1);
    };
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
        this.add(["gc", origin + e.startTime, e.duration, kind]);
      }
    });
    this.observer.observe({ entryTypes: ["gc"] });
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const late = now - last - TICK_MS;
      if (late >= STALL_MS) this.add(["stall", origin + last + TICK_MS, late]);
      last = now;
    }, TICK_MS);
    this.timer.unref();
    active = this;
  }

  task(kind: TaskKind, startedAt: number): void {
    this.add(["task", performance.timeOrigin + startedAt, performance.now() - startedAt, kind]);
  }

  private add(e: TraceEvent): void {
    if (this.events.length < MAX_EVENTS) this.events.push(e);
    else this.dropped++;
  }

  /** Stops recording and writes the file; returns its path. */
  stop(): string {
    clearInterval(this.timer);
    if (active === this) active = undefined;
    this.observer.disconnect();
    this.detach();
    const path = join(this.dir, `node-${process.pid}.json`);
    const file: LatencyTraceFile = { pid: process.pid, events: this.events, dropped: this.dropped };
    writeFileSync(path, JSON.stringify(file));
    return path;
  }
}
