import { isJsonObject, type JsonObject, type JsonValue, jsonEqual } from "./json.ts";
import { type JsonLeaf, leavesOf } from "./json-path.ts";
import { applyPatchOps, type PatchOp, planMetadata } from "./shadow-patch.ts";

/**
 * The change record of a shadow (docs/history.md): one record per committed change, with the leaf
 * patch it made, who made it and where. Pure types and functions; storage is broker/history.
 */
export type HistoryKind = "update" | "delete" | "merge";

export interface HistoryPatch {
  desired?: PatchOp[];
  reported?: PatchOp[];
}

/** A change record as staged by the shadow service and read back by the API. */
export interface HistoryRecord {
  /** The shadow's version after the change. */
  version: number;
  /** Epoch milliseconds of the change at this node (the request, or the merge). */
  at: number;
  kind: HistoryKind;
  /** Whether the shadow exists after the change (false after a delete, or a merged delete). */
  exists: boolean;
  /** Site that wrote the change: this node's for local requests, the authoring site(s) for a merge. */
  site?: string;
  /** The relay peer a merged change arrived from. */
  via?: string;
  /** The identity that wrote it (known only where the request was accepted). */
  identity?: { name: string; role: string };
  clientToken?: string;
  patch: HistoryPatch;
}

/** The state of a shadow at some version: what reconstruction yields and checkpoints hold. */
export interface HistoryState {
  exists: boolean;
  version: number;
  desired: JsonObject;
  reported: JsonObject;
  meta: { desired: JsonObject; reported: JsonObject };
}

export const EMPTY_STATE: Readonly<HistoryState> = Object.freeze({
  exists: false,
  version: 0,
  desired: {},
  reported: {},
  meta: { desired: {}, reported: {} },
});

/** Record flags stored beside the patch (retention classes and existence). */
/**
 * Records a generation of the change record's log gathers before it settles (docs/history.md,
 * "Settling"; the `historyLogRows` setting). The more records per shadow it holds, the fewer pages
 * settling writes per record (≈ 16 per shadow at 2,000 busy shadows); 32,768 records are ≈ 4 MB.
 */
export const HISTORY_LOG_ROWS = 32_768;

export const FLAG_DESIRED = 1;
export const FLAG_REPORTED = 2;
export const FLAG_EXISTS = 4;

/**
 * A record is in the *desired class* (kept much longer) when it touched desired or deleted the
 * shadow: operators care about those; reported-only changes are the high-rate bulk.
 */
export function recordFlags(r: HistoryRecord): number {
  let f = r.exists ? FLAG_EXISTS : 0;
  if ((r.patch.desired?.length ?? 0) > 0 || r.kind === "delete" || !r.exists) f |= FLAG_DESIRED;
  if ((r.patch.reported?.length ?? 0) > 0) f |= FLAG_REPORTED;
  return f;
}

/** Compact JSON of a patch: `{"d":[[path,value],[path]…],"r":[…]}` (a 1-element op deletes). */
export function encodePatch(p: HistoryPatch): string {
  const ops = (list: PatchOp[] | undefined) =>
    (list ?? []).map((op) => (op.kind === "delete" ? [op.path] : [op.path, op.value]));
  const out: Record<string, unknown> = {};
  if (p.desired?.length) out.d = ops(p.desired);
  if (p.reported?.length) out.r = ops(p.reported);
  return JSON.stringify(out);
}

export function decodePatch(text: string): HistoryPatch {
  const raw = JSON.parse(text) as { d?: [string[], JsonValue?][]; r?: [string[], JsonValue?][] };
  const ops = (list: [string[], JsonValue?][]): PatchOp[] =>
    list.map((op) =>
      op.length === 1
        ? { kind: "delete", path: op[0] }
        : { kind: "set", path: op[0], value: op[1] as JsonValue },
    );
  const p: HistoryPatch = {};
  if (raw.d) p.desired = ops(raw.d);
  if (raw.r) p.reported = ops(raw.r);
  return p;
}

/**
 * The leaf edits that turn `before` into `after` (what a merge did to a section): changed or added
 * leaves are sets, removed keys deletes; objects on both sides are compared key by key.
 * `applyPatchOps(before, leafPatch(before, after))` equals `after`.
 */
