import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";
import { isValidShadowName, isValidThingName } from "./topics.ts";

/**
 * A job (docs/jobs.md): what it touches, what it writes, how it rolls out, when it gives up. Pure
 * validation of the JSON a client sends; the broker resolves the target and runs it.
 */
export interface JobTarget {
  /** A fleet query (docs/fleet.md). */
  q?: string;
  /** A system: every thing it contains, through subsystems. */
  system?: string;
  /** Explicit thing names. */
  things?: string[];
}

export interface RampSpec {
  /** Things in the first batch. */
  start: number;
  /** Each batch is this many times the previous one (> 1). */
  factor: number;
  /** No batch is larger. */
  max: number;
}

export interface RolloutSpec {
  /** Fixed batch size (default 10) unless `ramp` is given. */
  batchSize?: number;
  ramp?: RampSpec;
  /** At most this many writes per minute (default: unpaced). */
  ratePerMinute?: number;
  /** A written thing that has not converged after this long fails (default 300). */
  timeoutSeconds?: number;
  /** false: a thing is done once its write is accepted (default true). */
  waitForConvergence?: boolean;
}

export interface AbortSpec {
  /** Abort once this many things failed. */
  maxFailures?: number;
  /** Abort once this percentage of finished things failed (after `minFinished` finished). */
  maxFailurePercent?: number;
  /** The percent rule applies from this many finished things on (default 10). */
  minFinished?: number;
}

export interface DestructiveRule {
  /** Dotted path; `*` matches one key. */
  path: string;
  /** Destructive only for these values (default: any value). */
  values?: JsonValue[];
}

export interface JobSpec {
  target: JobTarget;
  /** Named shadow ("" = classic). */
  shadow: string;
  /** A desired patch (`null` deletes a key) — exactly one of patch and command. */
  patch?: JsonObject;
  /** A one-shot command: a desired write the device removes once it ran. */
  command?: JsonObject;
  description?: string;
  /** Confirms destructive values. */
  confirm: boolean;
  destructive: DestructiveRule[];
  rollout: RolloutSpec;
  abort: AbortSpec;
}

export class JobError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const bad = (message: string) => new JobError(400, "invalid_job", message);

function positiveInt(v: unknown, name: string, max = 1_000_000): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
    throw bad(`${name} must be an integer from 1 to ${max}`);
  }
  return v;
}

function positiveNumber(v: unknown, name: string, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > max) {
    throw bad(`${name} must be a number above 0 and at most ${max}`);
  }
  return v;
}

function only(o: JsonObject, allowed: string[], what: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw bad(`unknown ${what} field '${k}'`);
}

function parseTarget(v: JsonValue | undefined): JobTarget {
  if (!isJsonObject(v)) throw bad("target must be an object with one of q, system, things");
  only(v, ["q", "system", "things"], "target");
  const given = ["q", "system", "things"].filter((k) => v[k] !== undefined);
  if (given.length !== 1) throw bad("target needs exactly one of q, system, things");
  if (v.q !== undefined) {
    if (typeof v.q !== "string" || v.q.trim() === "") throw bad("target.q must be a non-empty query");
    return { q: v.q };
  }
  if (v.system !== undefined) {
    if (typeof v.system !== "string" || v.system === "") throw bad("target.system must be a system name");
    return { system: v.system };
  }
  const things = v.things;
  if (!Array.isArray(things) || things.length === 0) throw bad("target.things must be a non-empty list");
  for (const t of things) {
    if (typeof t !== "string" || !isValidThingName(t))
      throw bad(`invalid thing name in target: ${JSON.stringify(t)}`);
  }
  return { things: [...new Set(things as string[])] };
}

