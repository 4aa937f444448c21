import { ShadowError } from "../../shared/errors.ts";
import {
  applyRecord,
  comparePaths,
  diffSections,
  type HistoryRecord,
  type HistoryState,
  type LeafChange,
  leafMap,
  type Section,
} from "../../shared/history.ts";
import type { HistoryListQuery, HistoryPoint } from "../../shared/history-query.ts";
import type { JsonObject } from "../../shared/json.ts";
import type { PatchOp } from "../../shared/shadow-patch.ts";
import type { ShadowAddress } from "../../shared/topics.ts";
import type { HistoryShadow, HistoryStore } from "./history-store.ts";

const label = (a: ShadowAddress) => (a.shadow === "" ? `'${a.thing}'` : `'${a.thing}~${a.shadow}'`);
const iso = (ms: number) => new Date(ms).toISOString();

/** A record as the API renders it: ISO time, ops as {op, path, value}. */
export function renderRecord(r: HistoryRecord): JsonObject {
  const out: JsonObject = { version: r.version, time: iso(r.at), kind: r.kind };
  if (r.site !== undefined) out.site = r.site;
  if (r.via !== undefined) out.via = r.via;
  if (r.identity) out.identity = { ...r.identity };
  if (r.clientToken !== undefined) out.clientToken = r.clientToken;
  const ops = (list: PatchOp[]): JsonObject[] =>
    list.map(
      (op): JsonObject =>
        op.kind === "set" ? { op: "set", path: op.path, value: op.value } : { op: "delete", path: op.path },
    );
  if (r.patch.desired?.length) out.desired = ops(r.patch.desired);
  if (r.patch.reported?.length) out.reported = ops(r.patch.reported);
  return out;
}

/** Who/where/when of a record, for blame lines. */
function attribution(r: HistoryRecord): JsonObject {
  const out: JsonObject = { version: r.version, time: iso(r.at), kind: r.kind };
  if (r.site !== undefined) out.site = r.site;
  if (r.via !== undefined) out.via = r.via;
  if (r.identity) out.identity = { ...r.identity };
  if (r.clientToken !== undefined) out.clientToken = r.clientToken;
  return out;
}

/**
 * The history API's reads over the change record: listing, the state at a version or time
 * (checkpoint + bounded replay), leaf diff and per-leaf blame. Errors are ShadowErrors (400/404).
 */
export class HistoryQueries {
  constructor(private readonly store: HistoryStore) {}

  private shadowOf(addr: ShadowAddress): { s: HistoryShadow; latest: HistoryRecord } {
    const s = this.store.shadow(addr);
    const latest = s && this.store.latest(s.id);
    if (!s || !latest) throw new ShadowError(404, `No history is recorded for ${label(addr)}`);
    return { s, latest };
  }

  list(addr: ShadowAddress, q: HistoryListQuery): JsonObject {
    const { s } = this.shadowOf(addr);
    let lo = q.from && "version" in q.from ? q.from.version : 0;
    let hi = q.to && "version" in q.to ? q.to.version : Number.MAX_SAFE_INTEGER;
    const atLo = q.from && "time" in q.from ? q.from.time : 0;
    const atHi = q.to && "time" in q.to ? q.to.time : Number.MAX_SAFE_INTEGER;
    if (q.cursor !== undefined) {
      if (q.order === "desc") hi = Math.min(hi, q.cursor - 1);
      else lo = Math.max(lo, q.cursor + 1);
    }
    const rows = this.store.page(s, { lo, hi, atLo, atHi }, q.order, q.limit + 1);
    const records = rows.slice(0, q.limit);
    const out: JsonObject = {
      thing: addr.thing,
      order: q.order,
      horizon: this.horizonOf(s),
      records: records.map(renderRecord),
    };
    if (addr.shadow !== "") out.name = addr.shadow;
    const last = records[records.length - 1];
    if (rows.length > q.limit && last) out.nextCursor = String(last.version);
    return out;
  }

