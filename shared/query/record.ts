import { isJsonObject, type JsonObject, type JsonValue } from "../json.ts";
import { computeDelta } from "../shadow-delta.ts";
import type { Presence, ShadowConflicts } from "../shadow-document.ts";
import { CLASSIC_SHADOW } from "../topics.ts";

/** One shadow of a thing as the fleet index sees it (the store's plain view; existing shadows only). */
export interface FleetShadow {
  readonly version: number;
  readonly desired: JsonObject;
  readonly reported: JsonObject;
  readonly meta: { readonly desired: JsonObject; readonly reported: JsonObject };
  readonly conflicts?: ShadowConflicts;
}

/** Open alarms of one thing (broker/alarms): `alarms.open`, `alarms.bySeverity.critical`, … */
export interface ThingAlarms {
  readonly open: number;
  readonly unacknowledged: number;
  readonly shelved: number;
  readonly bySeverity: Readonly<Record<string, number>>;
}

/** What a fleet query is evaluated over: one per thing. */
export interface FleetRecord {
  readonly thing: string;
  readonly attributes: JsonObject;
  /** By shadow name; the classic shadow is "". */
  readonly shadows: Readonly<Record<string, FleetShadow>>;
  readonly presence?: Presence;
  /** Systems the thing belongs to, directly or through subsystems. */
  readonly systems: readonly string[];
  /** Open alarms of the thing; absent when it has none (or the node has no alarms capability). */
  readonly alarms?: ThingAlarms;
}

const deltas = new WeakMap<FleetShadow, JsonObject>();

/** The shadow's delta (computed once per view: views are replaced, never mutated, on change). */
export function deltaOf(s: FleetShadow): JsonObject {
  let d = deltas.get(s);
  if (!d) {
    d = computeDelta(s.desired, s.reported) ?? {};
    deltas.set(s, d);
  }
  return d;
}

/** Number of conflicting leaves in a conflicts mirror. */
export function conflictCount(c: ShadowConflicts | undefined): number {
  if (!c) return 0;
  const count = (o: JsonObject): number => {
    let n = 0;
    for (const v of Object.values(o)) n += isJsonObject(v) ? count(v) : 1;
    return n;
  };
  return (c.desired ? count(c.desired) : 0) + (c.reported ? count(c.reported) : 0);
}

function at(obj: JsonValue | undefined, path: readonly string[], from: number): JsonValue | undefined {
  let cur = obj;
  for (let i = from; i < path.length; i++) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[path[i] as string];
  }
  return cur;
}

/** A function from a record to the values of one field (several for arrays and `shadow.name.*`). */
export type FieldReader = (r: FleetRecord) => JsonValue[];

const spread = (v: JsonValue | undefined): JsonValue[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Reads `rest` (reported.x, metadata.desired.x, version, hasDelta, …) of one shadow. */
function shadowReader(rest: readonly string[]): (s: FleetShadow) => JsonValue | undefined {
  const [section, sub] = rest;
  switch (section) {
    case "reported":
    case "desired":
      return (s) => at(s[section], rest, 1);
    case "delta":
      return (s) => at(deltaOf(s), rest, 1);
    case "metadata":
      if (sub !== "reported" && sub !== "desired") return () => undefined;
      return (s) => at(s.meta[sub], rest, 2);
    case "version":
      return rest.length === 1 ? (s) => s.version : () => undefined;
    case "hasDelta":
      return rest.length === 1 ? (s) => Object.keys(deltaOf(s)).length > 0 : () => undefined;
    case "hasConflicts":
      return rest.length === 1 ? (s) => conflictCount(s.conflicts) > 0 : () => undefined;
    default:
      return () => undefined;
  }
}

/** Compiles a parsed field (see parseField) into a reader. */
export function fieldReader(field: readonly string[]): FieldReader {
  const [root, second, third] = field;
  switch (root) {
    case "thingName":
      return field.length === 1 ? (r) => [r.thing] : () => [];
    case "attributes":
      return (r) => spread(at(r.attributes, field, 1));
    case "systems":
      return field.length === 1 ? (r) => [...r.systems] : () => [];
    case "conflicts":
      return field.length === 1
        ? (r) => [Object.values(r.shadows).reduce((n, s) => n + conflictCount(s.conflicts), 0)]
        : () => [];
    case "alarms":
      if (second === "open" || second === "unacknowledged" || second === "shelved")
        return field.length === 2 ? (r) => [r.alarms?.[second] ?? 0] : () => [];
      if (second === "bySeverity" && third !== undefined && field.length === 3)
        return (r) => [r.alarms?.bySeverity[third] ?? 0];
      return () => [];
    case "connectivity":
      if (field.length !== 2) return () => [];
      if (second === "connected") return (r) => [r.presence?.connected ?? false];
      if (second === "timestamp") return (r) => (r.presence ? [r.presence.since] : []);
      if (second === "site") return (r) => (r.presence ? [r.presence.site] : []);
      if (second === "unknown") return (r) => [r.presence?.unknown === true];
      return () => [];
    case "shadow": {
      if (second === "name" && third !== undefined) {
        const read = shadowReader(field.slice(3));
        if (third === "*") return (r) => Object.values(r.shadows).flatMap((s) => spread(read(s)));
        return (r) => {
          const s = r.shadows[third];
          return s ? spread(read(s)) : [];
        };
      }
      const read = shadowReader(field.slice(1));
      return (r) => {
        const s = r.shadows[CLASSIC_SHADOW];
        return s ? spread(read(s)) : [];
      };
    }
    default:
      return () => [];
  }
}
