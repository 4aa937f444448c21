import type { Role } from "../../shared/acl.ts";
import type { JobState, RolloutCursor, ThingStatus } from "../../shared/jobs-rollout.ts";
import type { JobSpec } from "../../shared/jobs-spec.ts";
import type { Db } from "../store/database.ts";

/** Who created a job: its writes are made as this principal (the grant kept as its patterns' sources). */
export interface JobCreator {
  name: string;
  role: Role;
  things: string[];
}

export interface JobRow {
  id: string;
  spec: JobSpec;
  state: JobState;
  creator: JobCreator;
  createdAt: number;
  updatedAt: number;
  cursor: RolloutCursor;
  /** Why the job was aborted or cancelled. */
  reason?: string;
}

export interface ThingRow {
  seq: number;
  thing: string;
  status: ThingStatus;
  reason?: string;
  /** Whether the job wrote this thing's desired (what a cancel reports). */
  written: boolean;
  startedAt?: number;
  /** ms: a waiting thing fails after this. */
  deadline?: number;
  finishedAt?: number;
}

interface DbThing {
  seq: number;
  thing: string;
  status: string;
  reason: string | null;
  written: number;
  started_at: number | null;
  deadline: number | null;
  finished_at: number | null;
}

interface DbJob {
  id: string;
  spec: string;
  state: string;
  creator: string;
  created_at: number;
  updated_at: number;
  cursor: string;
  reason: string | null;
}

/** Jobs and their per-thing rows in the node's umbra.db (tables `jobs`, `job_things`: broker/store/migrations.ts). */
export class JobStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      insertJob: db.prepare(
        `INSERT INTO jobs (id, spec, state, creator, created_at, updated_at, cursor, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      updateJob: db.prepare("UPDATE jobs SET state = ?, updated_at = ?, cursor = ?, reason = ? WHERE id = ?"),
      insertThing: db.prepare(
        "INSERT INTO job_things (job_id, seq, thing, status) VALUES (?, ?, ?, 'pending')",
      ),
      updateThing: db.prepare(
        `UPDATE job_things SET status = ?, reason = ?, written = ?, started_at = ?, deadline = ?, finished_at = ?
         WHERE job_id = ? AND seq = ?`,
      ),
      jobs: db.prepare("SELECT * FROM jobs ORDER BY created_at, id"),
      job: db.prepare("SELECT * FROM jobs WHERE id = ?"),
      things: db.prepare("SELECT * FROM job_things WHERE job_id = ? ORDER BY seq"),
    };
  }

  /** A new job and its things (pending, in target order), in one transaction. */
  insert(job: JobRow, things: readonly string[]): void {
    this.db.transaction(() => {
      this.q.insertJob.run(
        job.id,
        JSON.stringify(job.spec),
        job.state,
        JSON.stringify(job.creator),
        job.createdAt,
        job.updatedAt,
        JSON.stringify(job.cursor),
        job.reason ?? null,
      );
      things.forEach((t, seq) => {
        this.q.insertThing.run(job.id, seq, t);
      });
    })();
  }

  /** Saves the job's state and the given thing rows in one transaction (one fsync). */
  save(job: JobRow, rows: Iterable<ThingRow>): void {
    this.db.transaction(() => {
      this.q.updateJob.run(job.state, job.updatedAt, JSON.stringify(job.cursor), job.reason ?? null, job.id);
      for (const r of rows) {
        this.q.updateThing.run(
          r.status,
          r.reason ?? null,
          r.written ? 1 : 0,
          r.startedAt ?? null,
          r.deadline ?? null,
          r.finishedAt ?? null,
          job.id,
          r.seq,
        );
      }
    })();
  }

  all(): JobRow[] {
    return (this.q.jobs.all() as DbJob[]).map(jobOf);
  }

  get(id: string): JobRow | undefined {
    const row = this.q.job.get(id) as DbJob | undefined;
    return row ? jobOf(row) : undefined;
  }

  things(id: string): ThingRow[] {
    return (this.q.things.all(id) as DbThing[]).map((r) => {
      const out: ThingRow = {
        seq: r.seq,
        thing: r.thing,
        status: r.status as ThingStatus,
        written: r.written === 1,
      };
      if (r.reason !== null) out.reason = r.reason;
      if (r.started_at !== null) out.startedAt = r.started_at;
      if (r.deadline !== null) out.deadline = r.deadline;
      if (r.finished_at !== null) out.finishedAt = r.finished_at;
      return out;
    });
  }
}

function jobOf(r: DbJob): JobRow {
  const job: JobRow = {
    id: r.id,
    spec: JSON.parse(r.spec) as JobSpec,
    state: r.state as JobState,
    creator: JSON.parse(r.creator) as JobCreator,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    cursor: JSON.parse(r.cursor) as RolloutCursor,
  };
  if (r.reason !== null) job.reason = r.reason;
  return job;
}