function parseRollout(v: JsonValue | undefined): RolloutSpec {
  if (v === undefined) return {};
  if (!isJsonObject(v)) throw bad("rollout must be an object");
  only(v, ["batchSize", "ramp", "ratePerMinute", "timeoutSeconds", "waitForConvergence"], "rollout");
  const out: RolloutSpec = {};
  const batchSize = positiveInt(v.batchSize, "rollout.batchSize", 10_000);
  if (batchSize !== undefined) out.batchSize = batchSize;
  if (v.ramp !== undefined) {
    const r = v.ramp;
    if (!isJsonObject(r)) throw bad("rollout.ramp must be {start, factor, max}");
    only(r, ["start", "factor", "max"], "rollout.ramp");
    const start = positiveInt(r.start, "rollout.ramp.start", 10_000) ?? 1;
    const factor = positiveNumber(r.factor, "rollout.ramp.factor", 100) ?? 2;
    const max = positiveInt(r.max, "rollout.ramp.max", 10_000) ?? 100;
    if (factor <= 1) throw bad("rollout.ramp.factor must be above 1");
    if (max < start) throw bad("rollout.ramp.max must be at least rollout.ramp.start");
    out.ramp = { start, factor, max };
  }
  const rate = positiveNumber(v.ratePerMinute, "rollout.ratePerMinute", 1_000_000);
  if (rate !== undefined) out.ratePerMinute = rate;
  const timeout = positiveNumber(v.timeoutSeconds, "rollout.timeoutSeconds", 7 * 86_400);
  if (timeout !== undefined) out.timeoutSeconds = timeout;
  if (v.waitForConvergence !== undefined) {
    if (typeof v.waitForConvergence !== "boolean") throw bad("rollout.waitForConvergence must be a boolean");
    out.waitForConvergence = v.waitForConvergence;
  }
  return out;
}

function parseAbort(v: JsonValue | undefined): AbortSpec {
  if (v === undefined) return {};
  if (!isJsonObject(v)) throw bad("abort must be an object");
  only(v, ["maxFailures", "maxFailurePercent", "minFinished"], "abort");
  const out: AbortSpec = {};
  const n = positiveInt(v.maxFailures, "abort.maxFailures");
  if (n !== undefined) out.maxFailures = n;
  const p = positiveNumber(v.maxFailurePercent, "abort.maxFailurePercent", 100);
  if (p !== undefined) out.maxFailurePercent = p;
  const m = positiveInt(v.minFinished, "abort.minFinished");
  if (m !== undefined) out.minFinished = m;
  return out;
}

function parseDestructive(v: JsonValue | undefined): DestructiveRule[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw bad("destructive must be a list of {path, values?}");
  return v.map((r) => {
    if (!isJsonObject(r) || typeof r.path !== "string" || r.path === "") {
      throw bad("each destructive rule needs a path");
    }
    only(r, ["path", "values"], "destructive rule");
    if (r.values !== undefined && !Array.isArray(r.values)) throw bad("destructive values must be a list");
    return r.values === undefined ? { path: r.path } : { path: r.path, values: r.values as JsonValue[] };
  });
}

/** Validates a job document (POST /jobs, /jobs/dry-run). */
export function parseJobSpec(body: JsonValue): JobSpec {
  if (!isJsonObject(body)) throw bad("the job must be a JSON object");
  only(
    body,
    ["target", "shadow", "patch", "command", "description", "confirm", "destructive", "rollout", "abort"],
    "job",
  );
  const shadow = body.shadow ?? "";
  if (typeof shadow !== "string" || (shadow !== "" && !isValidShadowName(shadow))) {
    throw bad("shadow must be a shadow name");
  }
  if ((body.patch === undefined) === (body.command === undefined)) {
    throw bad("a job needs exactly one of patch (a desired patch) and command (a one-shot command)");
  }
  const write = body.patch ?? body.command;
  if (!isJsonObject(write) || Object.keys(write).length === 0) {
    throw bad(`${body.patch !== undefined ? "patch" : "command"} must be a non-empty object of desired keys`);
  }
  if (body.confirm !== undefined && typeof body.confirm !== "boolean") throw bad("confirm must be a boolean");
  if (body.description !== undefined && typeof body.description !== "string") {
    throw bad("description must be a string");
  }
  const spec: JobSpec = {
    target: parseTarget(body.target),
    shadow,
    confirm: body.confirm === true,
    destructive: parseDestructive(body.destructive),
    rollout: parseRollout(body.rollout),
    abort: parseAbort(body.abort),
  };
  if (body.patch !== undefined) spec.patch = write;
  else spec.command = write;
  if (typeof body.description === "string") spec.description = body.description;
  return spec;
}

/** The desired keys a job writes (its patch or its command). */
export const jobWrite = (spec: JobSpec): JsonObject => (spec.patch ?? spec.command) as JsonObject;
