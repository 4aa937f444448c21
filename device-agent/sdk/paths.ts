import { isJsonObject, type JsonObject, jsonEqual, pruneEmpty } from "../../shared/json.ts";
import { getAt, type JsonLeaf, leavesOf, setAt } from "../../shared/json-path.ts";

/**
 * Shadow state as leaves (shared/json-path.ts): reports are queued and coalesced per leaf; the
 * reconcile loop tracks handled leaves.
 */
export type Leaf = JsonLeaf;
export { leavesOf };

/** A stable string for a path (JSON, so keys may contain any character). */
export function pathKey(path: readonly string[]): string {
  return JSON.stringify(path);
}

export { isPathPrefix, pathsOverlap } from "../../shared/json-path.ts";

/** Sets `value` at `path` in `target`, creating (or replacing non-objects with) objects on the way. */
export const setLeaf = setAt;

/** The value at `path`, or undefined. */
export const getLeaf = getAt;

/** Builds a patch from leaves (later leaves win where paths coincide). */
export function patchOf(leaves: readonly Leaf[]): JsonObject {
  const out: JsonObject = {};
  for (const leaf of leaves) setLeaf(out, leaf.path, structuredClone(leaf.value));
  return out;
}

/**
 * Applies a shadow patch the way the node does: objects merge recursively, `null` deletes, scalars and
 * arrays replace, empty objects disappear. Returns a new object; the inputs are not modified.
 */
export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = structuredClone(target);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (isJsonObject(value)) {
      const base = out[key];
      out[key] = mergePatch(isJsonObject(base) ? base : {}, value);
    } else out[key] = structuredClone(value);
  }
  return pruneEmpty(out) ?? {};
}

/** Leaves of `patch` whose value differs from what `current` holds (what a report would actually change). */
export function changedLeaves(current: JsonObject, patch: JsonObject): Leaf[] {
  return leavesOf(patch).filter((leaf) => {
    const have = getLeaf(current, leaf.path);
    return leaf.value === null ? have !== undefined : !jsonEqual(have, leaf.value);
  });
}