  private horizonOf(s: HistoryShadow): JsonObject {
    const at = this.store.checkpointTime(s.id, s.horizon);
    const h: JsonObject = { version: s.horizon, pruned: s.pruned };
    if (at !== undefined) h.time = iso(at);
    return h;
  }

  /** The version a point names: a version as given (checked), a time as the newest record at or before it. */
  resolve(addr: ShadowAddress, point: HistoryPoint): { s: HistoryShadow; version: number } {
    const { s, latest } = this.shadowOf(addr);
    const older = (what: string) =>
      new ShadowError(
        404,
        s.pruned
          ? `${what} was pruned by retention: the record of ${label(addr)} is kept from version ${s.horizon}`
          : `${what} is older than the record of ${label(addr)}, which starts at version ${s.horizon}`,
      );
    if ("version" in point) {
      if (point.version > latest.version) {
        throw new ShadowError(
          404,
          `Version ${point.version} does not exist: ${label(addr)} is at version ${latest.version}`,
        );
      }
      if (point.version < s.horizon) throw older(`Version ${point.version}`);
      return { s, version: point.version };
    }
    const version = this.store.versionAtTime(s, point.time);
    if (version === undefined) throw older(`The state at ${iso(point.time)}`);
    return { s, version };
  }

  /** The shadow as it was at a point: the newest checkpoint at or before it, plus the records since. */
  stateAt(addr: ShadowAddress, point: HistoryPoint): HistoryState {
    const { s, version } = this.resolve(addr, point);
    const base = this.store.checkpointAtOrBefore(s.id, version);
    if (!base) throw new ShadowError(404, `Version ${version} of ${label(addr)} cannot be rebuilt`);
    let state = base;
    for (const r of this.store.range(s.id, base.version, version)) state = applyRecord(state, r);
    return state;
  }

  diff(addr: ShadowAddress, from: HistoryPoint, to: HistoryPoint): JsonObject {
    const a = this.stateAt(addr, from);
    const b = this.stateAt(addr, to);
    if (a.version > b.version) {
      throw new ShadowError(400, `from (version ${a.version}) is after to (version ${b.version})`);
    }
    const leaves = (list: LeafChange[]) => list as unknown as JsonObject[];
    const out: JsonObject = {
      thing: addr.thing,
      from: { version: a.version, exists: a.exists },
      to: { version: b.version, exists: b.exists },
      desired: leaves(diffSections(a.desired, b.desired)),
      reported: leaves(diffSections(a.reported, b.reported)),
    };
    if (addr.shadow !== "") out.name = addr.shadow;
    return out;
  }

  /**
   * Per leaf of the current desired and reported: the record that last wrote it (one index lookup
   * per leaf, over the records still in the log), or `pruned` with the version when retention has dropped that record.
   */
  blame(addr: ShadowAddress): JsonObject {
    const { s, latest } = this.shadowOf(addr);
    const state = this.stateAt(addr, { version: latest.version });
    const render = (section: Section) => {
      const leaves = [...leafMap(state[section]).values()].sort((a, b) => comparePaths(a.path, b.path));
      const versions = this.store.leafVersions(
        s.id,
        leaves.map((leaf) => ({ section, path: leaf.path })),
      );
      return leaves.map((leaf, i) => {
        const line: JsonObject = { path: leaf.path, value: leaf.value };
        const version = versions[i];
        const record = version === undefined ? undefined : this.store.record(s.id, version);
        if (record) line.change = attribution(record);
        else {
          line.pruned = true;
          if (version !== undefined) line.version = version;
        }
        return line;
      });
    };
    const out: JsonObject = {
      thing: addr.thing,
      version: state.version,
      exists: state.exists,
      horizon: this.horizonOf(s),
      desired: render("desired"),
      reported: render("reported"),
    };
    if (addr.shadow !== "") out.name = addr.shadow;
    return out;
  }
}
