import type { JsonObject, JsonValue } from "../../shared/json.ts";
import {
  compareSortValues,
  compileQuery,
  decodeCursor,
  encodeCursor,
  type FleetRecord,
  fieldReader,
  parseField,
  parseFields,
  parseQuery,
  parseSort,
  project,
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

/** Runs `GET /things?q=…`: filter, sort (default thingName), keyset cursor, projection. */
export function findThings(index: FleetIndex, req: FindRequest): FindResult {
  const limit = req.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new QueryError(0, `limit must be an integer from 1 to ${MAX_PAGE}`);
  }
  const matches = compileQuery(parseQuery(req.q ?? ""));
  const keys = parseSort(req.sort);
  const fields = req.fields === "*" ? [] : parseFields(req.fields);
  const show = (r: FleetRecord): JsonObject =>
    req.fields === "*" ? recordJson(r) : fields.length > 0 ? project(fields, r) : summary(r);
  const after = req.cursor ? decodeCursor(req.cursor, keys) : undefined;
  const deadline = new Deadline(req.budgetMs ?? DEFAULT_BUDGET_MS);
  const out: FindResult = { results: [] };
  const byName = keys.length === 1 && !(keys[0]?.descending ?? false);
  if (byName) {
    // Sorted by name already: walk the names from the cursor and stop at a full page.
    const names = index.things();
    let i = after ? upperBound(names, String(after[0])) : 0;
    let last: string | undefined;
    for (; i < names.length && out.results.length < limit; i++) {
      const r = index.get(names[i] as string) as FleetRecord;
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
  for (const r of index.all()) {
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
  const matches = compileQuery(parseQuery(req.q ?? ""));
  const group = req.groupBy ? fieldReader(parseField(req.groupBy)) : undefined;
  const stat = req.stat ? fieldReader(parseField(req.stat)) : undefined;
  const deadline = new Deadline(req.budgetMs ?? DEFAULT_BUDGET_MS);
  const groups = new Map<string, Group & { sum: number; n: number }>();
  let count = 0;
  let partial: { reason: string; examined: number } | undefined;
  for (const r of index.all()) {
    if (matches(r)) {
      count++;
      if (group) {
        const key = group(r)[0] ?? null;
        const id = JSON.stringify(key);
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
