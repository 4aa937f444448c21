import type { Literal, Query } from "../../shared/query/ast.ts";
import type { FleetRecord } from "../../shared/query/record.ts";

/**
 * A deliberately plain evaluator of fleet queries, for property tests: it materialises each record as
 * one nested JSON document (the shape a user reads in docs/fleet.md) and walks field paths through it.
 * It shares no code with shared/query/ beyond the types.
 */
type V = unknown;

function isObj(v: V): v is Record<string, V> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function delta(desired: V, reported: V): V {
  if (!isObj(desired)) return undefined;
  const out: Record<string, V> = {};
  for (const [k, d] of Object.entries(desired)) {
    const r = isObj(reported) ? reported[k] : undefined;
    if (isObj(d)) {
      const sub = delta(d, r);
      if (isObj(sub) && Object.keys(sub).length > 0) out[k] = sub;
    } else if (JSON.stringify(d) !== JSON.stringify(r)) out[k] = d;
  }
  return out;
}

function leaves(v: V): number {
  return isObj(v) ? Object.values(v).reduce<number>((n, x) => n + leaves(x), 0) : 1;
}

function shadowDoc(s: FleetRecord["shadows"][string]): V {
  const d = delta(s.desired, s.reported) as Record<string, V>;
  const c =
    (s.conflicts?.desired ? leaves(s.conflicts.desired) : 0) +
    (s.conflicts?.reported ? leaves(s.conflicts.reported) : 0);
  return {
    reported: s.reported,
    desired: s.desired,
    delta: d,
    metadata: { desired: s.meta.desired, reported: s.meta.reported },
    version: s.version,
    hasDelta: Object.keys(d).length > 0,
    hasConflicts: c > 0,
    conflictLeaves: c,
  };
}

function valuesAt(r: FleetRecord, field: string[]): V[] {
  const shadows: Record<string, V> = {};
  for (const [n, s] of Object.entries(r.shadows)) shadows[n] = shadowDoc(s);
  let conflicts = 0;
  for (const s of Object.values(shadows)) conflicts += (s as { conflictLeaves: number }).conflictLeaves;
  const doc: Record<string, V> = {
    thingName: r.thing,
    attributes: r.attributes,
    systems: r.systems,
    conflicts,
    connectivity: {
      connected: r.presence?.connected ?? false,
      timestamp: r.presence?.since,
      site: r.presence?.site,
    },
  };
  let starts: V[];
  let path: string[];
  if (field[0] === "shadow" && field[1] === "name" && field.length > 2) {
    starts = field[2] === "*" ? Object.values(shadows) : [shadows[field[2] as string]];
    path = field.slice(3);
  } else if (field[0] === "shadow") {
    starts = [shadows[""]];
    path = field.slice(1);
  } else {
    starts = [doc];
    path = field;
  }
  const out: V[] = [];
  for (const start of starts) {
    let cur: V = start;
    for (const p of path) cur = isObj(cur) && p !== "conflictLeaves" ? cur[p] : undefined;
    if (
      field[0] === "shadow" &&
      path.length === 1 &&
      path[0] !== "version" &&
      path[0] !== "hasDelta" &&
      path[0] !== "hasConflicts"
    )
      cur = undefined;
    if (field[0] === "shadow" && path[0] === "metadata" && path.length < 3) cur = undefined;
    if (field[0] === "connectivity" && field.length !== 2) cur = undefined;
    if (
      (field[0] === "systems" || field[0] === "conflicts" || field[0] === "thingName") &&
      field.length !== 1
    )
      cur = undefined;
    if (cur === undefined) continue;
    if (Array.isArray(cur)) out.push(...cur);
    else out.push(cur);
  }
  return out;
}

function glob(pattern: string, s: string): boolean {
  if (pattern === "") return s === "";
  if (pattern[0] === "*") {
    for (let i = 0; i <= s.length; i++) if (glob(pattern.slice(1), s.slice(i))) return true;
    return false;
  }
  return s.length > 0 && s[0] === pattern[0] && glob(pattern.slice(1), s.slice(1));
}

function equals(lit: Literal, v: V): boolean {
  if (lit.kind === "string") {
    if (!lit.quoted && lit.text.includes("*")) return typeof v === "string" && glob(lit.text, v);
    return v === lit.text;
  }
  if (typeof v === "string") return v === lit.text;
  return v === lit.value;
}

function compare(lit: Literal, v: V): number | undefined {
  if (lit.kind === "number" && typeof v === "number") return v - lit.value;
  if (lit.kind === "string" && typeof v === "string") return v === lit.text ? 0 : v < lit.text ? -1 : 1;
  return undefined;
}

export function referenceMatches(q: Query, r: FleetRecord): boolean {
  switch (q.type) {
    case "all":
      return true;
    case "and":
      return q.terms.every((t) => referenceMatches(t, r));
    case "or":
      return q.terms.some((t) => referenceMatches(t, r));
    case "not":
      return !referenceMatches(q.term, r);
    case "exists":
      return valuesAt(r, q.field).length > 0;
    case "eq":
      return valuesAt(r, q.field).some((v) => equals(q.value, v));
    case "cmp":
      return valuesAt(r, q.field).some((v) => {
        const c = compare(q.value, v);
        if (c === undefined) return false;
        return q.op === ">" ? c > 0 : q.op === ">=" ? c >= 0 : q.op === "<" ? c < 0 : c <= 0;
      });
    case "range":
      return valuesAt(r, q.field).some((v) => {
        const lo = compare(q.low, v);
        const hi = compare(q.high, v);
        return lo !== undefined && hi !== undefined && lo >= 0 && hi <= 0;
      });
  }
}
