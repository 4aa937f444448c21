import type { JsonObject, JsonValue } from "../../shared/json.ts";
import {
  compareSortValues,
  compileQuery,
  decodeCursor,
  encodeCursor,
  type FleetRecord,
  fieldReader,
  type Literal,
  parseField,
  parseFields,
  parseQuery,
  parseSort,
  project,
  type Query,
  QueryError,
  sortValues,
} from "../../shared/query/index.ts";
import type { FleetIndex } from "./fleet-index.ts";
import { recordJson } from "./record-json.ts";

/** A result row without `fields`: name, attributes, connectivity, the names of its shadows. */
function summary(r: FleetRecord): JsonObject {
  const out: JsonObject = {
    thingName: r.thing,
    attributes: r.attributes,
    shadows: Object.keys(r.shadows).sort(),
  };
  if (r.presence) out.connectivity = { ...r.presence };
  return out;
}

export const MAX_PAGE = 1000;

export interface FindRequest {
  q?: string;
  sort?: string;
  fields?: string;
  limit?: number;
  cursor?: string;
  /** Stop examining records after this long and say so (`partial`). */
  budgetMs?: number;
}

export interface FindResult {
  results: JsonObject[];
  nextCursor?: string;
  partial?: { reason: string; examined: number };
}

export interface CountRequest {
  q?: string;
  groupBy?: string;
  stat?: string;
  budgetMs?: number;
}

export interface Group {
  key: JsonValue;
  count: number;
  min?: number;
  max?: number;
  avg?: number;
}

const DEFAULT_BUDGET_MS = 2000;
const CHECK_EVERY = 512;

class Deadline {
  private readonly end: number;
  examined = 0;
  constructor(readonly ms: number) {
    this.end = performance.now() + ms;
  }
  /** True once the budget is spent (checked every few hundred records: the clock is not free). */
  spent(): boolean {
    return ++this.examined % CHECK_EVERY === 0 && performance.now() > this.end;
  }
  partial(total: number): { reason: string; examined: number } {
    return {
      reason: `query stopped after ${this.ms} ms having examined ${this.examined} of ${total} things; narrow it or page on`,
      examined: this.examined,
    };
  }
}

/** Index keys an equality literal matches (the evaluator's rules: a bare 5 is the number or "5"). */
function literalKeys(lit: Literal): string[] | undefined {
  if (lit.kind === "number") return [`number:${lit.value}`, `string:${lit.text}`];
  if (lit.kind === "boolean") return [`boolean:${lit.value}`, `string:${lit.text}`];
  if (!lit.quoted && lit.text.includes("*")) return undefined;
  return [`string:${lit.text}`];
}

/**
 * The things a query can match at most, from the attribute equality index, when the query is an
 * equality on `attributes.*` or an AND containing such terms (their intersection); undefined otherwise.
 * The query is still evaluated on each candidate.
 */
export function candidates(index: FleetIndex, q: Query): Set<string> | undefined {
  const terms = q.type === "and" ? q.terms : [q];
  const sets: Set<string>[] = [];
  for (const t of terms) {
    if (t.type !== "eq" || t.field[0] !== "attributes" || t.field.length < 2) continue;
    const keys = literalKeys(t.value);
    if (keys) sets.push(index.attributeLookup(t.field.slice(1), keys));
  }
  if (sets.length === 0) return undefined;
  sets.sort((a, b) => a.size - b.size);
  const [smallest, ...rest] = sets as [Set<string>, ...Set<string>[]];
  if (rest.length === 0) return smallest;
  const out = new Set<string>();
  for (const t of smallest) if (rest.every((s) => s.has(t))) out.add(t);
  return out;
}

