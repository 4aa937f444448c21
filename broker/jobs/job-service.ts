import { randomBytes } from "node:crypto";
import type { Principal } from "../../shared/acl.ts";
import { mayOperate, mayReadFleet } from "../../shared/acl.ts";
import { type DryRun, unconfirmedDestructive } from "../../shared/jobs-plan.ts";
import { type Counts, emptyCounts, THING_STATUSES } from "../../shared/jobs-rollout.ts";
import { JobError, parseJobSpec } from "../../shared/jobs-spec.ts";
import type { JsonObject, JsonValue } from "../../shared/json.ts";
import type { ShadowService } from "../shadow/shadow-service.ts";
import type { ClaimRegistry } from "./claim-registry.ts";
import { creatorOf, planNow } from "./job-planner.ts";
import type { JobRunner, LiveJob } from "./job-runner.ts";
import type { JobRow, JobStore, ThingRow } from "./job-store.ts";
import type { TargetResolver } from "./target-resolver.ts";

export function mayRead(p: Principal): void {
  if (!mayReadFleet(p)) throw new JobError(403, "forbidden", `role ${p.role} may not read jobs or claims`);
}

export function mayWrite(p: Principal): void {
  if (!mayOperate(p)) throw new JobError(403, "forbidden", `role ${p.role} may not run jobs or claim things`);
}

/** Jobs of one node: dry run, create, read, control (docs/jobs.md). */
export class JobService {
  constructor(
    private readonly store: JobStore,
    private readonly runner: JobRunner,
    private readonly service: ShadowService,
    private readonly claims: ClaimRegistry,
    private readonly resolver: TargetResolver,
  ) {}

  /** The job interpreted without writing: per thing, the diff and any refusal. */
  dryRun(body: JsonValue, who: Principal): DryRun {
    mayWrite(who);
    const spec = parseJobSpec(body);
    const plans = this.resolver
      .resolve(spec.target)
      .map((t) => planNow(this.service, this.claims, spec, who, t));
    const refused: Record<string, number> = {};
    let wouldChange = 0;
    let wouldWait = 0;
    let noop = 0;
    for (const p of plans) {
      if (p.refused) refused[p.refused.code] = (refused[p.refused.code] ?? 0) + 1;
      else if (p.changes.length > 0) wouldChange++;
      else if (p.pending.length > 0) wouldWait++;
      else noop++;
    }
    const destructive = spec.confirm ? [] : unconfirmedDestructive(spec);
    return {
      things: plans.length,
      wouldChange,
      wouldWait,
      noop,
      refused,
      destructive,
      confirmRequired: destructive.length > 0,
      plans,
    };
  }

  create(body: JsonValue, who: Principal): JsonObject {
    mayWrite(who);
    const spec = parseJobSpec(body);
    const destructive = unconfirmedDestructive(spec);
    if (destructive.length > 0) {
      throw new JobError(
        400,
        "confirm_required",
        `the job writes destructive values (${destructive.join(", ")}); run a dry run and confirm (confirm: true, --confirm)`,
      );
    }
    const things = this.resolver.resolve(spec.target);
    if (things.length === 0) throw new JobError(400, "empty_target", "the target matches no things");
    const now = Math.floor(Date.now() / 1000);
    const row: JobRow = {
      id: `j-${randomBytes(4).toString("hex")}`,
      spec,
      state: "running",
      creator: creatorOf(who),
      createdAt: now,
      updatedAt: now,
      cursor: { batch: 0, startedInBatch: 0, nextWriteAt: 0 },
    };
    this.store.insert(row, things);
    const job = this.runner.run(row, this.store.things(row.id));
    return summary(job.row, job.counts);
  }

  list(who: Principal): JsonObject[] {
    mayRead(who);
    return this.store.all().map((row) => {
      const live = this.runner.get(row.id);
      return live ? summary(live.row, live.counts) : summary(row, countsOf(this.store.things(row.id)));
    });
  }

  /** The job with its counts and, unless `withThings` is false, every thing's outcome. */
  get(id: string, who: Principal, withThings = true): JsonObject {
    mayRead(who);
    const { row, things, counts } = this.load(id);
    const out = summary(row, counts);
    if (withThings) out.things = things.map(thingJson);
    return out;
  }

  control(id: string, action: "pause" | "resume" | "cancel", who: Principal): JsonObject {
    mayWrite(who);
    const live = this.runner.get(id);
    if (!live) {
      const row = this.store.get(id);
      if (!row) throw notFound(id);
      throw new JobError(409, "job_finished", `job ${id} is ${row.state}`);
    }
    if (action === "pause") this.runner.pause(live);
    else if (action === "resume") this.runner.resume(live);
    else this.runner.cancel(live, who.name);
    const out = summary(live.row, live.counts);
    if (action === "cancel") {
      out.written = live.things.filter((t) => t.written).map((t) => t.thing);
      out.notStarted = live.counts.cancelled;
    }
    return out;
  }

  /** The runner's `job` and `thing` events (the stream listens). */
  get events(): JobRunner {
    return this.runner;
  }

  /** A live job (for the stream), or undefined when it is over. */
  live(id: string): LiveJob | undefined {
    return this.runner.get(id);
  }

  private load(id: string): { row: JobRow; things: ThingRow[]; counts: Counts } {
    const live = this.runner.get(id);
    if (live) return { row: live.row, things: live.things, counts: live.counts };
    const row = this.store.get(id);
    if (!row) throw notFound(id);
    const things = this.store.things(id);
    return { row, things, counts: countsOf(things) };
  }
}

const notFound = (id: string) => new JobError(404, "unknown_job", `No job '${id}'`);

function countsOf(things: readonly ThingRow[]): Counts {
  const c = emptyCounts();
  for (const t of things) c[t.status]++;
  c.total = things.length;
  return c;
}

export function summary(row: JobRow, counts: Counts): JsonObject {
  const c: JsonObject = { total: counts.total };
  for (const s of THING_STATUSES) c[s] = counts[s];
  const out: JsonObject = {
    id: row.id,
    state: row.state,
    target: row.spec.target as JsonObject,
    shadow: row.spec.shadow,
    createdBy: row.creator.name,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    batch: row.cursor.batch,
    counts: c,
  };
  if (row.spec.patch) out.patch = row.spec.patch;
  if (row.spec.command) out.command = row.spec.command;
  if (row.spec.description) out.description = row.spec.description;
  if (row.reason) out.reason = row.reason;
  return out;
}

export function thingJson(t: ThingRow): JsonObject {
  const out: JsonObject = { thing: t.thing, status: t.status, written: t.written };
  if (t.reason) out.reason = t.reason;
  if (t.startedAt !== undefined) out.startedAt = t.startedAt;
  if (t.finishedAt !== undefined) out.finishedAt = t.finishedAt;
  return out;
}
