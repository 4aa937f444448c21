import type { AbortSpec, JobSpec, RolloutSpec } from "./jobs-spec.ts";

/** The rollout state machine of a job (docs/jobs.md), pure: the runner asks `decide` what to do next. */

export type JobState = "running" | "paused" | "succeeded" | "failed" | "aborted" | "cancelled";
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set([
  "succeeded",
  "failed",
  "aborted",
  "cancelled",
]);

export type ThingStatus =
  | "pending"
  | "skipped"
  | "writing"
  | "waiting"
  | "converged"
  | "failed"
  | "cancelled";
export const THING_STATUSES: readonly ThingStatus[] = [
  "pending",
  "skipped",
  "writing",
  "waiting",
  "converged",
  "failed",
  "cancelled",
];

export type Counts = Record<ThingStatus, number> & { total: number };

export function emptyCounts(): Counts {
  return { pending: 0, skipped: 0, writing: 0, waiting: 0, converged: 0, failed: 0, cancelled: 0, total: 0 };
}

/** Where the rollout is: the batch, how many of it were started, when the next write may start (ms). */
export interface RolloutCursor {
  batch: number;
  startedInBatch: number;
  nextWriteAt: number;
}

export const DEFAULT_BATCH_SIZE = 10;
export const DEFAULT_TIMEOUT_SECONDS = 300;
export const DEFAULT_MIN_FINISHED = 10;

/** Things in batch `batch` (0-based): fixed, or start·factor^batch capped at max. */
export function batchSize(rollout: RolloutSpec, batch: number): number {
  const r = rollout.ramp;
  if (!r) return rollout.batchSize ?? DEFAULT_BATCH_SIZE;
  return Math.min(r.max, Math.max(1, Math.floor(r.start * r.factor ** Math.min(batch, 64))));
}

/** Why the job must abort now, or null: failures reached maxFailures, or maxFailurePercent of finished. */
export function abortReason(abort: AbortSpec, counts: Counts): string | null {
  if (abort.maxFailures !== undefined && counts.failed >= abort.maxFailures) {
    return `${counts.failed} things failed (abort at ${abort.maxFailures})`;
  }
  const finished = counts.converged + counts.failed;
  const min = abort.minFinished ?? DEFAULT_MIN_FINISHED;
  if (abort.maxFailurePercent !== undefined && finished >= min && finished > 0) {
    const pct = (counts.failed * 100) / finished;
    if (pct >= abort.maxFailurePercent) {
      return `${counts.failed} of ${finished} finished things failed (${pct.toFixed(1)} %, abort at ${abort.maxFailurePercent} %)`;
    }
  }
  return null;
}

export type Decision =
  /** Start this many pending things now (in target order). */
  | { kind: "start"; count: number }
  /** Nothing to start now; look again at `untilMs` (absent: when a thing finishes or the job is resumed). */
  | { kind: "wait"; untilMs?: number }
  /** The current batch is done: move the cursor to the next batch. */
  | { kind: "next-batch" }
  /** Abort: start nothing more. */
  | { kind: "abort"; reason: string }
  /** Every thing is finished: the job ends in this state. */
  | { kind: "end"; state: "succeeded" | "failed" }
  /** The job is over and nothing is in flight. */
  | { kind: "idle" };

export function decide(
  spec: JobSpec,
  state: JobState,
  counts: Counts,
  cursor: RolloutCursor,
  nowMs: number,
): Decision {
  const active = counts.writing + counts.waiting;
  if (TERMINAL_STATES.has(state)) return active > 0 ? { kind: "wait" } : { kind: "idle" };
  const reason = abortReason(spec.abort, counts);
  if (reason !== null) return { kind: "abort", reason };
  if (counts.pending === 0 && active === 0)
    return { kind: "end", state: counts.failed > 0 ? "failed" : "succeeded" };
  if (state === "paused" || counts.pending === 0) return { kind: "wait" };
  const size = batchSize(spec.rollout, cursor.batch);
  if (cursor.startedInBatch >= size) return active > 0 ? { kind: "wait" } : { kind: "next-batch" };
  const room = Math.min(size - cursor.startedInBatch, counts.pending);
  const rate = spec.rollout.ratePerMinute;
  if (rate === undefined) return { kind: "start", count: room };
  if (nowMs < cursor.nextWriteAt) return { kind: "wait", untilMs: cursor.nextWriteAt };
  // Writes the rate allows since nextWriteAt (at least one), so a fast rate is not held to one per
  // tick; an idle time banks at most BURST_MS worth of writes.
  const interval = 60_000 / rate;
  const from = Math.max(cursor.nextWriteAt, earliest(nowMs, interval));
  const allowed = 1 + Math.floor((nowMs - from) / interval);
  return { kind: "start", count: Math.min(room, allowed) };
}

/** A paced rollout may catch up at most this much time after being idle. */
const BURST_MS = 1000;
const earliest = (nowMs: number, interval: number) => nowMs - Math.max(0, BURST_MS - interval);

/** The cursor after starting `count` things at `nowMs`. */
export function afterStart(
  spec: JobSpec,
  cursor: RolloutCursor,
  count: number,
  nowMs: number,
): RolloutCursor {
  const rate = spec.rollout.ratePerMinute;
  const next = { ...cursor, startedInBatch: cursor.startedInBatch + count };
  if (rate !== undefined) {
    const interval = 60_000 / rate;
    next.nextWriteAt = Math.max(cursor.nextWriteAt, earliest(nowMs, interval)) + count * interval;
  }
  return next;
}

export const nextBatch = (cursor: RolloutCursor): RolloutCursor => ({
  ...cursor,
  batch: cursor.batch + 1,
  startedInBatch: 0,
});