/** Runs `GET /things?q=…`: filter, sort (default thingName), keyset cursor, projection. */
export function findThings(index: FleetIndex, req: FindRequest): FindResult {
  const limit = req.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new QueryError(0, `limit must be an integer from 1 to ${MAX_PAGE}`);
  }
  const query = parseQuery(req.q ?? "");
  const matches = compileQuery(query);
  const keys = parseSort(req.sort);
  const narrowed = candidates(index, query);
  const fields = req.fields === "*" ? [] : parseFields(req.fields);
  const show = (r: FleetRecord): JsonObject =>
    req.fields === "*" ? recordJson(r) : fields.length > 0 ? project(fields, r) : summary(r);
  const after = req.cursor ? decodeCursor(req.cursor, keys) : undefined;
  const deadline = new Deadline(req.budgetMs ?? DEFAULT_BUDGET_MS);
  const out: FindResult = { results: [] };
  const byName = keys.length === 1 && !(keys[0]?.descending ?? false);
  if (byName) {
    // Sorted by name already: walk the names from the cursor and stop at a full page.
    const names = narrowed ? [...narrowed].sort() : index.things();
    let i = after ? upperBound(names, String(after[0])) : 0;
    let last: string | undefined;
    for (; i < names.length && out.results.length < limit; i++) {
      const r = index.get(names[i] as string);
      if (!r) continue;
      if (matches(r)) out.results.push(show(r));
      last = r.thing;
      if (deadline.spent()) {
        out.partial = deadline.partial(names.length);
        break;
      }
    }
    if (last !== undefined && (out.partial || (out.results.length === limit && i < names.length))) {
      out.nextCursor = encodeCursor([last]);
    }
    return out;
  }
  const hits: { r: FleetRecord; v: (JsonValue | undefined)[] }[] = [];
  for (const r of narrowed ? recordsOf(index, narrowed) : index.all()) {
    if (matches(r)) {
      const v = sortValues(keys, r);
      if (!after || compareSortValues(keys, v, after) > 0) hits.push({ r, v });
    }
    if (deadline.spent()) {
      out.partial = deadline.partial(index.size);
      break;
    }
  }
  hits.sort((a, b) => compareSortValues(keys, a.v, b.v));
  const page = hits.slice(0, limit);
  out.results = page.map((h) => show(h.r));
  const tail = page[page.length - 1];
  if (!out.partial && hits.length > limit && tail) out.nextCursor = encodeCursor(tail.v);
  return out;
}

/** `GET /things/count`: the number of matches, or groups with count and min/max/avg of `stat`. */
export function countThings(
  index: FleetIndex,
  req: CountRequest,
): { count: number; groups?: Group[]; partial?: { reason: string; examined: number } } {
  const query = parseQuery(req.q ?? "");
  const matches = compileQuery(query);
  const narrowed = candidates(index, query);
  const group = req.groupBy ? fieldReader(parseField(req.groupBy)) : undefined;
  const stat = req.stat ? fieldReader(parseField(req.stat)) : undefined;
  const deadline = new Deadline(req.budgetMs ?? DEFAULT_BUDGET_MS);
  const groups = new Map<string, Group & { sum: number; n: number }>();
  let count = 0;
  let partial: { reason: string; examined: number } | undefined;
  for (const r of narrowed ? recordsOf(index, narrowed) : index.all()) {
    if (matches(r)) {
      count++;
      if (group) {
        const key = group(r)[0] ?? null;
        const id = typeof key === "string" ? `s${key}` : JSON.stringify(key);
        let g = groups.get(id);
        if (!g) {
          g = { key, count: 0, sum: 0, n: 0 };
          groups.set(id, g);
        }
        g.count++;
        const x = stat?.(r)[0];
        if (typeof x === "number") {
          g.sum += x;
          g.n++;
          g.min = g.min === undefined ? x : Math.min(g.min, x);
          g.max = g.max === undefined ? x : Math.max(g.max, x);
        }
      }
    }
    if (deadline.spent()) {
      partial = deadline.partial(index.size);
      break;
    }
  }
  const result: { count: number; groups?: Group[]; partial?: { reason: string; examined: number } } = {
    count,
  };
  if (group) {
    result.groups = [...groups.values()]
      .map(({ sum, n, ...g }) => (stat && n > 0 ? { ...g, avg: sum / n } : g))
      .sort((a, b) => b.count - a.count || JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)));
  }
  if (partial) result.partial = partial;
  return result;
}

function* recordsOf(index: FleetIndex, things: Iterable<string>): Generator<FleetRecord> {
  for (const t of things) {
    const r = index.get(t);
    if (r) yield r;
  }
}

/** First index whose name is greater than `name`. */
function upperBound(names: readonly string[], name: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((names[mid] as string) <= name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
