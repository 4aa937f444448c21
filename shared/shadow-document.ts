import { isJsonObject, type JsonObject, type JsonValue, pruneEmpty } from "./json.ts";
import { computeDelta, restrictMetadata } from "./shadow-delta.ts";
import type { UpdateRequest } from "./shadow-request.ts";

/** Presence of a thing as seen by the node it is connected to. */
export interface Presence {
  connected: boolean;
  /** Epoch seconds of the last connect or disconnect. */
  since: number;
  site: string;
  /** Set when the site the device is connected to cannot be reached: its state is unknown since `since`. */
  unknown?: true;
}

/** The plain view of a stored shadow, materialised from its Automerge document. */
export interface ShadowView {
  exists: boolean;
  version: number;
  desired: JsonObject;
  reported: JsonObject;
  /** Mirrors of desired/reported with epoch seconds at the leaves. */
  meta: { desired: JsonObject; reported: JsonObject };
  /** Losing values of concurrent writes at different sites (absent when there are none). */
  conflicts?: ShadowConflicts;
}

/**
 * Mirrors of desired/reported whose leaves are arrays of the values that lost a concurrent write of
 * that key at another site: `{value, site, actor, timestamp}`. The winner (Automerge's rule: highest
 * op id) is the same at every site; the losers stay visible until someone writes the key again.
 */
export interface ShadowConflicts {
  desired?: JsonObject;
  reported?: JsonObject;
}

export interface StateSections {
  desired?: JsonObject;
  reported?: JsonObject;
  delta?: JsonObject;
}

export interface ShadowDocument {
  state: StateSections;
  metadata: { desired?: JsonObject; reported?: JsonObject };
  version: number;
  timestamp: number;
  clientToken?: string;
  connection?: Presence;
  conflicts?: ShadowConflicts;
}

/** Turns the epoch-second leaves of a metadata mirror into AWS's `{timestamp}` objects. */
export function renderMetadata(mirror: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(mirror)) {
    out[k] = isJsonObject(v) ? renderMetadata(v) : { timestamp: v };
  }
  return out;
}

function withToken<T extends object>(doc: T, clientToken: string | undefined): T & { clientToken?: string } {
  return clientToken === undefined ? doc : { ...doc, clientToken };
}

/** `get/accepted`: the whole shadow with its delta. */
export function renderShadow(
  view: ShadowView,
  timestamp: number,
  clientToken?: string,
  connection?: Presence,
): ShadowDocument {
  const desired = pruneEmpty(view.desired);
  const reported = pruneEmpty(view.reported);
  const state: StateSections = {};
  const metadata: ShadowDocument["metadata"] = {};
  if (desired) {
    state.desired = desired;
    metadata.desired = renderMetadata(restrictMetadata(view.meta.desired, desired));
  }
  if (reported) {
    state.reported = reported;
    metadata.reported = renderMetadata(restrictMetadata(view.meta.reported, reported));
  }
  const delta = desired && computeDelta(desired, reported ?? {});
  if (delta) state.delta = delta;
  const doc: ShadowDocument = withToken({ state, metadata, version: view.version, timestamp }, clientToken);
  if (connection) doc.connection = connection;
  if (view.conflicts) doc.conflicts = view.conflicts;
  return doc;
}

/** `update/accepted`: the request's state as sent, with a timestamp for every leaf it named. */
export function renderUpdateAccepted(request: UpdateRequest, version: number, timestamp: number): JsonObject {
  const state: JsonObject = {};
  const metadata: JsonObject = {};
  for (const section of ["desired", "reported"] as const) {
    const value = request[section];
    if (value === undefined) continue;
    state[section] = value;
    metadata[section] = value === null ? { timestamp } : stampLeaves(value, timestamp);
  }
  const doc: JsonObject = { state, metadata, version, timestamp };
  if (request.clientToken !== undefined) doc.clientToken = request.clientToken;
  return doc;
}

/**
 * AWS metadata for every leaf a request named, in one pass: `renderMetadata` of a timestamp mirror.
 * A null (a deletion), an array or a scalar is a leaf; an object, even empty, is descended into.
 */
function stampLeaves(value: JsonObject, timestamp: number): JsonObject {
  const out: JsonObject = {};
  for (const k in value) {
    const v = value[k] as JsonValue;
    out[k] = isJsonObject(v) ? stampLeaves(v, timestamp) : { timestamp };
  }
  return out;
}

/** `update/delta`: the differing desired leaves with their metadata, or undefined when in sync. */
export function renderDelta(
  view: ShadowView,
  timestamp: number,
  clientToken?: string,
): JsonObject | undefined {
  const delta = computeDelta(view.desired, view.reported);
  if (!delta) return undefined;
  const doc: JsonObject = {
    version: view.version,
    timestamp,
    state: delta,
    metadata: renderMetadata(restrictMetadata(view.meta.desired, delta)),
  };
  if (clientToken !== undefined) doc.clientToken = clientToken;
  return doc;
}

function snapshotOf(view: ShadowView): JsonValue {
  const full = renderShadow(view, 0);
  const state: JsonObject = {};
  if (full.state.desired) state.desired = full.state.desired;
  if (full.state.reported) state.reported = full.state.reported;
  return { state, metadata: full.metadata as JsonObject, version: view.version };
}

/** `update/documents`: the shadow before and after an accepted change. */
export function renderDocuments(
  previous: ShadowView,
  current: ShadowView,
  timestamp: number,
  clientToken?: string,
): JsonObject {
  const doc: JsonObject = {
    previous: previous.exists ? snapshotOf(previous) : null,
    current: snapshotOf(current),
    timestamp,
  };
  if (clientToken !== undefined) doc.clientToken = clientToken;
  return doc;
}

/** `delete/accepted`. */
export function renderDeleteAccepted(version: number, timestamp: number, clientToken?: string): JsonObject {
  const doc: JsonObject = { version, timestamp };
  if (clientToken !== undefined) doc.clientToken = clientToken;
  return doc;
}

/** Bytes of the state that counts against the size limit: compact JSON of desired and reported. */
export function stateBytes(view: Pick<ShadowView, "desired" | "reported">): number {
  return Buffer.byteLength(JSON.stringify({ desired: view.desired, reported: view.reported }));
}
