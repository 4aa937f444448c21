import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";
import {
  conflictCount,
  deltaOf,
  type FleetRecord,
  type FleetShadow,
  parseQuery,
  QueryError,
} from "./query/index.ts";
import { isValidThingName } from "./topics.ts";

/**
 * Systems (docs/fleet.md): named aggregates of things and other systems, many-to-many, no parent
 * pointers. Members are static (`things`, `systems`) and/or dynamic (`query`, a saved fleet query).
 */
export interface SystemSpec {
  name: string;
  description?: string;
  things: string[];
  systems: string[];
  query?: string;
}

export class SystemError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[A-Za-z0-9:_-]{1,128}$/;
export const isValidSystemName = (name: string) => NAME.test(name);

/** Validates a `PUT /systems/{name}` body. */
export function parseSystemSpec(name: string, body: JsonValue): SystemSpec {
  if (!isValidSystemName(name))
    throw new SystemError(400, "Invalid system name: use 1-128 characters of [a-zA-Z0-9:_-]");
  if (!isJsonObject(body))
    throw new SystemError(400, "a system is a JSON object {things, systems, query, description}");
  for (const k of Object.keys(body)) {
    if (!["things", "systems", "query", "description", "name"].includes(k)) {
      throw new SystemError(400, `unknown system field '${k}': use things, systems, query, description`);
    }
  }
  const list = (key: "things" | "systems", valid: (s: string) => boolean): string[] => {
    const v = body[key] ?? [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string" && valid(x))) {
      throw new SystemError(
        400,
        `${key} must be an array of valid ${key === "things" ? "thing" : "system"} names`,
      );
    }
    if (v.length > 100_000) throw new SystemError(400, `${key}: at most 100000 members`);
    return [...new Set(v as string[])];
  };
  const spec: SystemSpec = {
    name,
    things: list("things", isValidThingName),
    systems: list("systems", isValidSystemName),
  };
  if (body.description !== undefined) {
    if (typeof body.description !== "string") throw new SystemError(400, "description must be a string");
    spec.description = body.description;
  }
  if (body.query !== undefined) {
    if (typeof body.query !== "string") throw new SystemError(400, "query must be a fleet query string");
    try {
      parseQuery(body.query);
    } catch (err) {
      if (err instanceof QueryError) throw new SystemError(400, `query: ${err.message}`);
      throw err;
    }
    // Membership feeds the `systems` field; a dynamic system defined through it would define itself.
    if (/(^|[\s(])systems\s*:/.test(body.query))
      throw new SystemError(400, "query: a system's query may not use the systems field");
    spec.query = body.query;
  }
  if (spec.systems.includes(name)) throw new SystemError(409, `cycle: ${name} → ${name}`);
  return spec;
}

/**
 * The path of a cycle that giving `name` the subsystems `children` would close, or null.
 * `childrenOf` gives the current subsystems of every other system.
 */
export function findCycle(
  name: string,
  children: readonly string[],
  childrenOf: (s: string) => readonly string[],
): string[] | null {
  const seen = new Set<string>();
  const walk = (s: string, path: string[]): string[] | null => {
    if (s === name) return path;
    if (seen.has(s)) return null;
    seen.add(s);
    for (const c of childrenOf(s)) {
      const found = walk(c, [...path, c]);
      if (found) return found;
    }
    return null;
  };
  for (const c of children) {
    const found = walk(c, [name, c]);
    if (found) return found;
  }
  return null;
}

/** What a roll-up counts over a set of things. */
export interface RollupStats {
  things: number;
  connected: number;
  /** Things whose site cannot be reached: presence unknown (docs/fleet.md, "Presence across sites"). */
  presenceUnknown: number;
  notConverged: number;
  /** Seconds since the oldest desired leaf still pending (0 when everything converged). */
  oldestDeltaSeconds: number;
  conflicts: number;
  unreachable: number;
}

export const emptyStats = (): RollupStats => ({
  things: 0,
  connected: 0,
  presenceUnknown: 0,
  notConverged: 0,
  oldestDeltaSeconds: 0,
  conflicts: 0,
  unreachable: 0,
});

/** The oldest metadata stamp (epoch seconds) among the leaves of `delta`. */
export function oldestStamp(delta: JsonObject, meta: JsonValue | undefined): number | undefined {
  let oldest: number | undefined;
  for (const [k, v] of Object.entries(delta)) {
    const m = isJsonObject(meta) ? meta[k] : undefined;
    const t = isJsonObject(v) ? oldestStamp(v, m) : typeof m === "number" ? m : undefined;
    if (t !== undefined && (oldest === undefined || t < oldest)) oldest = t;
  }
  return oldest;
}

/** Adds the roll-up of a disjoint part. */
export function sumInto(stats: RollupStats, part: RollupStats): void {
  stats.things += part.things;
  stats.connected += part.connected;
  stats.presenceUnknown += part.presenceUnknown;
  stats.notConverged += part.notConverged;
  stats.oldestDeltaSeconds = Math.max(stats.oldestDeltaSeconds, part.oldestDeltaSeconds);
  stats.conflicts += part.conflicts;
  stats.unreachable += part.unreachable;
}

/** What one thing contributes to a roll-up (computed once per thing per roll-up). */
export interface ThingHealth {
  connected: boolean;
  presenceUnknown: boolean;
  pending: boolean;
  /** Epoch seconds of its oldest pending desired leaf. */
  oldestDelta?: number;
  conflicts: boolean;
  unreachable: boolean;
}

/** Adds one thing to a roll-up (`now` in epoch seconds). */
export function addToStats(stats: RollupStats, h: ThingHealth | undefined, now: number): void {
  stats.things++;
  if (!h) return;
  if (h.connected) stats.connected++;
  if (h.presenceUnknown) stats.presenceUnknown++;
  if (h.pending) stats.notConverged++;
  if (h.oldestDelta !== undefined)
    stats.oldestDeltaSeconds = Math.max(stats.oldestDeltaSeconds, now - h.oldestDelta);
  if (h.conflicts) stats.conflicts++;
  if (h.unreachable) stats.unreachable++;
}

type ShadowHealth = Omit<ThingHealth, "connected" | "presenceUnknown">;
const shadowHealth = new WeakMap<FleetShadow, ShadowHealth>();

/** A shadow's part of its thing's health, computed once per view (views are never mutated). */
function healthOfShadow(s: FleetShadow): ShadowHealth {
  let h = shadowHealth.get(s);
  if (h) return h;
  const d = deltaOf(s);
  const pending = Object.keys(d).length > 0;
  const bridge = s.reported.$bridge;
  h = {
    pending,
    conflicts: conflictCount(s.conflicts) > 0,
    unreachable: isJsonObject(bridge) && bridge.reachable === false,
  };
  const t = pending ? oldestStamp(d, s.meta.desired) : undefined;
  if (t !== undefined) h.oldestDelta = t;
  shadowHealth.set(s, h);
  return h;
}

export function thingHealth(r: FleetRecord): ThingHealth {
  const h: ThingHealth = {
    connected: r.presence?.connected === true,
    presenceUnknown: r.presence?.unknown === true,
    pending: false,
    conflicts: false,
    unreachable: false,
  };
  for (const s of Object.values(r.shadows)) {
    const sh = healthOfShadow(s);
    h.pending ||= sh.pending;
    h.conflicts ||= sh.conflicts;
    h.unreachable ||= sh.unreachable;
    if (sh.oldestDelta !== undefined && (h.oldestDelta === undefined || sh.oldestDelta < h.oldestDelta)) {
      h.oldestDelta = sh.oldestDelta;
    }
  }
  return h;
}
