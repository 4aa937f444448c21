import { EventEmitter } from "node:events";
import type { Principal } from "../../shared/acl.ts";
import { hasConverged } from "../../shared/jobs-plan.ts";
import {
  afterStart,
  type Counts,
  DEFAULT_TIMEOUT_SECONDS,
  decide,
  emptyCounts,
  nextBatch,
  TERMINAL_STATES,
  type ThingStatus,
} from "../../shared/jobs-rollout.ts";
import { jobWrite } from "../../shared/jobs-spec.ts";
import type { Logger } from "../../shared/logger.ts";
import type { ShadowChange, ShadowService } from "../shadow/shadow-service.ts";
import type { ClaimRegistry } from "./claim-registry.ts";
import { creatorPrincipal, planNow } from "./job-planner.ts";
import type { JobRow, JobStore, ThingRow } from "./job-store.ts";
import { WaitingThings } from "./waiting-things.ts";

/** A job being run: its rows in memory, counts, and the things it waits for. */
export interface LiveJob {
  row: JobRow;
  things: ThingRow[];
  counts: Counts;
  who: Principal;
  /** No pending thing before this index. */
  scan: number;
  waiting: Map<string, ThingRow>;
  dirty: Set<ThingRow>;
  timer?: NodeJS.Timeout;
  flushTimer?: NodeJS.Timeout | undefined;
  pumping: boolean;
  again: boolean;
}

const DEADLINE_CHECK_MS = 1000;
/** Progress is saved at most this often (a restart repeats at most this much of a patch job). */
const FLUSH_MS = 1000;
/** Bounds one pump: a job of any size still yields to the event loop between rounds. */
const MAX_ROUNDS = 1000;

/**
 * Runs jobs (docs/jobs.md): asks the pure rollout (`decide`) what to do, writes through the shadow
 * service as the job's creator, watches `change` events for convergence, fails things at their
 * deadline, and saves every step in SQLite so a restarted node resumes where it was.
 */
export class JobRunner extends EventEmitter<{ job: [LiveJob]; thing: [LiveJob, ThingRow] }> {
  private readonly live = new Map<string, LiveJob>();
  private readonly waiters = new WaitingThings<LiveJob>();
  private readonly deadlines: NodeJS.Timeout;
  private closed = false;
  private readonly onChange = (c: ShadowChange) => this.changed(c);

  constructor(
    private readonly store: JobStore,
    private readonly service: ShadowService,
    private readonly claims: ClaimRegistry,
    private readonly log: Logger,
  ) {
    super();
    service.on("change", this.onChange);
    this.deadlines = setInterval(() => this.checkDeadlines(), DEADLINE_CHECK_MS);
    this.deadlines.unref();
  }

  /** Loads every job that is not over (or still has things in flight) and resumes it. */
  resumeAll(): number {
    let n = 0;
    for (const row of this.store.all()) {
      const things = this.store.things(row.id);
      if (
        TERMINAL_STATES.has(row.state) &&
        !things.some((t) => t.status === "writing" || t.status === "waiting")
      ) {
        continue;
      }
      const job = this.track(row, things);
      for (const r of things) {
        if (r.status !== "writing") continue;
        if (row.spec.command !== undefined) {
          // It may have run already: a job never repeats a one-shot command.
          this.setStatus(
            job,
            r,
            "failed",
            "interrupted: the node restarted while writing a one-shot command",
          );
        } else {
          this.setStatus(job, r, "pending");
          job.scan = Math.min(job.scan, r.seq);
          row.cursor = { ...row.cursor, startedInBatch: Math.max(0, row.cursor.startedInBatch - 1) };
        }
      }
      for (const r of [...job.waiting.values()]) this.checkConverged(job, r);
      this.schedule(job);
      n++;
    }
    return n;
  }

  /** Starts a job that was just stored. */
  run(row: JobRow, things: ThingRow[]): LiveJob {
    const job = this.track(row, things);
    this.schedule(job);
    return job;
  }

  get(id: string): LiveJob | undefined {
    return this.live.get(id);
  }

  pause(job: LiveJob): void {
    if (job.row.state !== "running") return;
    this.setState(job, "paused");
  }

  resume(job: LiveJob): void {
    if (job.row.state !== "paused") return;
    this.setState(job, "running");
    this.schedule(job);
  }

