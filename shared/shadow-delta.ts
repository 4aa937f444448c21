import { isJsonObject, type JsonObject, jsonEqual, pruneEmpty } from "./json.ts";

/**
 * The delta: the leaves of `desired` that differ from `reported` (arrays compared whole). Keys only in
 * `reported` are not part of the delta. Empty objects are not state and never appear.
 */
export function computeDelta(desired: JsonObject, reported: JsonObject): JsonObject | undefined {
  const out: JsonObject = {};
  let any = false;
  for (const [key, want] of Object.entries(desired)) {
    const have = reported[key];
    if (isJsonObject(want)) {
      const sub = isJsonObject(have) ? computeDelta(want, have) : pruneEmpty(want);
      if (sub !== undefined) {
        out[key] = sub;
        any = true;
      }
    } else if (!jsonEqual(want, have)) {
      out[key] = want;
      any = true;
    }
  }
  return any ? out : undefined;
}

/** Picks from a metadata mirror the parts that have the shape of `shape`. */
export function restrictMetadata(meta: JsonObject, shape: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(shape)) {
    const m = meta[key];
    if (m === undefined) continue;
    out[key] = isJsonObject(value) && isJsonObject(m) ? restrictMetadata(m, value) : m;
  }
  return out;
}
