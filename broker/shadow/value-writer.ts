import { isJsonObject, type JsonObject, type JsonValue } from "../../shared/json.ts";
import type { PatchOp } from "../../shared/shadow-patch.ts";
import type { ObjId, RawDoc } from "./raw-doc.ts";

/** Writing planned leaf edits (shared/shadow-patch.ts) into a shadow's Automerge document. */

/**
 * Applies planned edits under `root`, creating intermediate maps where a path needs one. The maps a
 * path goes through are looked up once per call (a lookup of a map costs about half a `put`, and a
 * PDU's update writes `power.w` and `power.va`); an op forgets the map it may replace.
 */
export function applyOps(raw: RawDoc, root: ObjId, ops: readonly PatchOp[]): void {
  // Parent map id -> key -> child map id, as found or created during this call.
  let maps: Map<ObjId, Map<string, ObjId>> | undefined;
  for (const op of ops) {
    const leaf = op.path[op.path.length - 1];
    if (leaf === undefined) continue;
    let obj = root;
    for (let i = 0; i < op.path.length - 1; i++) {
      const key = op.path[i] as string;
      const known = maps?.get(obj)?.get(key);
      if (known !== undefined) {
        obj = known;
        continue;
      }
      const found = raw.getWithType(obj, key) as [string, unknown] | null | undefined;
      const child =
        found && found[0] === "map" ? (found[1] as ObjId) : (raw.putObject(obj, key, {}) as ObjId);
      maps ??= new Map();
      const under = maps.get(obj) ?? new Map<string, ObjId>();
      under.set(key, child);
      maps.set(obj, under);
      obj = child;
    }
    // The write may replace a map this call found at the leaf (a map under it is then out of reach).
    maps?.get(obj)?.delete(leaf);
    if (op.kind === "delete") raw.delete(obj, leaf);
    else putValue(raw, obj, leaf, op.value);
  }
}

/**
 * Puts a JSON value. Automerge stores an integral JS number as an int64: 1e300 would come back clamped
 * to 2^63-1 and as a BigInt. Numbers beyond the safe-integer range are therefore stored as f64, also
 * inside objects and arrays (built element by element only when they hold such a number).
 */
function putValue(raw: RawDoc, obj: ObjId, key: string | number, value: JsonValue, insert = false): void {
  const container = isJsonObject(value) || Array.isArray(value);
  if (container && !holdsUnsafeNumber(value)) {
    if (insert) raw.insertObject(obj, key as number, value as never);
    else raw.putObject(obj, key as string, value as never);
    return;
  }
  if (container) {
    const empty = Array.isArray(value) ? [] : {};
    const child = (
      insert
        ? raw.insertObject(obj, key as number, empty as never)
        : raw.putObject(obj, key as string, empty as never)
    ) as ObjId;
    if (Array.isArray(value)) for (const [i, v] of value.entries()) putValue(raw, child, i, v, true);
    else for (const [k, v] of Object.entries(value as JsonObject)) putValue(raw, child, k, v);
    return;
  }
  const f64 = typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value);
  if (insert) raw.insert(obj, key as number, value as never, f64 ? "f64" : undefined);
  else raw.put(obj, key as string, value as never, f64 ? "f64" : undefined);
}

function holdsUnsafeNumber(value: JsonValue): boolean {
  if (typeof value === "number") return Number.isInteger(value) && !Number.isSafeInteger(value);
  if (Array.isArray(value)) return value.some(holdsUnsafeNumber);
  if (isJsonObject(value)) return Object.values(value).some(holdsUnsafeNumber);
  return false;
}
