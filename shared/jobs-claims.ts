import { compileThingPattern, isValidThingPattern, matchesThing } from "./glob.ts";
import { JobError } from "./jobs-spec.ts";
import { isJsonObject, type JsonValue } from "./json.ts";

/** Maintenance claims (docs/jobs.md): pure validation, activity, coverage and overlap. */
export interface Claim {
  id: string;
  owner: string;
  reason: string;
  /** Thing names or globs. */
  things: string[];
  /** System names (every thing they contain). */
  systems: string[];
  /** Unix seconds. */
  from: number;
  until: number;
  createdAt: number;
  releasedAt?: number;
}

export interface ClaimRequest {
  things: string[];
  systems: string[];
  reason: string;
  from: number;
  until: number;
}

const MAX_WINDOW_SECONDS = 90 * 86_400;
const bad = (message: string) => new JobError(400, "invalid_claim", message);

/**
 * Validates `POST /claims`: `{things?, systems?, reason, until | durationSeconds, from?}` (seconds).
 * A claim covers at least one thing pattern or system and lasts at most 90 days.
 */
export function parseClaimRequest(body: JsonValue, nowSec: number): ClaimRequest {
  if (!isJsonObject(body)) throw bad("the claim must be a JSON object");
  for (const k of Object.keys(body)) {
    if (!["things", "systems", "reason", "from", "until", "durationSeconds"].includes(k)) {
      throw bad(`unknown claim field '${k}'`);
    }
  }
  const list = (v: JsonValue | undefined, name: string): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || x === "")) {
      throw bad(`${name} must be a list of names`);
    }
    return [...new Set(v as string[])];
  };
  const things = list(body.things, "things");
  for (const t of things)
    if (!isValidThingPattern(t) || t.includes(",")) throw bad(`invalid thing pattern '${t}'`);
  const systems = list(body.systems, "systems");
  if (things.length === 0 && systems.length === 0) throw bad("a claim needs things or systems");
  if (typeof body.reason !== "string" || body.reason.trim() === "") throw bad("a claim needs a reason");
  const from = body.from === undefined ? nowSec : body.from;
  if (typeof from !== "number" || !Number.isInteger(from)) throw bad("from must be unix seconds");
  let until: JsonValue | undefined = body.until;
  if (body.durationSeconds !== undefined) {
    if (until !== undefined) throw bad("give until or durationSeconds, not both");
    const d = body.durationSeconds;
    if (typeof d !== "number" || !Number.isInteger(d) || d < 1)
      throw bad("durationSeconds must be a positive integer");
    until = from + d;
  }
  if (typeof until !== "number" || !Number.isInteger(until))
    throw bad("a claim needs until (unix seconds) or durationSeconds");
  if (until <= from) throw bad("until must be after from");
  if (until <= nowSec) throw bad("until is in the past");
  if (until - from > MAX_WINDOW_SECONDS) throw bad("a claim lasts at most 90 days");
  return { things, systems, reason: body.reason, from, until };
}

export const isActive = (c: Claim, nowSec: number): boolean =>
  c.releasedAt === undefined && c.from <= nowSec && nowSec < c.until;

/** Whether the claim covers `thing`; `inSystem` answers system membership (the fleet's). */
export function covers(
  c: Claim,
  thing: string,
  inSystem: (thing: string, system: string) => boolean,
): boolean {
  if (c.things.length > 0 && matchesThing(compileThingPattern(c.things.join(",")), thing)) return true;
  return c.systems.some((s) => inSystem(thing, s));
}

const windowsOverlap = (a: Pick<Claim, "from" | "until">, b: Pick<Claim, "from" | "until">) =>
  a.from < b.until && b.from < a.until;

/**
 * Whether two claims may cover the same thing at the same time: overlapping windows and a shared
 * system, or thing patterns where one matches a name of the other (globs on both sides: either way).
 */
export function claimsOverlap(
  a: Pick<Claim, "things" | "systems" | "from" | "until">,
  b: Pick<Claim, "things" | "systems" | "from" | "until">,
): boolean {
  if (!windowsOverlap(a, b)) return false;
  if (a.systems.some((s) => b.systems.includes(s))) return true;
  const pa = compileThingPattern(a.things.join(","));
  const pb = compileThingPattern(b.things.join(","));
  return (
    a.things.some((t) => !/[*?]/.test(t) && matchesThing(pb, t)) ||
    b.things.some((t) => !/[*?]/.test(t) && matchesThing(pa, t)) ||
    a.things.some((t) => b.things.includes(t))
  );
}

/** The refusal message that names a claim (409 on writes, `claim` in a job's dry run). */
export function claimMessage(c: Claim, thing: string): string {
  return `thing '${thing}' is under maintenance claim ${c.id} by '${c.owner}' until ${new Date(c.until * 1000).toISOString()} (${c.reason})`;
}
