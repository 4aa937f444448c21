import { isJsonObject, type JsonObject } from "./json.ts";
import type { PatchOp } from "./shadow-patch.ts";

/**
 * Writing a key that holds a conflict resolves it, even when the value written is the current
 * (winning) one: the patch planner drops such a write as a no-op, so this adds a `set` for every
 * conflicted path the patch writes and the plan does not already touch. `conflicts` is the section's
 * conflicts mirror (leaves are arrays of losing values).
 */
export function rewriteConflicted(
  conflicts: JsonObject | undefined,
  patch: JsonObject | null | undefined,
  ops: readonly PatchOp[],
  prefix: string[] = [],
): PatchOp[] {
  if (!conflicts || !patch) return [];
  const out: PatchOp[] = [];
  const planned = (path: string[]) =>
    ops.some((op) => op.path.length <= path.length && op.path.every((k, i) => k === path[i]));
  for (const [key, value] of Object.entries(patch)) {
    const mark = conflicts[key];
    if (mark === undefined || value === null) continue;
    const path = [...prefix, key];
    if (Array.isArray(mark)) {
      // Objects merge (AWS), so rewriting one would drop keys: only scalars and arrays are resolved here.
      if (!isJsonObject(value) && !planned(path)) out.push({ kind: "set", path, value });
    } else if (isJsonObject(mark) && isJsonObject(value)) {
      out.push(...rewriteConflicted(mark, value, ops, path));
    }
  }
  return out;
}