  /** Starts no further thing; things already written are still watched until they finish. */
  cancel(job: LiveJob, by: string): void {
    if (TERMINAL_STATES.has(job.row.state)) return;
    this.stopPending(job, "not started: the job was cancelled");
    this.setState(job, "cancelled", `cancelled by '${by}'`);
    this.schedule(job);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.deadlines);
    this.service.off("change", this.onChange);
    for (const job of this.live.values()) {
      clearTimeout(job.timer);
      if (job.dirty.size > 0) this.flush(job);
    }
  }

  private track(row: JobRow, things: ThingRow[]): LiveJob {
    const counts = emptyCounts();
    const job: LiveJob = {
      row,
      things,
      counts,
      who: creatorPrincipal(row.creator),
      scan: 0,
      waiting: new Map(),
      dirty: new Set(),
      pumping: false,
      again: false,
    };
    for (const r of things) {
      counts[r.status]++;
      if (r.status === "waiting") this.waiters.watch(job, r);
    }
    counts.total = things.length;
    this.live.set(row.id, job);
    return job;
  }

  private schedule(job: LiveJob): void {
    if (this.closed) return;
    if (job.pumping) {
      job.again = true;
      return;
    }
    job.pumping = true;
    this.pump(job)
      .catch((err: unknown) => this.log.error({ err, job: job.row.id }, "job runner failed"))
      .finally(() => {
        job.pumping = false;
        if (job.again) {
          job.again = false;
          setImmediate(() => this.schedule(job));
        }
      });
  }

  private async pump(job: LiveJob): Promise<void> {
    const spec = job.row.spec;
    for (let round = 0; round < MAX_ROUNDS && !this.closed; round++) {
      const now = Date.now();
      const d = decide(spec, job.row.state, job.counts, job.row.cursor, now);
      switch (d.kind) {
        case "start": {
          const writes = this.startThings(job, d.count, now);
          job.row.cursor = afterStart(spec, job.row.cursor, d.count, now);
          // A one-shot command is `writing` on disk before it is written (never repeated after a
          // crash); a patch is idempotent, so its rows are saved with the next flush.
          if (spec.command !== undefined) this.flush(job);
          else this.flushSoon(job);
          await Promise.all(writes.map((r) => this.write(job, r)));
          // Narrows the window in which a restart cannot tell whether a command was written.
          if (spec.command !== undefined) this.flush(job);
          break;
        }
        case "next-batch":
          job.row.cursor = nextBatch(job.row.cursor);
          break;
        case "abort":
          this.stopPending(job, `not started: the job was aborted (${d.reason})`);
          this.setState(job, "aborted", d.reason);
          break;
        case "end":
          this.setState(job, d.state);
          this.live.delete(job.row.id);
          return;
        case "idle":
          this.flush(job);
          this.live.delete(job.row.id);
          return;
        case "wait":
          this.flushSoon(job);
          if (d.untilMs !== undefined) {
            clearTimeout(job.timer);
            job.timer = setTimeout(() => this.schedule(job), Math.max(1, d.untilMs - now));
          }
          return;
      }
    }
    if (!this.closed) setImmediate(() => this.schedule(job));
  }

  /** Plans the next `count` pending things; returns those that need a write (now `writing`). */
  private startThings(job: LiveJob, count: number, now: number): ThingRow[] {
    const spec = job.row.spec;
    const writes: ThingRow[] = [];
    let started = 0;
    for (; job.scan < job.things.length && started < count; job.scan++) {
      const r = job.things[job.scan] as ThingRow;
      if (r.status !== "pending") continue;
      started++;
      r.startedAt = now;
      const plan = planNow(this.service, this.claims, spec, job.who, r.thing, false);
      if (plan.refused?.code === "claim") this.setStatus(job, r, "skipped", plan.refused.reason);
      else if (plan.refused) this.setStatus(job, r, "failed", `${plan.refused.code}: ${plan.refused.reason}`);
      else if (plan.noop) this.setStatus(job, r, "converged", "already in the desired state");
      else if (plan.changes.length === 0)
        this.waitFor(job, r, now, "already desired; waiting for the device");
      else {
        this.setStatus(job, r, "writing");
        writes.push(r);
      }
    }
    return writes;
  }

  private async write(job: LiveJob, r: ThingRow): Promise<void> {
    const { id, spec } = job.row;
    const addr = { thing: r.thing, shadow: spec.shadow };
    let token = `job:${id}:${r.thing}`;
    if (Buffer.byteLength(token) > 64) token = `job:${id}:#${r.seq}`;
    const res = await this.service.update(
      addr,
      { state: { desired: jobWrite(spec) }, clientToken: token },
      job.who,
    );
    if (!res.ok) {
      const { code, message } = res.error;
      const claimed = code === 409 && message.includes("maintenance claim");
      this.setStatus(job, r, claimed ? "skipped" : "failed", `${code}: ${message}`);
      return;
    }
    r.written = true;
    if (spec.rollout.waitForConvergence === false) this.setStatus(job, r, "converged", "write accepted");
    else this.waitFor(job, r, Date.now(), undefined);
  }

  private waitFor(job: LiveJob, r: ThingRow, now: number, reason: string | undefined): void {
    r.deadline = now + (job.row.spec.rollout.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
    this.setStatus(job, r, "waiting", reason);
    this.waiters.watch(job, r);
    this.checkConverged(job, r);
  }

  private checkConverged(job: LiveJob, r: ThingRow): void {
    const view = this.service.peek({ thing: r.thing, shadow: job.row.spec.shadow });
    if (view.exists && hasConverged(job.row.spec, view.desired, view.reported)) {
      this.setStatus(job, r, "converged");
    }
  }

  private changed(c: ShadowChange): void {
    for (const [job, r] of this.waiters.of(c.addr.thing)) {
      if (job.row.spec.shadow !== c.addr.shadow) continue;
      if (c.current.exists && hasConverged(job.row.spec, c.current.desired, c.current.reported)) {
        this.setStatus(job, r, "converged");
        this.schedule(job);
      }
    }
  }

  private checkDeadlines(): void {
    const now = Date.now();
    for (const job of this.live.values()) {
      let expired = false;
      for (const r of [...job.waiting.values()]) {
        if ((r.deadline ?? Number.POSITIVE_INFINITY) > now) continue;
        const s = job.row.spec.rollout.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
        this.setStatus(
          job,
          r,
          "failed",
          job.row.spec.command !== undefined
            ? `timeout: the device did not clear the command within ${s} s`
            : `timeout: reported did not match desired within ${s} s`,
        );
        expired = true;
      }
      if (expired) this.schedule(job);
    }
  }

  private stopPending(job: LiveJob, reason: string): void {
    for (let i = job.scan; i < job.things.length; i++) {
      const r = job.things[i] as ThingRow;
      if (r.status === "pending") this.setStatus(job, r, "cancelled", reason);
    }
  }

  private setStatus(job: LiveJob, r: ThingRow, status: ThingStatus, reason?: string): void {
    job.counts[r.status]--;
    job.counts[status]++;
    r.status = status;
    if (reason === undefined) delete r.reason;
    else r.reason = reason;
    if (status === "converged" || status === "failed" || status === "skipped" || status === "cancelled") {
      r.finishedAt = Date.now();
      delete r.deadline;
      this.waiters.unwatch(job, r);
    }
    job.dirty.add(r);
    this.emit("thing", job, r);
  }

  private setState(job: LiveJob, state: JobRow["state"], reason?: string): void {
    job.row.state = state;
    if (reason !== undefined) job.row.reason = reason;
    this.flush(job);
    this.emit("job", job);
  }

  /** Saves the job and its changed rows now (one transaction): state changes, around command writes. */
  flush(job: LiveJob): void {
    clearTimeout(job.flushTimer);
    job.flushTimer = undefined;
    job.row.updatedAt = Math.floor(Date.now() / 1000);
    this.store.save(job.row, job.dirty);
    job.dirty.clear();
  }

  /** Coalesces saves: one transaction (one fsync) per FLUSH_MS at most while things progress. */
  private flushSoon(job: LiveJob): void {
    if (job.flushTimer || job.dirty.size === 0 || this.closed) return;
    job.flushTimer = setTimeout(() => {
      job.flushTimer = undefined;
      if (!this.closed) this.flush(job);
    }, FLUSH_MS);
  }
}
