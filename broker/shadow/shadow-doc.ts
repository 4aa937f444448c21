import * as A from "@automerge/automerge";
import { isJsonObject, type JsonObject, type JsonValue } from "../../shared/json.ts";
import type { ShadowView } from "../../shared/shadow-document.ts";
import { type PatchOp, planMetadata, planPatch } from "../../shared/shadow-patch.ts";

/**
 * The Automerge document behind one shadow. Every site creates new shadows from the same
 * deterministic skeleton change (fixed actor, time 0), so two sites that create the same shadow
 * independently share its root objects and their edits merge key by key instead of conflicting whole.
 * The skeleton is a tombstone at version 0: a shadow exists once an update sets `deleted` to false.
 */
export interface ShadowDocData {
  desired: AmMap;
  reported: AmMap;
  meta: { desired: AmMap; reported: AmMap };
  version: A.Counter;
  deleted: boolean;
}
type AmMap = Record<string, unknown>;
export type ShadowDoc = A.Doc<ShadowDocData>;

const SKELETON_ACTOR = "0".repeat(32);
let skeletonBytes: Uint8Array | undefined;

function skeleton(): Uint8Array {
  if (!skeletonBytes) {
    const base = A.init<ShadowDocData>({ actor: SKELETON_ACTOR });
    const doc = A.change(base, { time: 0 }, (d) => {
      d.desired = {};
      d.reported = {};
      d.meta = { desired: {}, reported: {} };
      d.version = new A.Counter(0);
      d.deleted = true;
    });
    skeletonBytes = A.save(doc);
    A.free(doc);
  }
  return skeletonBytes;
}

export function newShadowDoc(actor: string): ShadowDoc {
  return A.load<ShadowDocData>(skeleton(), { actor });
}

export function loadShadowDoc(actor: string, snapshot: Uint8Array, chunks: Iterable<Uint8Array>): ShadowDoc {
  let doc = A.load<ShadowDocData>(snapshot, { actor });
  for (const chunk of chunks) doc = A.loadIncremental(doc, chunk);
  return doc;
}

/** Materialises the plain view of a shadow document. */
export function viewOf(doc: ShadowDoc): ShadowView {
  const js = fromAutomerge(A.toJS(doc)) as unknown as {
    desired: JsonObject;
    reported: JsonObject;
    meta: { desired: JsonObject; reported: JsonObject };
    version: { value: number } | number;
    deleted: boolean;
  };
  const version = typeof js.version === "number" ? js.version : js.version.value;
  return {
    exists: !js.deleted,
    version,
    desired: js.desired,
    reported: js.reported,
    meta: js.meta,
  };
}

/** The plain JSON of a materialised document: immutable strings become strings, counters numbers. */
function fromAutomerge(value: unknown): unknown {
  if (value instanceof A.ImmutableString) return value.toString();
  if (value instanceof A.Counter) return value.value;
  if (Array.isArray(value)) return value.map(fromAutomerge);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromAutomerge(v);
    return out;
  }
  return value;
}

/** Strings are stored as immutable scalars (last writer wins), not as collaborative text. */
function toAutomerge(value: JsonValue): unknown {
  if (typeof value === "string") return new A.ImmutableString(value);
  if (Array.isArray(value)) return value.map(toAutomerge);
  if (isJsonObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toAutomerge(v);
    return out;
  }
  return value;
}

function applyOps(root: AmMap, ops: readonly PatchOp[]): void {
  for (const op of ops) {
    let node = root;
    for (const key of op.path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== "object" || next === null || Array.isArray(next) || next instanceof A.ImmutableString) {
        node[key] = {};
      }
      node = node[key] as AmMap;
    }
    const leaf = op.path[op.path.length - 1];
    if (leaf === undefined) continue;
    if (op.kind === "delete") delete node[leaf];
    else node[leaf] = toAutomerge(op.value);
  }
}

export interface SectionEdits {
  desired?: JsonObject | null;
  reported?: JsonObject | null;
}

/**
 * Applies an update's sections to the document. Returns the same document (and `changed: false`) when
 * the update changes nothing, so repeated identical reports create no Automerge change and no version.
 */
export function updateShadowDoc(
  doc: ShadowDoc,
  view: ShadowView,
  edits: SectionEdits,
  timestamp: number,
): { doc: ShadowDoc; changed: boolean } {
  const desiredOps = edits.desired === undefined ? [] : planPatch(view.desired, edits.desired);
  const reportedOps = edits.reported === undefined ? [] : planPatch(view.reported, edits.reported);
  if (view.exists && desiredOps.length === 0 && reportedOps.length === 0) return { doc, changed: false };
  const next = A.change(doc, { time: timestamp }, (d) => {
    if (d.deleted) d.deleted = false;
    applyOps(d.desired, desiredOps);
    applyOps(d.meta.desired, planMetadata(desiredOps, timestamp));
    applyOps(d.reported, reportedOps);
    applyOps(d.meta.reported, planMetadata(reportedOps, timestamp));
    d.version.increment(1);
  });
  return { doc: next, changed: true };
}

/** Deletes a shadow, leaving a tombstone so a later merge cannot resurrect it; the version continues. */
export function deleteShadowDoc(doc: ShadowDoc, view: ShadowView, timestamp: number): ShadowDoc {
  return A.change(doc, { time: timestamp }, (d) => {
    applyOps(d.desired, planPatch(view.desired, null));
    applyOps(d.reported, planPatch(view.reported, null));
    applyOps(d.meta.desired, planPatch(view.meta.desired, null));
    applyOps(d.meta.reported, planPatch(view.meta.reported, null));
    d.deleted = true;
    d.version.increment(1);
  });
}

export function headsOf(doc: ShadowDoc): A.Heads {
  return A.getHeads(doc);
}

export function saveSince(doc: ShadowDoc, heads: A.Heads): Uint8Array {
  return A.saveSince(doc, heads);
}

export function saveFull(doc: ShadowDoc): Uint8Array {
  return A.save(doc);
}

export function freeDoc(doc: ShadowDoc): void {
  A.free(doc);
}

/** A random Automerge actor id (hex). */
export function newActorId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}
