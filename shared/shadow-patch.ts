import { isJsonObject, type JsonObject, type JsonValue, jsonEqual } from "./json.ts";

/**
 * One leaf-level edit of a shadow section. Planning a patch yields only the edits that change
 * something, so an update that repeats the current state plans nothing (and so creates no change).
 */
export type PatchOp = { kind: "set"; path: string[]; value: JsonValue } | { kind: "delete"; path: string[] };

/** Removes `null` members from an object being written whole (they would delete keys that do not exist). */
export function stripNulls(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === null) continue;
    out[k] = isJsonObject(v) ? stripNulls(v) : v;
  }
  return out;
}

function isEmptyObject(v: JsonValue | undefined): boolean {
  return isJsonObject(v) && Object.keys(v).length === 0;
}

/**
 * Plans the edits that turn `current` into `current` merged with `patch` (AWS semantics: `null` deletes a
 * key, objects merge recursively, arrays and scalars replace whole). `patch === null` clears the section.
 */
export function planPatch(current: JsonObject, patch: JsonObject | null, prefix: string[] = []): PatchOp[] {
  const ops: PatchOp[] = [];
  if (patch === null) {
    for (const key of Object.keys(current)) ops.push({ kind: "delete", path: [...prefix, key] });
    return ops;
  }
  for (const [key, value] of Object.entries(patch)) {
    const path = [...prefix, key];
    // Own keys only: `current.toString` is not state (and deleting it must not count as a change).
    const existing = Object.hasOwn(current, key) ? current[key] : undefined;
    if (value === null) {
      if (existing !== undefined) ops.push({ kind: "delete", path });
    } else if (isJsonObject(value)) {
      if (isJsonObject(existing)) {
        ops.push(...planPatch(existing, value, path));
      } else {
        const stripped = stripNulls(value);
        if (isEmptyObject(stripped)) {
          if (existing !== undefined) ops.push({ kind: "delete", path });
        } else {
          ops.push({ kind: "set", path, value: stripped });
        }
      }
    } else if (!jsonEqual(existing, value)) {
      ops.push({ kind: "set", path, value });
    }
  }
  return ops;
}

/**
 * Applies planned edits to a plain object (the reference semantics the Automerge document follows),
 * returning a new object; `target` is not changed. Only the maps on the edited paths are copied, the
 * rest is shared with `target` (views are never changed in place, so sharing is safe and an update
 * of one leaf copies one map, not the whole section).
 */
export function applyPatchOps(target: JsonObject, ops: readonly PatchOp[]): JsonObject {
  const root: JsonObject = { ...target };
  // The maps this call made (copies or new ones): those may be written, the others are target's.
  const own = new Set<JsonObject>([root]);
  for (const op of ops) {
    const last = op.path.length - 1;
    if (last < 0) continue;
    let node = root;
    for (let i = 0; i < last; i++) {
      const key = op.path[i] as string;
      const next = node[key];
      let child: JsonObject;
      if (!isJsonObject(next)) child = {};
      else if (own.has(next)) child = next;
      else child = { ...next };
      if (child !== next) {
        own.add(child);
        node[key] = child;
      }
      node = child;
    }
    const leaf = op.path[last] as string;
    if (op.kind === "delete") delete node[leaf];
    else
      node[leaf] = typeof op.value === "object" && op.value !== null ? structuredClone(op.value) : op.value;
  }
  return root;
}

/**
 * The metadata edits that go with state edits: every written leaf gets `timestamp`, every deleted
 * path loses its metadata. Metadata mirrors the state tree with epoch seconds at the leaves.
 */
export function planMetadata(ops: readonly PatchOp[], timestamp: number): PatchOp[] {
  return ops.map((op) =>
    op.kind === "delete" ? op : { kind: "set", path: op.path, value: mirrorTimestamps(op.value, timestamp) },
  );
}

/** Replaces every leaf (scalar or array) of a value with `timestamp`. */
export function mirrorTimestamps(value: JsonValue, timestamp: number): JsonValue {
  if (!isJsonObject(value)) return timestamp;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) out[k] = mirrorTimestamps(v, timestamp);
  return out;
}