export function leafPatch(before: JsonObject, after: JsonObject, prefix: string[] = []): PatchOp[] {
  const ops: PatchOp[] = [];
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) ops.push({ kind: "delete", path: [...prefix, key] });
  }
  for (const [key, value] of Object.entries(after)) {
    const old = Object.hasOwn(before, key) ? before[key] : undefined;
    const path = [...prefix, key];
    if (isJsonObject(value) && isJsonObject(old)) ops.push(...leafPatch(old, value, path));
    else if (!jsonEqual(old, value)) ops.push({ kind: "set", path, value });
  }
  return ops;
}

/** Applies one record to a state (replay). Metadata leaves take the record's time in seconds. */
export function applyRecord(state: HistoryState, r: HistoryRecord): HistoryState {
  if (!r.exists) return { ...EMPTY_STATE, meta: { desired: {}, reported: {} }, version: r.version };
  const base = state.exists ? state : { ...EMPTY_STATE, meta: { desired: {}, reported: {} } };
  const ts = Math.floor(r.at / 1000);
  const section = (cur: JsonObject, ops: PatchOp[] | undefined) =>
    ops?.length ? applyPatchOps(cur, ops) : cur;
  return {
    exists: true,
    version: r.version,
    desired: section(base.desired, r.patch.desired),
    reported: section(base.reported, r.patch.reported),
    meta: {
      desired: section(base.meta.desired, r.patch.desired && planMetadata(r.patch.desired, ts)),
      reported: section(base.meta.reported, r.patch.reported && planMetadata(r.patch.reported, ts)),
    },
  };
}

/** Leaves of a section (scalars and arrays; empty objects are not state), keyed by path. */
export function leafMap(obj: JsonObject, prefix: string[] = []): Map<string, Leaf> {
  return new Map(leavesOf(obj, prefix).map((leaf) => [JSON.stringify(leaf.path), leaf]));
}

export type Leaf = JsonLeaf;

/** One leaf that differs between two states: absent `before`/`after` means the leaf did not exist. */
export interface LeafChange {
  path: string[];
  before?: JsonValue;
  after?: JsonValue;
}

/** Orders paths key by key, a parent before its children. */
export function comparePaths(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** The leaf-level diff of two sections, in path order. */
export function diffSections(before: JsonObject, after: JsonObject): LeafChange[] {
  const a = leafMap(before);
  const b = leafMap(after);
  const out: LeafChange[] = [];
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  const pathOf = (k: string) => (a.get(k) ?? b.get(k))?.path ?? [];
  keys.sort((x, y) => comparePaths(pathOf(x), pathOf(y)));
  for (const key of keys) {
    const x = a.get(key);
    const y = b.get(key);
    if (x && y && jsonEqual(x.value, y.value)) continue;
    const change: LeafChange = { path: (x ?? y)?.path ?? [] };
    if (x) change.before = x.value;
    if (y) change.after = y.value;
    out.push(change);
  }
  return out;
}

/** What a record does to the per-leaf index of last writers (broker/history/leaf-index.ts). */
export type LeafEffect =
  | { op: "clearAll" }
  | { op: "clear"; section: Section; path: string[] }
  | { op: "set"; section: Section; path: string[] };

/**
 * The index edits of a record, in order: a delete of the shadow clears everything; a deleted path, or
 * one replaced by an object, clears what was under it; every leaf a set writes is set. A scalar set
 * does not clear below it (stale children are never current leaves, so they cannot mislead blame).
 */
export function leafEffects(r: HistoryRecord): LeafEffect[] {
  if (!r.exists) return [{ op: "clearAll" }];
  const out: LeafEffect[] = [];
  for (const section of ["desired", "reported"] as const) {
    for (const op of r.patch[section] ?? []) {
      if (op.kind === "delete") {
        out.push({ op: "clear", section, path: op.path });
      } else if (isJsonObject(op.value)) {
        out.push({ op: "clear", section, path: op.path });
        for (const leaf of leavesOf(op.value, op.path)) out.push({ op: "set", section, path: leaf.path });
      } else {
        out.push({ op: "set", section, path: op.path });
      }
    }
  }
  return out;
}

export type Section = "desired" | "reported";
